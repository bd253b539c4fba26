/**
 * The private admin app (API.md §2): a separate listener, `Authorization: Bearer <admin key>`
 * or an AWS SigV4 signature (`http/admin-auth.ts`) on every route but `/healthz` and the
 * dashboard page's static files (the page holds no data; every call it makes carries the key
 * the operator types in).
 */
import Router from '@koa/router';
import Koa from 'koa';
import { audit } from '../admin/audit.ts';
import { expiredTokens } from '../admin/expired-tokens.ts';
import { adminGenerateToken } from '../admin/generate-token.ts';
import { getEvent } from '../admin/get-event.ts';
import { incrementServingCounter } from '../admin/increment-serving-counter.ts';
import { listEvents } from '../admin/list-events.ts';
import { metrics } from '../admin/metrics.ts';
import { numActiveTokens } from '../admin/num-active-tokens.ts';
import { originHealth } from '../admin/origin-health.ts';
import { putEvent } from '../admin/put-event.ts';
import { resetInitialState } from '../admin/reset-initial-state.ts';
import { updateSessionStatus } from '../admin/update-session.ts';
import { healthz } from '../api/healthz.ts';
import { requireAdmin } from '../http/admin-auth.ts';
import { resolveClientAddress } from '../http/client-address.ts';
import type { ApiState } from '../http/context.ts';
import { cors } from '../http/cors.ts';
import { renderErrors } from '../http/errors.ts';
import { requestId } from '../http/request-id.ts';
import { adminDashboard } from '../pages/index.ts';
import { measureHttp } from '../telemetry/metrics.ts';
import type { AppDeps } from './deps.ts';

export function adminApiRouter(): Router<ApiState> {
  const router = new Router<ApiState>();
  router.post('/generate_token', ...adminGenerateToken);
  router.post('/increment_serving_counter', ...incrementServingCounter);
  router.get('/num_active_tokens', ...numActiveTokens);
  router.get('/expired_tokens', ...expiredTokens);
  router.post('/update_session', ...updateSessionStatus);
  router.post('/reset_initial_state', ...resetInitialState);
  router.get('/events', ...listEvents);
  router.get('/events/:id', ...getEvent);
  router.put('/events/:id', ...putEvent);
  router.get('/metrics', ...metrics);
  router.get('/audit', ...audit);
  router.post('/origin_health', ...originHealth);
  router.get('/healthz', ...healthz);
  return router;
}

export function createAdminApp(deps: AppDeps): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = deps.config.limits.trustProxy;
  app.silent = true;
  const router = adminApiRouter();

  app.use(function provideDeps(ctx, next) {
    ctx.state.deps = deps;
    return next();
  });
  app.use(requestId());
  app.use(resolveClientAddress(deps.config.limits));
  app.use(measureHttp(deps.metrics, 'admin'));
  app.use(cors('GET,POST,PUT,OPTIONS'));
  app.use(renderErrors());
  app.use(adminDashboard(deps) as Koa.Middleware<ApiState>);
  app.use(requireAdmin(deps));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
