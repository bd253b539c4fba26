/**
 * The operator dashboard's page on the admin app: `GET /`. The page carries no data and no
 * secret; its script asks the operator for the admin key and calls the admin API with it.
 * Under a path prefix (an API Gateway stage, a proxy's location; see base-path.ts) its asset
 * and API URLs carry the prefix. The admin app has no public URL of its own, so without a
 * trusted prefix header there is none.
 */
import type Koa from 'koa';
import { requestBasePath } from '../base-path.ts';
import { sendPage } from '../headers.ts';
import { renderDashboardPage } from './render.ts';

export function dashboardRoutes(publicUrl: string): Koa.Middleware {
  const documents = new Map<string, string>();
  return async function dashboardPage(ctx, next) {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const basePath = requestBasePath(ctx, '');
    let document = documents.get(basePath);
    if (document === undefined) {
      document = renderDashboardPage(publicUrl, basePath);
      // Prefixes come from our gateway or a trusted proxy: a handful. Bound it all the same.
      if (documents.size < 16) documents.set(basePath, document);
    }
    sendPage(ctx, 200, document);
  };
}
