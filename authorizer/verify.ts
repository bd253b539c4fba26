/**
 * The authorizer's core: `createVerifier(options).verify(token)` decides whether an admission
 * token lets its bearer in. It never throws; every refusal carries a stable reason code.
 *
 * Steps, in order: shape → decision cache → signature (JWKS, allowed algorithms only) + iss +
 * aud + exp/nbf (`./jws.ts`, jose's checks on `node:crypto`) → admission claims → optional
 * session check → cache and answer.
 */
import type { JWTPayload } from 'jose';
import { type AdmissionClaims, type AdmissionContext, checkAdmissionClaims } from './claims.ts';
import { authorizationFrom, type HeaderValue, isCompactJws, readToken } from './header.ts';
import { createRemoteKeySet, createStaticKeySet, JwksUnavailableError, type KeyLookup } from './jwks.ts';
import { type JwtCheck, publishedKeys, TokenError, verifyJwtWithKey } from './jws.ts';
import { ExpiringLru } from './lru.ts';
import { type ResolvedOptions, resolveOptions, type VerifierOptions } from './options.ts';
import type { DenyReason } from './reasons.ts';
import { createCachedRevocationCheck, type SessionEndedCheck } from './revocation.ts';

export { parseAuthorizationHeader } from './header.ts';
export type { VerifierOptions } from './options.ts';

/** Request headers as frameworks hand them over; names in any case. */
export type HeaderMap = Record<string, HeaderValue>;

export interface Admission {
  allow: true;
  claims: AdmissionClaims;
  /** The request id (`sub`): API Gateway's principalId. */
  principalId: string;
  context: AdmissionContext;
}

export interface Denial {
  allow: false;
  reason: DenyReason;
}

export type Decision = Admission | Denial;

export interface Verifier {
  /** The decision for one token (the JWT itself, without `Bearer `). Never throws. */
  verify(token: string): Promise<Decision>;
  /** The decision for a request's headers: reads `Authorization` (raw JWT or `Bearer <jwt>`). Never throws. */
  decide(headers: HeaderMap): Promise<Decision>;
}

/** One frozen object per reason: denials allocate nothing. */
const DENIALS = new Map<DenyReason, Denial>();
export function deny(reason: DenyReason): Denial {
  let denial = DENIALS.get(reason);
  if (denial === undefined) {
    denial = Object.freeze({ allow: false, reason }) as Denial;
    DENIALS.set(reason, denial);
  }
  return denial;
}

function createKeyLookup(options: ResolvedOptions): KeyLookup {
  if (options.jwks !== undefined) return createStaticKeySet(options.jwks);
  return createRemoteKeySet({
    initial: options.initialJwks === undefined ? undefined : publishedKeys(options.initialJwks, true),
    url: options.jwksUrl as string,
    cooldownMs: options.jwksCooldownMs,
    cacheMaxAgeMs: options.jwksCacheMaxAgeMs,
    timeoutMs: options.jwksTimeoutMs,
    fetch: options.fetch,
    now: options.now,
  });
}

/** The deny reason for what verification threw: anything unforeseen refuses the token as unverifiable. */
export function reasonForError(error: unknown): DenyReason {
  if (error instanceof TokenError) return error.reason;
  if (error instanceof JwksUnavailableError) return 'jwks_unavailable';
  return 'invalid_signature';
}

export function createVerifier(verifierOptions: VerifierOptions): Verifier {
  const options = resolveOptions(verifierOptions);
  const { now, audience } = options;
  const getKey = createKeyLookup(options);
  const decisions = new ExpiringLru<Admission>(options.cacheMaxEntries);
  const sessionEnded: SessionEndedCheck | undefined =
    options.revocation === undefined
      ? undefined
      : createCachedRevocationCheck(options.revocation, options.cacheMaxEntries, now);
  const check: Omit<JwtCheck, 'nowMs'> = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: new Set(options.algorithms),
    clockToleranceSeconds: options.clockToleranceSeconds,
    requiredClaims: ['exp', 'sub'],
  };

  async function checkSession(context: AdmissionContext): Promise<DenyReason | undefined> {
    if (sessionEnded === undefined) return undefined;
    try {
      return (await sessionEnded(context.event_id, context.request_id)) ? 'session_ended' : undefined;
    } catch {
      // Fail closed: an unknown session status is not an admission.
      return 'revocation_unavailable';
    }
  }

  async function decide(token: string, nowMs: number): Promise<Decision> {
    let payload: JWTPayload;
    let provisional: boolean;
    try {
      const verified = await verifyJwtWithKey(token, getKey, { ...check, nowMs });
      payload = verified.claims;
      provisional = verified.key.provisional;
    } catch (error) {
      return deny(reasonForError(error));
    }
    const checked = checkAdmissionClaims(payload, audience);
    if ('reason' in checked) return deny(checked.reason);
    const sessionReason = await checkSession(checked.context);
    if (sessionReason !== undefined) return deny(sessionReason);
    const admission: Admission = Object.freeze({
      allow: true,
      claims: Object.freeze(checked.claims),
      principalId: checked.context.request_id,
      context: Object.freeze(checked.context),
    });
    // Reuse until the token expires or the cache TTL ends, whichever comes first; a token
    // inside its clock-tolerance window is simply verified afresh each time. A key the fetched
    // set has not confirmed yet admits this once: the next decision asks the fetched set.
    if (!provisional)
      decisions.set(token, admission, Math.min(checked.claims.exp * 1000, nowMs + options.cacheTtlMs));
    return admission;
  }

  async function verify(token: string): Promise<Decision> {
    try {
      if (typeof token !== 'string') return deny('malformed_token');
      const nowMs = now();
      // Only well-formed tokens are ever cached, so the hit path can skip the shape check.
      const cached = decisions.get(token, nowMs);
      if (cached !== undefined) return cached;
      if (!isCompactJws(token)) return deny('malformed_token');
      return await decide(token, nowMs);
    } catch (error) {
      return deny(reasonForError(error));
    }
  }

  return {
    verify,
    async decide(headers: HeaderMap): Promise<Decision> {
      const read = readToken(authorizationFrom(headers));
      return 'reason' in read ? deny(read.reason) : verify(read.token);
    },
  };
}
