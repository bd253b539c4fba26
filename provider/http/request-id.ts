/** Every response carries an `X-Request-Id`: the caller's when it is sane, else a fresh UUID. */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { ApiState } from './context.ts';

export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(): Middleware<ApiState> {
  return async function assignRequestId(ctx, next) {
    const incoming = ctx.get('X-Request-Id');
    const id = SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.traceId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
