/**
 * The place receipt cookie `ar_rc_<event_id>` (queue-core/place-receipts.ts, docs/reliability.md).
 *
 * Given only to a client that keeps cookies (a browser: its request carried the visitor cookie or
 * a request cookie), since only such a client can present it again: with the place from
 * `POST /assign_queue_num` and the waiting page's join, and on the first `GET /status` or
 * `GET /queue_num` that comes without one (a browser's first enqueue has no cookie yet). A client
 * without cookies pays nothing for it, the arrival burst's enqueues included.
 *
 * Read only when the store no longer knows a request id (`GET /status`, `GET /queue_num`,
 * `POST /generate_token`, the status stream, the waiting page): a valid receipt for the position
 * the id carries re-creates the place in the queue's current era, and the answer is the restored
 * place's, with the request cookie set to its new request id. The JSON answers keep their shapes
 * (API.md section 1).
 */
import { AnteroomError } from '../../queue-core/errors.ts';
import type { QueueEntry } from '../../queue-core/types.ts';
import type { AppDeps } from '../apps/deps.ts';
import { cookieValue, requestCookieHeader, VISITOR_COOKIE } from './visitor.ts';

/** Long enough for any wait, as the request cookie. */
const RECEIPT_MAX_AGE_SECONDS = 2 * 24 * 3600;

export function receiptCookieName(eventId: string): string {
  return `ar_rc_${eventId}`;
}

/** Whether a `Cookie` header shows a client that keeps our cookies (a visitor or request cookie). */
export function keepsCookies(cookies: string | undefined): boolean {
  return cookies !== undefined && (cookies.includes(`${VISITOR_COOKIE}=`) || cookies.includes('ar_rq_'));
}

/** A client that keeps cookies and holds no receipt for `eventId` yet. */
export function lacksReceipt(cookies: string | undefined, eventId: string): boolean {
  return keepsCookies(cookies) && !(cookies as string).includes(`${receiptCookieName(eventId)}=`);
}

/**
 * The `Set-Cookie` value carrying the receipt of `place` (a position, not a pre-queue arrival),
 * naming the event's reset count as this process last read it.
 */
export async function receiptCookieHeader(
  deps: AppDeps,
  place: Pick<QueueEntry, 'eventId' | 'position' | 'entryTime'>,
): Promise<string | null> {
  if (place.position === null) return null;
  const known = deps.room.resetCount(place.eventId);
  const value = deps.placeReceipts.issue(place.eventId, {
    position: place.position,
    entryTime: place.entryTime,
    resets: typeof known === 'number' ? known : await known,
  });
  const secure = deps.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${receiptCookieName(place.eventId)}=${value}; Path=/; Max-Age=${RECEIPT_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure}`;
}

/**
 * The receipt cookie for a waiting visitor's poll that came without one (`lacksReceipt`), or null:
 * the entry as the store's index of the event has it (normally no store call).
 */
export async function receiptForPoll(
  deps: AppDeps,
  eventId: string,
  requestId: string,
  cookies: string | undefined,
): Promise<string | null> {
  if (!lacksReceipt(cookies, eventId)) return null;
  const entry = await deps.store.getEntry(eventId, requestId, { maxAgeMs: 1000 });
  return entry === null ? null : receiptCookieHeader(deps, entry);
}

/**
 * The place a lost request id had, re-created from the request's receipt cookie (and the
 * request cookie naming its new request id), or null when the request has no valid receipt for
 * it or the store cannot re-create it.
 */
export async function restoreFromReceipt(
  deps: AppDeps,
  eventId: string,
  requestId: string,
  cookies: string | undefined,
): Promise<{ entry: QueueEntry; setCookies: string[] } | null> {
  const receipt = deps.placeReceipts.verify(eventId, cookieValue(cookies, receiptCookieName(eventId)));
  if (receipt === null) return null;
  const entry = await deps.room.restorePlace(eventId, requestId, receipt);
  if (entry === null) return null;
  // Debug only: a client that keeps its old request id is restored on every call.
  deps.logger.debug(
    { event: 'place_restored', eventId, position: entry.position },
    'place re-created from its receipt',
  );
  return { entry, setCookies: [requestCookieHeader(deps.config, eventId, entry.requestId)] };
}

/** Whether `error` says the store does not know the request id (the case a receipt can mend). */
export function isUnknownRequest(error: unknown): boolean {
  return error instanceof AnteroomError && error.code === 'request_not_found';
}
