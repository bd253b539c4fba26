/**
 * The OpenID Connect provider loaded by the first request under `/oidc`, not before: on Lambda
 * a container whose first request is a queue API call never loads oidc-provider (the largest
 * part of a cold start, bench/lambda-cold.ts). Requests under `/oidc` wait for the one load; a
 * load that fails (a client the provider refuses, its state store unreachable) is logged,
 * answers 503 with Retry-After, and is tried again by the next request under `/oidc`.
 *
 * This module imports nothing of the provider, so a bundle keeps oidc-provider out of the code
 * that runs at start (`import()` of `./index.ts` is where the split happens).
 */
import type Koa from 'koa';
import { RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';

/** Where the provider is mounted inside the public app. */
export const OIDC_MOUNT_PATH = '/oidc';

export function isOidcPath(path: string): boolean {
  return path === OIDC_MOUNT_PATH || path.startsWith(`${OIDC_MOUNT_PATH}/`);
}

export function oidcOnDemand(
  load: () => Promise<Koa.Middleware>,
  onError: (error: unknown) => void,
): Koa.Middleware {
  let loading: Promise<Koa.Middleware> | null = null;
  return async function oidcProviderOnDemand(ctx, next) {
    if (!isOidcPath(ctx.path)) return next();
    if (loading === null) {
      const attempt = load();
      loading = attempt;
      attempt.catch((error: unknown) => {
        if (loading === attempt) loading = null;
        onError(error);
      });
    }
    let middleware: Koa.Middleware;
    try {
      middleware = await loading;
    } catch (error) {
      throw new AnteroomError(
        'service_unavailable',
        'The sign-in service is temporarily unavailable. Please retry shortly.',
        { retryAfter: RETRY_AFTER_SECONDS.storeUnavailable, cause: error },
      );
    }
    return middleware(ctx, next);
  };
}
