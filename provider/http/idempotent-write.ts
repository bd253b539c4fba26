/**
 * `Idempotency-Key` on the admin writes (API.md section 5): the same key on the same call within
 * 24 hours answers the first result again and changes nothing, so an operator (or a script)
 * retrying after a 503 never moves a counter twice.
 *
 * The key is claimed in the store before the write runs (a durable write itself). A write that
 * answered is remembered with its answer; one refused as bad input (4xx) changed nothing and
 * gives the key up. A write that failed otherwise (a 503: the store fell over, or no replica
 * confirmed in time) may have been applied: its key stays held without an answer, and a retry
 * answers 409 `idempotency_key_in_use` instead of running it again; read the state and use a
 * new key.
 */
import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY_SECONDS } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Step } from './context.ts';
import { CACHE } from './steps.ts';
import { idempotencyKeyOf } from './visitor.ts';

interface Answer {
  status: number;
  body: unknown;
}

export const idempotentWrite: Step = async function idempotentWrite(ctx, next) {
  const key = idempotencyKeyOf(ctx.get('idempotency-key') || undefined);
  if (key === null) return next();
  const { store, nowMs } = ctx.state.deps;
  // Scoped to the call: one key on two different calls is two keys. Hashed: fixed length.
  const scoped = createHash('sha256').update(`${ctx.method} ${ctx.path}\n${key}`).digest('base64url');
  const claim = await store.claimIdempotencyKey(scoped, IDEMPOTENCY_KEY_SECONDS, nowMs());
  if (claim.kind === 'answered') {
    const answer = JSON.parse(claim.answer) as Answer;
    ctx.set('Cache-Control', CACHE.none);
    ctx.set('Idempotent-Replayed', 'true');
    ctx.status = answer.status;
    ctx.body = answer.body;
    return;
  }
  if (claim.kind === 'in_doubt') throw new AnteroomError('idempotency_key_in_use');
  try {
    await next();
  } catch (error) {
    const status = error instanceof AnteroomError ? error.status : 500;
    // Bad input changed nothing: the key is free for the corrected request.
    if (status < 500) await store.releaseIdempotencyKey(scoped).catch(() => {});
    throw error;
  }
  const answer: Answer = { status: ctx.status, body: ctx.body };
  await store.answerIdempotencyKey(scoped, JSON.stringify(answer));
};
