/** Every response carries an `X-Request-Id`: the caller's when it is sane, else a fresh one. */
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import type { ApiState } from './context.ts';

export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Random per process (and per Lambda container), so ids of different processes never meet. */
const PROCESS_TAG = randomBytes(6).toString('hex');
let sequence = 0;

/**
 * A fresh trace id, unique across processes: `<process tag>-<sequence>`. It only has to tell
 * log lines apart, not be unguessable, so every polled answer skips a UUID's formatting.
 */
export function newTraceId(): string {
  sequence += 1;
  return `${PROCESS_TAG}-${sequence.toString(36)}`;
}

/** The caller's `X-Request-Id` when it is sane, else a fresh trace id. */
export function traceIdOf(incoming: string | undefined): string {
  return incoming && SANE_REQUEST_ID.test(incoming) ? incoming : newTraceId();
}

export function requestId(): Middleware<ApiState> {
  return async function assignRequestId(ctx, next) {
    const id = traceIdOf(ctx.get('X-Request-Id'));
    ctx.state.traceId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
