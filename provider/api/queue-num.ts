/** `GET /queue_num` — the position and entry time of a request id. */
import type { QueueEntry } from '../../queue-core/types.ts';
import type { Step } from '../http/context.ts';
import { codeBody } from '../http/errors.ts';
import {
  isUnknownRequest,
  lacksReceipt,
  receiptCookieHeader,
  restoreFromReceipt,
} from '../http/place-receipt.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const loadEntry: Step = async function loadEntry(ctx, next) {
  const { deps, eventId, requestId } = ctx.state;
  const cookies = ctx.get('Cookie') || undefined;
  try {
    const entry = await deps.room.getEntry(eventId, requestId);
    ctx.state.entry = entry;
    // A browser's first poll: the receipt its first enqueue (without cookies yet) did not get.
    if (lacksReceipt(cookies, eventId)) {
      const receipt = await receiptCookieHeader(deps, entry);
      if (receipt !== null) ctx.append('Set-Cookie', receipt);
    }
  } catch (error) {
    // A place the store lost, re-created from the visitor's receipt (http/place-receipt.ts).
    const restored = isUnknownRequest(error)
      ? await restoreFromReceipt(deps, eventId, requestId, cookies)
      : null;
    if (restored === null) throw error;
    for (const cookie of restored.setCookies) ctx.append('Set-Cookie', cookie);
    ctx.state.entry = restored.entry;
  }
  await next();
};

const respond: Step = async function respond(ctx) {
  const entry = ctx.state.entry as QueueEntry;
  if (entry.position === null) {
    // In a pre-queue (API.md section 6): the position comes with the draw at `starts_at`.
    const event = await ctx.state.deps.room.getEvent(entry.eventId);
    ctx.set('Cache-Control', CACHE.private);
    ctx.status = 202;
    ctx.body = { ...codeBody('prequeue'), phase: 'prequeue', starts_at: event.schedule?.startAt ?? null };
    return;
  }
  // Position and entry time never change for a request id (until a reset).
  ctx.set('Cache-Control', CACHE.entry);
  ctx.body = {
    queue_number: entry.position,
    entry_time: entry.entryTime,
    event_id: entry.eventId,
    status: 1,
  };
};

export const queueNum: Step[] = [readEventId, readRequestId, loadEntry, respond];
