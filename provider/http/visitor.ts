/**
 * The visitor cookie and the per-event request cookie.
 *
 * - `anteroom_vid`: a long-lived random visitor id (HttpOnly, SameSite=Lax, Secure when the
 *   public URL is https). It makes enqueue idempotent per browser: a retry or a reload gets
 *   the same request id and position. An `Idempotency-Key` header does the same for API clients.
 * - `ar_rq_<event_id>`: the request id of this browser in one event, so a page without
 *   JavaScript can show the visitor's state on a plain reload.
 *
 * Exported for the pages and the OIDC interaction, so every surface agrees on the names.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { AnteroomError } from '../../queue-core/errors.ts';
import { parseRequestId } from '../../queue-core/validate.ts';
import type { AnteroomConfig } from '../config/server-config.ts';

export const VISITOR_COOKIE = 'anteroom_vid';
const VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;
const VISITOR_MAX_AGE_SECONDS = 365 * 24 * 3600;
/** Long enough for any wait; a new visit after it starts afresh. */
const REQUEST_MAX_AGE_SECONDS = 2 * 24 * 3600;
/** Printable ASCII without spaces, like the IETF Idempotency-Key drafts' examples. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

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

/** The visitor id in a `Cookie` header, or null when absent or malformed. */
function visitorIdOf(cookies: string | undefined): string | null {
  const value = cookieValue(cookies, VISITOR_COOKIE);
  return value && VISITOR_ID.test(value) ? value : null;
}

/** The visitor id from the cookie, or null when absent or malformed. */
export function readVisitorId(ctx: Context): string | null {
  return visitorIdOf(ctx.get('Cookie'));
}

/** The visitor id, creating and setting the cookie when the browser has none. */
export function ensureVisitorId(ctx: Context, config: AnteroomConfig): string {
  const existing = readVisitorId(ctx);
  if (existing) return existing;
  const id = newVisitorId();
  ctx.append('Set-Cookie', cookieHeader(config, VISITOR_COOKIE, id, VISITOR_MAX_AGE_SECONDS));
  return id;
}

/** 122 random bits; `randomUUID` draws from Node's pooled entropy, cheaper than `randomBytes` per call. */
function newVisitorId(): string {
  return randomUUID().replaceAll('-', '');
}

/** The `Idempotency-Key` header, validated; null when absent. */
export function idempotencyKeyOf(key: string | undefined): string | null {
  if (!key) return null;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new AnteroomError('invalid_idempotency_key');
  }
  return key;
}

/**
 * The key that makes an enqueue idempotent: the `Idempotency-Key` header when given, else the
 * visitor cookie — a new one when the browser has none (`setCookie`), so its next retry is
 * recognised.
 */
export function enqueueVisitorKey(
  idempotencyKey: string | undefined,
  cookies: string | undefined,
  config: AnteroomConfig,
): { visitorKey: string; setCookie: string | null } {
  const key = idempotencyKeyOf(idempotencyKey);
  if (key) return { visitorKey: `key:${key}`, setCookie: null };
  const existing = visitorIdOf(cookies);
  if (existing) return { visitorKey: `vid:${existing}`, setCookie: null };
  const id = newVisitorId();
  return {
    visitorKey: `vid:${id}`,
    setCookie: cookieHeader(config, VISITOR_COOKIE, id, VISITOR_MAX_AGE_SECONDS),
  };
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
