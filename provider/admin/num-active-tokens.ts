/** Admin `GET /num_active_tokens` — sessions with an active, unexpired token. */
import type { Step } from '../http/context.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const active = await ctx.state.deps.room.activeTokens(ctx.state.eventId);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { active_tokens: active };
};

export const numActiveTokens: Step[] = [readEventId, respond];
