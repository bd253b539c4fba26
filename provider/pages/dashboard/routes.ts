/**
 * The operator dashboard's page on the admin app: `GET /`. The page carries no data and no
 * secret; its script asks the operator for the admin key and calls the admin API with it.
 */
import type Koa from 'koa';
import { sendPage } from '../headers.ts';
import { renderDashboardPage } from './render.ts';

export function dashboardRoutes(publicUrl: string): Koa.Middleware {
  const document = renderDashboardPage(publicUrl);
  return async function dashboardPage(ctx, next) {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    sendPage(ctx, 200, document);
  };
}
