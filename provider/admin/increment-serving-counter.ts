/** Admin `POST /increment_serving_counter` — move the serving counter (never below 0). */
import { parseIncrement } from '../../queue-core/validate.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { idempotentWrite } from '../http/idempotent-write.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const readIncrement: Step = async function readIncrement(ctx, next) {
  const raw = ctx.state.body.increment_by;
  // JSON numbers only: a string "5" in a JSON body is a client bug, not an integer.
  ctx.state.incrementBy = parseIncrement(typeof raw === 'string' ? Number.NaN : raw);
  await next();
};

const incrementCounter: Step = async function incrementCounter(ctx) {
  const { deps, eventId, actor } = ctx.state;
  const serving = await deps.room.incrementServingCounter(eventId, ctx.state.incrementBy as number, actor);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { serving_num: serving };
};

export const incrementServingCounter: Step[] = [
  idempotentWrite,
  readJsonBody,
  readEventId,
  readIncrement,
  incrementCounter,
];
