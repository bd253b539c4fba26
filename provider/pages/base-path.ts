/**
 * The path prefix browsers reach Anteroom under (`/prod` behind an API Gateway stage without a
 * custom domain, `/queue` behind a reverse proxy mounting it there). The apps route on
 * root-relative paths because the prefix is stripped in front of them, so every URL a page
 * hands to the browser (links, form actions, assets, the URLs its script calls) must put the
 * prefix back.
 *
 * Where it comes from, per request:
 * - the `X-Forwarded-Prefix` header, when it can be trusted: the Lambda handler always sets
 *   or removes it (`provider/lambda/http.ts` marks such requests), and a reverse proxy may set
 *   it when `limits.trustProxy` is on;
 * - otherwise the path of `config.publicUrl` (`https://x.execute-api…/prod` → `/prod`).
 * Without a prefix the result is `''`, so URLs stay exactly as they were.
 */
import type { IncomingMessage } from 'node:http';

/** What is read of a request: a Koa context (the app's, or oidc-provider's own). */
export interface PrefixedRequest {
  req: IncomingMessage;
  app: { proxy: boolean };
  get(field: string): string;
}

const PREFIX_HEADER_TRUSTED = Symbol.for('anteroom.prefixHeaderTrusted');

/** Segments of plain path characters (percent-encoding allowed); no `.`/`..`, no `//`, no comma. */
const SAFE_PREFIX = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~%!$&'()*+;=:@]+)*$/;

/** The path of a public URL, without a trailing slash: `''` at the root. */
export function publicUrlPath(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '');
}

/**
 * For the Lambda handler: this request's `X-Forwarded-Prefix` was set (or removed) by us, not
 * by the client, so it is the prefix even when the app does not trust proxies.
 */
export function trustPrefixHeader(req: IncomingMessage): void {
  (req as unknown as Record<symbol, boolean>)[PREFIX_HEADER_TRUSTED] = true;
}

function headerTrusted(ctx: PrefixedRequest): boolean {
  return (ctx.req as unknown as Record<symbol, unknown>)[PREFIX_HEADER_TRUSTED] === true;
}

/**
 * The prefix for this request. `fallback` is `publicUrlPath(config.publicUrl)`. A malformed
 * header is ignored (it must never turn an asset URL into `//other.host/...`).
 */
export function requestBasePath(ctx: PrefixedRequest, fallback: string): string {
  const fromLambda = headerTrusted(ctx);
  if (!fromLambda && !ctx.app.proxy) return fallback;
  const header = ctx.get('X-Forwarded-Prefix').trim().replace(/\/+$/, '');
  // Behind the Lambda handler no header means no prefix; behind a proxy, one that sets none.
  if (header === '') return fromLambda ? '' : fallback;
  return SAFE_PREFIX.test(header) ? header : fallback;
}
