/**
 * The cookie signing keys of the provider (`oidc.cookieKeys`, `ANTEROOM_COOKIE_KEYS`). Every
 * instance behind one issuer must use the same list. When none are configured they are derived
 * from the RS256 signing key, which every instance already shares: "kept beside the signing keys"
 * without a second secret to distribute. Rotating that key then also rotates the cookies.
 */
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import { ValidationError } from '../../queue-core/errors.ts';

const MIN_KEY_LENGTH = 32;

export function resolveCookieKeys(raw: unknown, jwks: readonly JWK[]): string[] {
  if (raw === undefined || raw === null) return [derivedKey(jwks)];
  const list = typeof raw === 'string' ? raw.split(',').map((key) => key.trim()) : raw;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ValidationError(
      'oidc.cookieKeys',
      'oidc.cookieKeys must be a non-empty array of strings',
      'invalid_oidc_config',
    );
  }
  return list.map((key, index) => {
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
      throw new ValidationError(
        `oidc.cookieKeys[${index}]`,
        `oidc.cookieKeys[${index}] must be a string of at least ${MIN_KEY_LENGTH} characters`,
        'invalid_oidc_config',
      );
    }
    return key;
  });
}

function derivedKey(jwks: readonly JWK[]): string {
  const rsa = jwks.find((key) => key.alg === 'RS256' && typeof key.d === 'string');
  if (rsa?.d === undefined) {
    throw new ValidationError(
      'oidc.cookieKeys',
      'oidc.cookieKeys is not set and no RS256 private key to derive it from',
      'invalid_oidc_config',
    );
  }
  return createHmac('sha256', rsa.d).update('anteroom-oidc-cookie-key-v1').digest('base64url');
}
