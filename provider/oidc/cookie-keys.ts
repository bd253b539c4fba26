/**
 * The cookie signing keys of the provider (`oidc.cookieKeys`, `ANTEROOM_COOKIE_KEYS`). Every
 * instance behind one issuer must use the same list. When none are configured they are derived
 * from the RS256 signing keys, which every instance already shares: "kept beside the signing
 * keys" without a second secret to distribute. `anteroom keys rotate oidc` then also rotates the
 * cookies: the key of the RS256 key that signs comes first (it signs cookies), the others'
 * follow (cookies they signed still verify).
 *
 * The account secret turns a visitor id into `sub` (identity.ts). Admissions are recorded under
 * `sub`, so it must not change while a rotation is under way: it is the last configured key, or
 * the key derived from the oldest RS256 key still in the ring.
 */
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import { ValidationError } from '../../queue-core/errors.ts';

const MIN_KEY_LENGTH = 32;

export interface CookieKeys {
  /** The first signs; every one verifies. */
  keys: string[];
  /** The HMAC secret of account ids (`sub`): stable across rotations. */
  accountSecret: string;
}

/**
 * `jwks`: the ring's OIDC keys, the RS256 key that signs first (`KeyRing.oidcJwks()`);
 * `oldestKid`: the kid of its oldest RS256 key.
 */
export function resolveCookieKeys(raw: unknown, jwks: readonly JWK[], oldestKid?: string): CookieKeys {
  if (raw === undefined || raw === null) {
    const rsa = jwks.filter((key) => key.alg === 'RS256' && typeof key.d === 'string');
    if (rsa.length === 0) {
      throw new ValidationError(
        'oidc.cookieKeys',
        'oidc.cookieKeys is not set and no RS256 private key to derive it from',
        'invalid_oidc_config',
      );
    }
    const oldest = rsa.find((key) => key.kid === oldestKid) ?? (rsa.at(-1) as JWK);
    return { keys: rsa.map(derivedKey), accountSecret: derivedKey(oldest) };
  }
  const list = typeof raw === 'string' ? raw.split(',').map((key) => key.trim()) : raw;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ValidationError(
      'oidc.cookieKeys',
      'oidc.cookieKeys must be a non-empty array of strings',
      'invalid_oidc_config',
    );
  }
  const keys = list.map((key, index) => {
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
      throw new ValidationError(
        `oidc.cookieKeys[${index}]`,
        `oidc.cookieKeys[${index}] must be a string of at least ${MIN_KEY_LENGTH} characters`,
        'invalid_oidc_config',
      );
    }
    return key;
  });
  return { keys, accountSecret: keys.at(-1) as string };
}

function derivedKey(rsa: JWK): string {
  return createHmac('sha256', rsa.d as string)
    .update('anteroom-oidc-cookie-key-v1')
    .digest('base64url');
}
