/**
 * The visitor's session at the site: the waiting-room claims of the ID token, sealed in the
 * `__Host-anteroom-session` cookie, ending no later than the admission (the ID token's and the
 * access token's expiry, both bounded by the admission window). The access token rides along
 * only when the gate re-checks sessions at the userinfo endpoint.
 *
 * What the origin receives: the `x-anteroom-*` headers below, and never a copy sent by the client.
 */
import type { JWTPayload } from 'jose';

export const SESSION_COOKIE = '__Host-anteroom-session';
/** One flow cookie per `state`, so parallel tabs signing in do not clash. */
export const FLOW_COOKIE_PREFIX = '__Host-anteroom-flow-';
export const IDENTITY_HEADER_PREFIX = 'x-anteroom-';

export const IDENTITY_HEADERS = {
  sub: 'x-anteroom-sub',
  eventId: 'x-anteroom-event-id',
  requestId: 'x-anteroom-request-id',
  queuePosition: 'x-anteroom-queue-position',
} as const;

export interface SessionClaims {
  sub: string;
  eventId: string;
  requestId: string;
  queuePosition: number;
}

/** The sealed cookie's payload (short keys: it travels with every request). */
export interface SessionPayload {
  s: string;
  e: string;
  r: string;
  p: number;
  /** Access token, for the userinfo re-check. */
  a?: string;
}

/** Printable ASCII: the claims become header values. */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

const headerSafe = (value: unknown): value is string => typeof value === 'string' && HEADER_SAFE.test(value);
const position = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The waiting-room claims of a verified ID token (API.md §3), or null when one is missing or unusable. */
export function claimsOfIdToken(payload: JWTPayload): SessionClaims | null {
  const { sub } = payload;
  const eventId = payload['event_id'];
  const requestId = payload['request_id'];
  const queuePosition = payload['queue_position'];
  if (!headerSafe(sub) || !headerSafe(eventId) || !headerSafe(requestId) || !position(queuePosition)) {
    return null;
  }
  return { sub, eventId, requestId, queuePosition };
}

export function sessionPayload(claims: SessionClaims, accessToken: string | undefined): SessionPayload {
  const payload: SessionPayload = {
    s: claims.sub,
    e: claims.eventId,
    r: claims.requestId,
    p: claims.queuePosition,
  };
  if (accessToken !== undefined) payload.a = accessToken;
  return payload;
}

/** The claims of an opened session cookie, or null when its payload is not one of ours. */
export function claimsOfSession(payload: Record<string, unknown>): SessionClaims | null {
  const { s, e, r, p } = payload;
  if (!headerSafe(s) || !headerSafe(e) || !headerSafe(r) || !position(p)) return null;
  return { sub: s, eventId: e, requestId: r, queuePosition: p };
}

export function identityHeaders(claims: SessionClaims): Record<string, string> {
  return {
    [IDENTITY_HEADERS.sub]: claims.sub,
    [IDENTITY_HEADERS.eventId]: claims.eventId,
    [IDENTITY_HEADERS.requestId]: claims.requestId,
    [IDENTITY_HEADERS.queuePosition]: String(claims.queuePosition),
  };
}

/** When the session must end: the earliest of the ID token's and the access token's expiry. */
export function sessionEnd(
  idToken: JWTPayload,
  accessTokenExpiresIn: number | undefined,
  nowMs: number,
): number {
  const idTokenEnd = typeof idToken.exp === 'number' ? idToken.exp : 0;
  const accessEnd =
    accessTokenExpiresIn === undefined
      ? Number.POSITIVE_INFINITY
      : Math.floor(nowMs / 1000) + accessTokenExpiresIn;
  return Math.min(idTokenEnd, accessEnd);
}
