/** `GET /waiting_num` — positions assigned − tokens issued − positions expired. */
import type { Step } from '../http/context.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const waiting = await ctx.state.deps.room.waitingNum(ctx.state.eventId);
  ctx.set('Cache-Control', CACHE.shared);
  ctx.body = { waiting_num: waiting };
};

export const waitingNum: Step[] = [readEventId, respond];
