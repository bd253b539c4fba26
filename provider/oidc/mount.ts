/**
 * Mounting the provider in the public Koa app, without koa-mount.
 *
 * Requests under the mount path go to the provider's own `callback()`, so the provider runs in
 * its own Koa context with its own cookie keys: the `_ar_interaction` cookie is written and read
 * through the same keys (the mounted-cookie trap of oidc-provider cannot happen). The waiting
 * room's own routes (`/interaction/…`, `/me`) are answered first, in the outer context.
 *
 * The prefix the browser sees comes from the issuer, not from the request: behind API Gateway a
 * stage (`/prod`) is stripped from the path the app receives, yet discovery, the interaction
 * redirect and the resume URL all keep it.
 */
import type Koa from 'koa';
import type { Provider } from 'oidc-provider';
import { RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { asPublicOrigin } from './public-origin.ts';

export interface MountOptions {
  /** Path of the mount inside the outer app (`/oidc`). */
  mountPath: string;
  /** Path of the issuer as browsers see it (`/oidc`, `/api/oidc`, `/prod/oidc`). */
  issuerPath: string;
  /**
   * Routes answered before the provider: true when handled, false to hand the request to the
   * provider as it came, or the URL (below the mount) to hand it over as (a parked request).
   */
  before: (ctx: Koa.Context, rest: string) => Promise<boolean | { url: string }>;
  /** The public URL: the scheme and host every request reaches the provider with (public-origin.ts). */
  publicUrl: URL;
}

export function mountProvider(provider: Provider, options: MountOptions): Koa.Middleware {
  const { mountPath, issuerPath } = options;
  // oidc-provider builds endpoint URLs from `ctx.mountPath` when the request carries no
  // `originalUrl` (Express sets one; Koa does not).
  provider.use(async (ctx, next) => {
    (ctx as { mountPath?: string }).mountPath = issuerPath;
    await next();
    // `temporarily_unavailable` (a store outage, see outage.ts): tell clients when to retry.
    if (ctx.status === 503) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS.storeUnavailable));
  });
  const handle = provider.callback();

  return async function oidcProvider(ctx, next) {
    if (ctx.path !== mountPath && !ctx.path.startsWith(`${mountPath}/`)) return next();
    const rest = ctx.path.slice(mountPath.length) || '/';
    const routed = await options.before(ctx, rest);
    if (routed === true) return;
    const url = ctx.req.url;
    const search = ctx.querystring === '' ? '' : `?${ctx.querystring}`;
    ctx.req.url = routed === false ? `${rest}${search}` : routed.url;
    delete (ctx.req as { originalUrl?: string }).originalUrl;
    // The provider writes the response itself.
    ctx.respond = false;
    try {
      await asPublicOrigin(ctx.req, options.publicUrl, ctx.ip, () => handle(ctx.req, ctx.res));
    } finally {
      ctx.req.url = url;
    }
  };
}
