/** `GET /status` — everything a waiting page needs in one call. */
import type { Step } from '../http/context.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const status = await ctx.state.deps.room.status(ctx.state.eventId, ctx.state.requestId);
  ctx.set('Cache-Control', CACHE.private);
  ctx.body = status;
};

export const status: Step[] = [readEventId, readRequestId, respond];
