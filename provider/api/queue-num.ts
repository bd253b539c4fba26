/** `GET /queue_num` — the position and entry time of a request id. */
import type { QueueEntry } from '../../queue-core/types.ts';
import type { Step } from '../http/context.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const loadEntry: Step = async function loadEntry(ctx, next) {
  ctx.state.entry = await ctx.state.deps.room.getEntry(ctx.state.eventId, ctx.state.requestId);
  await next();
};

const respond: Step = function respond(ctx) {
  const entry = ctx.state.entry as QueueEntry;
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
