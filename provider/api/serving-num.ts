/** `GET /serving_num` — the serving counter (an integer; micro-cached per process). */
import type { Step } from '../http/context.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const serving = await ctx.state.deps.room.servingCounter(ctx.state.eventId);
  ctx.set('Cache-Control', CACHE.shared);
  ctx.body = { serving_counter: serving };
};

export const servingNum: Step[] = [readEventId, respond];
