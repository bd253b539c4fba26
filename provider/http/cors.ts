/**
 * CORS for the public API and the admin API: any origin (no cookies are needed for the JSON
 * API, and the AWS control panel calls the admin API from a browser, signing with SigV4), and
 * preflights answered before authentication.
 */
import type { Middleware } from 'koa';
import type { ApiState } from './context.ts';

/**
 * The request headers the AWS solution's control panel signs with (aws4fetch) and the AWS
 * clients' signers may add; the CDK private API allows the same ones.
 */
export const SIGV4_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'X-Amz-Date',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
] as const;

/** The entry challenge's answer and the site's enqueue token (API.md section 6). */
export const CHALLENGE_HEADER = 'anteroom-challenge';
export const ENQUEUE_TOKEN_HEADER = 'anteroom-enqueue-token';

const ALLOW_HEADERS = [
  ...SIGV4_REQUEST_HEADERS,
  'Idempotency-Key',
  'Anteroom-Challenge',
  'Anteroom-Enqueue-Token',
  'X-Request-Id',
  'X-Api-Key',
  'Last-Event-ID',
].join(',');
export const EXPOSE_HEADERS = 'Retry-After,X-Request-Id';

/** The CORS headers of every API answer (the Koa middleware below, and the fast path). */
export const API_CORS_HEADERS = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': EXPOSE_HEADERS,
});

export function cors(methods = 'GET,POST,PUT,OPTIONS'): Middleware<ApiState> {
  return async function allowCrossOrigin(ctx, next) {
    ctx.set(API_CORS_HEADERS);
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
