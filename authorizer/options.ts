/**
 * The verifier's options, their defaults (documented once, here) and their validation: a bad
 * option fails at creation with the field's name, never at the first request.
 */

import type { JSONWebKeySet } from 'jose';
import { ValidationError } from '../queue-core/errors.ts';
import { ALGORITHMS } from '../queue-core/signing-keys/jws.ts';
import { getJson, type JsonFetch } from './http-client.ts';
import { publishedKeys } from './jws.ts';
import type { RevocationOptions } from './revocation.ts';

export interface VerifierOptions {
  /** The waiting room's JWKS, `<publicUrl>/.well-known/jwks.json`. Exactly one of jwksUrl / jwks. */
  jwksUrl?: string;
  /** A static JWKS (`{keys: [...]}`), for tests and air-gapped origins. */
  jwks?: JSONWebKeySet;
  /**
   * With `jwksUrl`: the waiting room's key set as of the deployment, so that a fresh process
   * decides its first tokens without the network. Used only until the first fetch of `jwksUrl`
   * has answered (the fetch starts once that first decision is made); from then on the fetched
   * set alone governs, and admissions made with these keys are never reused from the decision
   * cache. A key removed from the waiting room's set stays valid for a fresh process's first
   * decisions until this set is updated too: see docs/operations.md.
   */
  initialJwks?: JSONWebKeySet;
  /** Accepted `iss` values: the waiting room's public URL(s). */
  issuer: string | string[];
  /** Accepted `aud` values: the event ids this API admits visitors of. */
  audience: string | string[];
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /**
   * Accepted signature algorithms. Default `['ES256', 'RS256']`. Only asymmetric algorithms are
   * honoured: HMAC (`HS*`) and `none` are dropped even when listed, since a verifier that holds
   * only public keys must never treat one as a shared secret.
   */
  algorithms?: string[];
  /** Optional session check: refuse tokens of sessions ended through `update_session`. */
  revocation?: RevocationOptions;
  /** Bound of the decision cache (and of the revocation cache). Default 10 000 entries; 0 disables. */
  cacheMaxEntries?: number;
  /**
   * How long a successful decision is reused for the same token string, in seconds. Default 60,
   * lowered to `revocation.cacheSeconds` when a revocation check is configured. An entry never
   * outlives the token's `exp`.
   */
  cacheTtlSeconds?: number;
  /** Minimum seconds between two JWKS refetches triggered by an unknown `kid`. Default 30. */
  jwksCooldownSeconds?: number;
  /** A fetched JWKS older than this many seconds is refetched. Default 600. */
  jwksCacheMaxAgeSeconds?: number;
  /** Abort a JWKS request after this many milliseconds. Default 5000. */
  jwksTimeoutMs?: number;
  /** How the JWKS is fetched (the global `fetch` is one). Default: a GET on `node:tls` (`http-client.ts`). */
  fetch?: JsonFetch;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. For tests. */
  now?: () => number;
}

export interface ResolvedOptions {
  jwksUrl: string | undefined;
  jwks: JSONWebKeySet | undefined;
  initialJwks: JSONWebKeySet | undefined;
  issuer: string[];
  audience: string[];
  clockToleranceSeconds: number;
  algorithms: string[];
  revocation: RevocationOptions | undefined;
  cacheMaxEntries: number;
  cacheTtlMs: number;
  jwksCooldownMs: number;
  jwksCacheMaxAgeMs: number;
  jwksTimeoutMs: number;
  fetch: JsonFetch;
  now: () => number;
}

/** Signature algorithms that verify with a public key (the keys of the one JWS algorithm table). */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set(ALGORITHMS.keys());

function fail(field: string, message: string): never {
  throw new ValidationError(field, message, 'invalid_authorizer_config');
}

function nonEmptyStrings(field: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item) => typeof item === 'string' && item.trim() !== '')) {
    fail(field, `${field} must be a non-empty string or a list of them.`);
  }
  return list.map((item: string) => item.trim());
}

function nonNegative(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(field, `${field} must be a finite number ≥ 0.`);
  }
  return value;
}

function resolveAlgorithms(requested: string[] | undefined): string[] {
  if (requested !== undefined && !Array.isArray(requested)) fail('algorithms', 'algorithms must be a list.');
  const list = requested ?? ['ES256', 'RS256'];
  const kept = list.filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg));
  const dropped = list.filter((alg) => !ASYMMETRIC_ALGORITHMS.has(alg));
  if (dropped.length > 0) {
    process.emitWarning(
      `Anteroom authorizer ignores algorithms ${dropped.join(', ')}: only asymmetric ones are safe.`,
    );
  }
  if (kept.length === 0)
    fail('algorithms', 'algorithms must name at least one asymmetric algorithm (e.g. ES256).');
  return kept;
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as JSONWebKeySet).keys);
}

/** A key set whose every member is a JSON object (what `publishedKeys` accepts). */
function isUsableKeySet(value: unknown): value is JSONWebKeySet {
  try {
    publishedKeys(value);
    return true;
  } catch {
    return false;
  }
}

function resolveKeySource(
  options: VerifierOptions,
): Pick<ResolvedOptions, 'jwksUrl' | 'jwks' | 'initialJwks'> {
  const { jwksUrl, jwks, initialJwks } = options;
  if ((jwksUrl === undefined) === (jwks === undefined))
    fail('jwksUrl', 'Give exactly one of jwksUrl and jwks.');
  if (initialJwks !== undefined && (jwksUrl === undefined || !isUsableKeySet(initialJwks))) {
    fail('initialJwks', 'initialJwks must be a JSON Web Key Set, given with jwksUrl.');
  }
  if (jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      fail('jwksUrl', 'jwksUrl must be an absolute URL.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('jwksUrl', 'jwksUrl must be http(s).');
    return { jwksUrl: url.href, jwks: undefined, initialJwks };
  }
  if (!isKeySet(jwks)) fail('jwks', 'jwks must be a JSON Web Key Set: {"keys": [...]}.');
  return { jwksUrl: undefined, jwks, initialJwks: undefined };
}

export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'Verifier options are required.');
  const revocation = options.revocation;
  if (revocation !== undefined && typeof revocation.check !== 'function') {
    fail('revocation.check', 'revocation.check must be a function (eventId, requestId) => Promise<boolean>.');
  }
  const revocationTtl = nonNegative('revocation.cacheSeconds', revocation?.cacheSeconds, 5);
  const decisionTtl = nonNegative('cacheTtlSeconds', options.cacheTtlSeconds, 60);
  return {
    ...resolveKeySource(options),
    issuer: nonEmptyStrings('issuer', options.issuer),
    audience: nonEmptyStrings('audience', options.audience),
    clockToleranceSeconds: nonNegative('clockToleranceSeconds', options.clockToleranceSeconds, 5),
    algorithms: resolveAlgorithms(options.algorithms),
    revocation,
    cacheMaxEntries: Math.floor(nonNegative('cacheMaxEntries', options.cacheMaxEntries, 10_000)),
    // A cached allow must not outlive the revocation answer it was based on.
    cacheTtlMs: 1000 * (revocation === undefined ? decisionTtl : Math.min(decisionTtl, revocationTtl)),
    jwksCooldownMs: 1000 * nonNegative('jwksCooldownSeconds', options.jwksCooldownSeconds, 30),
    jwksCacheMaxAgeMs: 1000 * nonNegative('jwksCacheMaxAgeSeconds', options.jwksCacheMaxAgeSeconds, 600),
    jwksTimeoutMs: nonNegative('jwksTimeoutMs', options.jwksTimeoutMs, 5000),
    fetch: options.fetch ?? getJson,
    now: options.now ?? Date.now,
  };
}
