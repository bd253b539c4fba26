/**
 * The pages: the visitor's waiting page (public app) and the operator's dashboard (admin app).
 * Both are Koa middlewares the server mounts; they answer only their own paths and pass the rest on.
 */
import type Koa from 'koa';
import type { AppDeps } from '../apps/deps.ts';
import { serveAssets } from './assets.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { sampleSiteOnward, sampleSiteRoutes } from './sample-site/routes.ts';
import { themeCss } from './theme.ts';
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

const PUBLIC_ASSETS = [
  'waiting-room.js',
  'entry-challenge.js',
  'pow-worker.js',
  'anteroom.css',
  'favicon.svg',
];
const ADMIN_ASSETS = ['dashboard.js', 'anteroom.css', 'favicon.svg'];

function chain(first: Koa.Middleware, second: Koa.Middleware): Koa.Middleware {
  return (ctx, next) => first(ctx, () => second(ctx, next));
}

/**
 * Public app: `GET /`, `GET /waiting-room/:event_id`, its two form actions, `/assets/*` of the
 * page, and — when `config.sampleSite` is on — the sample relying party under `/sample-site/`
 * (the waiting page of its event then sends admitted visitors there).
 */
export function publicPages(deps: AppDeps, options: WaitingPageOptions = {}): Koa.Middleware {
  const assets = serveAssets(PUBLIC_ASSETS, { 'theme.css': themeCss(deps.config.pages.theme) });
  const pages = chain(assets, waitingRoutes(deps, withSampleSiteOnward(deps, options)));
  return deps.config.sampleSite ? chain(sampleSiteRoutes(deps), pages) : pages;
}

function withSampleSiteOnward(deps: AppDeps, options: WaitingPageOptions): WaitingPageOptions {
  const onward = sampleSiteOnward(deps.config);
  if (onward === null || options.onwardFor !== undefined) return options;
  return { ...options, onwardFor: onward };
}

/** Admin app: `GET /` (the dashboard) and its `/assets/*`; every other path passes on. */
export function adminDashboard(deps: AppDeps): Koa.Middleware {
  return chain(serveAssets(ADMIN_ASSETS), dashboardRoutes(deps.config.publicUrl));
}
