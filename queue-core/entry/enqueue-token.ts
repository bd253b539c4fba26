/**
 * Enqueue tokens (API.md section 6, "one place per identity"): a short-lived JWT the site signs
 * for a signed-in user, checked against the site's public keys (`jwksUrl`, fetched and cached,
 * or `jwks` inline). Its `sub` is the identity: one identity holds one place per event.
 *
 * A verdict, never an exception: `invalid` for anything the token itself gets wrong (signature,
 * issuer, audience, expiry, a missing `sub` or `exp`, an unknown key), `unavailable` when the
 * site's keys could not be fetched (the visitor gets 503 and retries).
 *
 * `jose` is loaded by the first check (`import()`), not with this module: a site's keys may be
 * of any asymmetric algorithm and come from a remote JWKS, which is jose's job, but an event
 * without enqueue tokens never needs it, nor does a Lambda cold start.
 */
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { ENTRY_DEFAULTS } from '../defaults.ts';
import type { EnqueueTokenSettings } from '../types.ts';

export type TokenVerdict =
  | { kind: 'identity'; subject: string }
  | { kind: 'invalid' }
  | { kind: 'unavailable' };

/** Asymmetric algorithms only: a site's public keys can never verify an HMAC or `none`. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_TOKEN_LENGTH = 4096;
const MAX_SUBJECT_LENGTH = 255;
/** Key sets kept (one per distinct setting); events are few, the bound guards against churn. */
const MAX_KEY_SETS = 100;

type Jose = typeof import('jose');
let loading: Promise<Jose> | null = null;
/** jose, imported once (a failed import is tried again by the next check). */
function jose(): Promise<Jose> {
  if (loading === null) {
    const attempt = import('jose');
    loading = attempt;
    attempt.catch(() => {
      if (loading === attempt) loading = null;
    });
  }
  return loading;
}

/** Checks enqueue tokens; a remote key set is fetched once and shared by every check of its settings. */
export class EnqueueTokenVerifier {
  readonly #keySets = new Map<string, JWTVerifyGetKey>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  async verify(settings: EnqueueTokenSettings, token: string): Promise<TokenVerdict> {
    if (token.length > MAX_TOKEN_LENGTH) return { kind: 'invalid' };
    let lib: Jose;
    try {
      lib = await jose();
    } catch {
      return { kind: 'unavailable' };
    }
    try {
      const { payload } = await lib.jwtVerify(token, this.#keySet(lib, settings), {
        issuer: settings.issuer,
        ...(settings.audience === undefined ? {} : { audience: settings.audience }),
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(this.#now() * 1000),
      });
      const subject = payload.sub;
      if (typeof subject !== 'string' || subject === '' || subject.length > MAX_SUBJECT_LENGTH)
        return { kind: 'invalid' };
      return { kind: 'identity', subject };
    } catch (error) {
      return { kind: unreachable(lib, error) ? 'unavailable' : 'invalid' };
    }
  }

  #keySet(lib: Jose, settings: EnqueueTokenSettings): JWTVerifyGetKey {
    const id = settings.jwksUrl ?? JSON.stringify(settings.jwks);
    let keySet = this.#keySets.get(id);
    if (keySet === undefined) {
      if (this.#keySets.size >= MAX_KEY_SETS) this.#keySets.clear();
      keySet =
        settings.jwksUrl !== undefined
          ? lib.createRemoteJWKSet(new URL(settings.jwksUrl), {
              timeoutDuration: ENTRY_DEFAULTS.verifyTimeoutMs,
              cooldownDuration: ENTRY_DEFAULTS.jwksCooldownMs,
              cacheMaxAge: ENTRY_DEFAULTS.jwksMaxAgeMs,
            })
          : lib.createLocalJWKSet(settings.jwks as JSONWebKeySet);
      this.#keySets.set(id, keySet);
    }
    return keySet;
  }
}

/** The site's key set could not be had: a timeout, a network failure, an answer that is no JWKS. */
function unreachable({ errors }: Jose, error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // A non-200 or unreadable JWKS answer is jose's generic error; the token's own faults have their own.
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  // fetch() failures (connection refused, DNS) surface as plain errors.
  return true;
}
