/**
 * CORS for the public API and the admin API: any origin (no cookies are needed for the JSON
 * API, and the AWS control panel calls the admin API from a browser with a bearer key), and
 * preflights answered before authentication.
 */
import type { Middleware } from 'koa';
import type { ApiState } from './context.ts';

const ALLOW_HEADERS =
  'Content-Type,Authorization,Idempotency-Key,X-Request-Id,X-Amz-Date,X-Api-Key,X-Amz-Security-Token,Last-Event-ID';
export const EXPOSE_HEADERS = 'Retry-After,X-Request-Id';

export function cors(methods = 'GET,POST,PUT,OPTIONS'): Middleware<ApiState> {
  return async function allowCrossOrigin(ctx, next) {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', methods);
      ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
