/**
 * The public app: the queue API (API.md §1), the waiting pages, and — mounted by the OIDC
 * provider through `beforeRoutes` — the OpenID Connect provider under `/oidc`.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { assignQueueNum } from '../api/assign-queue-num.ts';
import { draw, drawParticipants } from '../api/draw.ts';
import { eventStream } from '../api/event-stream.ts';
import { generateToken } from '../api/generate-token.ts';
import { healthz } from '../api/healthz.ts';
import { jwks } from '../api/jwks.ts';
import { publicKey } from '../api/public-key.ts';
import { queueNum } from '../api/queue-num.ts';
import { queuePosExpiry } from '../api/queue-pos-expiry.ts';
import { servingNum } from '../api/serving-num.ts';
import { status } from '../api/status.ts';
import { waitingNum } from '../api/waiting-num.ts';
import { resolveClientAddress } from '../http/client-address.ts';
import type { ApiState } from '../http/context.ts';
import { cors } from '../http/cors.ts';
import { koaEndpoint } from '../http/endpoint.ts';
import { renderErrors } from '../http/errors.ts';
import { requestId } from '../http/request-id.ts';
import { publicPages } from '../pages/index.ts';
import { measureHttp } from '../telemetry/metrics.ts';
import type { AppDeps } from './deps.ts';

export interface PublicAppOptions {
  /** Mounted after the common middleware and before the queue API and pages (e.g. the OIDC provider). */
  beforeRoutes?: Koa.Middleware[];
}

/** Paths of the JSON API: CORS and JSON errors apply to these (the pages and OIDC have their own rules). */
const API_PATHS = new Set([
  '/assign_queue_num',
  '/queue_num',
  '/serving_num',
  '/waiting_num',
  '/generate_token',
  '/public_key',
  '/queue_pos_expiry',
  '/status',
  '/.well-known/jwks.json',
  '/healthz',
]);
const STREAM_PATH = /^\/events\/[^/]+\/stream$/;
const DRAW_PATH = /^\/events\/[^/]+\/draw(\/participants)?$/;

export function isPublicApiPath(path: string): boolean {
  return API_PATHS.has(path) || STREAM_PATH.test(path) || DRAW_PATH.test(path);
}

export function publicApiRouter(): Router<ApiState> {
  const router = new Router<ApiState>();
  router.post('/assign_queue_num', koaEndpoint(assignQueueNum));
  router.get('/queue_num', ...queueNum);
  router.get('/serving_num', koaEndpoint(servingNum));
  router.get('/waiting_num', koaEndpoint(waitingNum));
  router.post('/generate_token', ...generateToken);
  router.get('/public_key', ...publicKey);
  router.get('/queue_pos_expiry', ...queuePosExpiry);
  router.get('/status', koaEndpoint(status));
  router.get('/events/:event_id/stream', ...eventStream);
  router.get('/events/:event_id/draw', ...draw);
  router.get('/events/:event_id/draw/participants', ...drawParticipants);
  router.get('/.well-known/jwks.json', ...jwks);
  router.get('/healthz', ...healthz);
  return router;
}

export function createPublicApp(deps: AppDeps, options: PublicAppOptions = {}): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = deps.config.limits.trustProxy;
  // Errors are rendered by `renderErrors`; Koa's own handler would print stacks to stderr.
  app.silent = true;
  const router = publicApiRouter();
  const apiCors = cors('GET,POST,OPTIONS');

  app.use(function provideDeps(ctx, next) {
    ctx.state.deps = deps;
    return next();
  });
  app.use(requestId());
  app.use(resolveClientAddress(deps.config.limits));
  app.use(measureHttp(deps.metrics, 'public'));
  app.use(function corsForApi(ctx, next) {
    return isPublicApiPath(ctx.path) ? apiCors(ctx, next) : next();
  });
  app.use(renderErrors());
  for (const middleware of options.beforeRoutes ?? []) app.use(middleware);
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(publicPages(deps) as Koa.Middleware<ApiState>);
  return app;
}
