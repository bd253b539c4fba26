/**
 * The origin secret: CloudFront adds `x-anteroom-origin-secret` to every request it sends to
 * the public API, so a visitor who calls the API Gateway URL directly (skipping the CDN and
 * its caching of status answers) is refused. Compared in constant time: SHA-256 digests of
 * equal length through `timingSafeEqual`, so neither content nor length leaks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const ORIGIN_SECRET_HEADER = 'x-anteroom-origin-secret';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** A checker for one expected secret. */
export function originSecretCheck(expected: string): (given: string | undefined) => boolean {
  const want = digest(expected);
  return (given) => {
    // Always hash and compare, so a missing header costs the same as a wrong one.
    const match = timingSafeEqual(digest(given ?? ''), want);
    return match && given !== undefined;
  };
}
