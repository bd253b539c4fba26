/**
 * Getting the token out of an `Authorization` header. Two forms are accepted: `Bearer <jwt>`
 * (RFC 6750) and the bare JWT that the retired AWS solution's sample clients send.
 */
import type { DenyReason } from './reasons.ts';

/** Three base64url segments; the signature may be empty only for `alg: none`, which is refused later. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BEARER = /^bearer[ \t]+/i;
/** Far above any admission token; refuses oversized junk before it is parsed or cached. */
export const MAX_TOKEN_LENGTH = 8192;

/** A string shaped like a compact JWS of acceptable size (says nothing about its validity). */
export function isCompactJws(token: unknown): token is string {
  return typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(token);
}

export type HeaderValue = string | string[] | undefined | null;

/** The JWT in an Authorization header value, or null when there is no usable token in it. */
export function parseAuthorizationHeader(value: HeaderValue): string | null {
  const result = readToken(value);
  return 'token' in result ? result.token : null;
}

/** Like parseAuthorizationHeader, but says why there is no token: absent, or not a JWT. */
export function readToken(value: HeaderValue): { token: string } | { reason: DenyReason } {
  if (Array.isArray(value)) {
    // A repeated Authorization header is ambiguous: refuse rather than pick one.
    if (value.length > 1) return { reason: 'malformed_token' };
    return readToken(value[0]);
  }
  if (typeof value !== 'string' || value.trim() === '') return { reason: 'missing_token' };
  const trimmed = value.trim();
  const token = BEARER.test(trimmed) ? trimmed.replace(BEARER, '') : trimmed;
  if (!isCompactJws(token)) return { reason: 'malformed_token' };
  return { token };
}

/** The Authorization header of a header map whose names may have any case (Lambda events do). */
export function authorizationFrom(headers: Record<string, HeaderValue> | null | undefined): HeaderValue {
  if (headers === null || headers === undefined) return undefined;
  const direct = headers['authorization'];
  if (direct !== undefined) return direct;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') return headers[name];
  }
  return undefined;
}
