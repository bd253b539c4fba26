/** Admin `POST /reset_initial_state` — clear an event's queue; answers once the reset is done. */
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { idempotentWrite } from '../http/idempotent-write.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const resetEvent: Step = async function resetEvent(ctx) {
  const { deps, eventId, actor } = ctx.state;
  await deps.room.reset(eventId, actor);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { message: `Event ${eventId} was reset: counters, positions and sessions are cleared.` };
};

export const resetInitialState: Step[] = [idempotentWrite, readJsonBody, readEventId, resetEvent];
