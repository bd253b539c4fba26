/**
 * The visitor cookie and the per-event request cookie.
 *
 * - `anteroom_vid`: a long-lived random visitor id signed by the server (`visitor-cookie.ts`;
 *   HttpOnly, SameSite=Lax, Secure when the public URL is https). It makes enqueue idempotent
 *   per browser: a retry or a reload gets the same request id and position. A value the server
 *   did not sign is ignored. An `Idempotency-Key` header does the same for API clients: a key
 *   with at least 128 bits' room (a UUID, or 22+ base64url characters), bound to the client that
 *   first used it (its visitor cookie, else its address).
 * - `ar_rq_<event_id>`: the request id of this browser in one event, so a page without
 *   JavaScript can show the visitor's state on a plain reload.
 *
 * Exported for the pages and the OIDC interaction, so every surface agrees on the names.
 */
import type { Context } from 'koa';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { KeyOwner } from '../../queue-core/room/visitor-flow.ts';
import { parseRequestId } from '../../queue-core/validate.ts';
import type { AnteroomConfig } from '../config/server-config.ts';
import { budgetKey } from './rate-limit.ts';
import type { VisitorCookieSigner } from './visitor-cookie.ts';

export const VISITOR_COOKIE = 'anteroom_vid';
const VISITOR_MAX_AGE_SECONDS = 365 * 24 * 3600;
/** Long enough for any wait; a new visit after it starts afresh. */
const REQUEST_MAX_AGE_SECONDS = 2 * 24 * 3600;
/**
 * A UUID (36 characters of this alphabet) or at least 22 base64url characters (132 bits' room):
 * a key nobody else can guess. Optionally as a Structured Fields string (`"…"`), as the IETF
 * Idempotency-Key draft writes it.
 */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{22,255}$/;

export function requestCookieName(eventId: string): string {
  return `ar_rq_${eventId}`;
}

/** A cookie's value from a `Cookie` header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}

function cookieHeader(config: AnteroomConfig, name: string, value: string, maxAge: number): string {
  const secure = config.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
}

/** The visitor id of a `Cookie` header's signed visitor cookie, or null (absent, or not signed by us). */
export function visitorIdOf(cookies: string | undefined, signer: VisitorCookieSigner): string | null {
  return signer.verify(cookieValue(cookies, VISITOR_COOKIE));
}

/** The visitor id from the signed cookie, or null when absent or not signed by this server. */
export function readVisitorId(ctx: Context, signer: VisitorCookieSigner): string | null {
  return visitorIdOf(ctx.get('Cookie'), signer);
}

/** A new visitor id and the `Set-Cookie` value carrying it. */
export function newVisitor(
  config: AnteroomConfig,
  signer: VisitorCookieSigner,
): { id: string; setCookie: string } {
  const { id, value } = signer.issue();
  return { id, setCookie: cookieHeader(config, VISITOR_COOKIE, value, VISITOR_MAX_AGE_SECONDS) };
}

/** The visitor id, creating and setting a signed cookie when the browser has no valid one. */
export function ensureVisitorId(ctx: Context, config: AnteroomConfig, signer: VisitorCookieSigner): string {
  const existing = readVisitorId(ctx, signer);
  if (existing) return existing;
  const visitor = newVisitor(config, signer);
  ctx.append('Set-Cookie', visitor.setCookie);
  return visitor.id;
}

/** The `Idempotency-Key` header, validated; null when absent. */
export function idempotencyKeyOf(header: string | undefined): string | null {
  if (!header) return null;
  const key =
    header.length > 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new AnteroomError('invalid_idempotency_key');
  }
  return key;
}

/** What an enqueue is keyed by (`enqueueVisitor`). */
export interface EnqueueVisitor {
  visitorKey: string;
  /** The new visitor cookie to set, or null. */
  setCookie: string | null;
  /** With an `Idempotency-Key`: the key is bound to the client that first used it. */
  keyOwner: KeyOwner | null;
}

/**
 * The key that makes an enqueue idempotent: the `Idempotency-Key` header when given, else the
 * signed visitor cookie — a new one when the browser has none (`setCookie`), so its next retry
 * is recognised. An `Idempotency-Key` is bound to the client that first used it: its visitor
 * cookie when it sent one, else its address (`client`); a later client is the same one when
 * either matches.
 */
export function enqueueVisitor(
  headers: { idempotencyKey: string | undefined; cookies: string | undefined; client: string },
  config: AnteroomConfig,
  signer: VisitorCookieSigner,
): EnqueueVisitor {
  const key = idempotencyKeyOf(headers.idempotencyKey);
  const existing = visitorIdOf(headers.cookies, signer);
  if (key) {
    const address = `ip:${budgetKey(headers.client)}`;
    const owner = existing === null ? address : `vid:${existing}`;
    return {
      visitorKey: `key:${key}`,
      setCookie: null,
      keyOwner: { owner, accepted: existing === null ? [address] : [owner, address] },
    };
  }
  if (existing) return { visitorKey: `vid:${existing}`, setCookie: null, keyOwner: null };
  const visitor = newVisitor(config, signer);
  return { visitorKey: `vid:${visitor.id}`, setCookie: visitor.setCookie, keyOwner: null };
}

/** The `Set-Cookie` value carrying this browser's request id in `eventId`. */
export function requestCookieHeader(config: AnteroomConfig, eventId: string, requestId: string): string {
  return cookieHeader(config, requestCookieName(eventId), requestId, REQUEST_MAX_AGE_SECONDS);
}

/** This browser's request id in `eventId`, or null when absent or malformed. */
export function readRequestCookie(ctx: Context, eventId: string): string | null {
  const value = cookieValue(ctx.get('Cookie'), requestCookieName(eventId));
  if (!value) return null;
  try {
    return parseRequestId(value);
  } catch {
    return null;
  }
}

export function writeRequestCookie(
  ctx: Context,
  config: AnteroomConfig,
  eventId: string,
  requestId: string,
): void {
  ctx.append('Set-Cookie', requestCookieHeader(config, eventId, requestId));
}
