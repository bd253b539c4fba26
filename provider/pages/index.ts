/**
 * The pages: the visitor's waiting page (public app) and the operator's dashboard (admin app).
 * Both are Koa middlewares the server mounts; they answer only their own paths and pass the rest on.
 */
import type Koa from 'koa';
import type { AppDeps } from '../deps.ts';
import { serveAssets } from './assets.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { type WaitingPageOptions, waitingRoutes } from './waiting/routes.ts';

export type { WaitingPageOptions } from './waiting/routes.ts';

/**
 * Admin-app paths served WITHOUT the bearer key: the dashboard page and its static assets.
 * The page holds no data; everything it shows comes from admin API calls that carry the key
 * the operator types in. Mount `adminDashboard` before the admin auth middleware, or exempt
 * exactly these paths (GET/HEAD only) from it.
 */
export const ADMIN_PUBLIC_PATHS: readonly string[] = [
  '/',
  '/assets/dashboard.js',
  '/assets/anteroom.css',
  '/assets/favicon.svg',
];

const PUBLIC_ASSETS = ['waiting-room.js', 'anteroom.css', 'favicon.svg'];
const ADMIN_ASSETS = ['dashboard.js', 'anteroom.css', 'favicon.svg'];

function chain(first: Koa.Middleware, second: Koa.Middleware): Koa.Middleware {
  return (ctx, next) => first(ctx, () => second(ctx, next));
}

/** Public app: `GET /`, `GET /waiting-room/:event_id`, its two form actions, and `/assets/*` of the page. */
export function publicPages(deps: AppDeps, options: WaitingPageOptions = {}): Koa.Middleware {
  return chain(serveAssets(PUBLIC_ASSETS), waitingRoutes(deps, options));
}

/** Admin app: `GET /` (the dashboard) and its `/assets/*`; every other path passes on. */
export function adminDashboard(deps: AppDeps): Koa.Middleware {
  return chain(serveAssets(ADMIN_ASSETS), dashboardRoutes(deps.config.publicUrl));
}
