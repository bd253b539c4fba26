/**
 * Stage path prefixes. The apps route on root-relative paths (`/assign_queue_num`), while
 * every URL they hand out (issuer, redirects, interaction URLs) must carry whatever prefix
 * the client used (`https://abc.execute-api…/api/oidc/auth`).
 *
 * - REST APIs (payload 1.0) already strip the stage from `event.path`; `requestContext.path`
 *   keeps the path as the client sent it, so the prefix is the difference of the two (this
 *   also covers a custom domain's base-path mapping).
 * - HTTP APIs (payload 2.0) keep a named stage in `rawPath` (`/api/...`): it is removed
 *   here. Their `rawPath` is percent-decoded: it is re-encoded (`encodeDecodedPath`). The `$default` stage has no prefix. (A custom-domain API mapping is not visible in
 *   the event at all: set `ANTEROOM_PUBLIC_URL`.)
 *
 * The external base (scheme, host and prefix of generated URLs) is `ANTEROOM_PUBLIC_URL`
 * when set (behind CloudFront the issuer is the CloudFront URL, not API Gateway's), else
 * `https://<requestContext.domainName><prefix>`. The app receives it as the `Host`,
 * `X-Forwarded-Host`, `X-Forwarded-Proto` and `X-Forwarded-Prefix` headers.
 */
import type { ApiGatewayEvent } from './types.ts';
import { isHttpApiEvent } from './types.ts';

export interface StagedEvent {
  /** The event with root-relative paths (a copy when anything changed). */
  event: ApiGatewayEvent;
  /** The prefix removed (`/api`), or `''`. */
  stagePrefix: string;
}

/** Remove the stage (or base-path) prefix from the path the app will route on. */
export function stripStage(event: ApiGatewayEvent): StagedEvent {
  if (isHttpApiEvent(event)) {
    const rawPath = encodeDecodedPath(event.rawPath ?? '/');
    const stage = event.requestContext?.stage;
    const prefix = stage && stage !== '$default' ? `/${stage}` : '';
    if (!prefix || (rawPath !== prefix && !rawPath.startsWith(`${prefix}/`))) {
      return { event: rawPath === event.rawPath ? event : { ...event, rawPath }, stagePrefix: '' };
    }
    return { event: { ...event, rawPath: rawPath.slice(prefix.length) || '/' }, stagePrefix: prefix };
  }
  const full = event.requestContext?.path;
  const path = event.path || '/';
  if (typeof full !== 'string' || full.length <= path.length) return { event, stagePrefix: '' };
  // The root: `/prod` or `/prod/` against `/` leaves `/prod`.
  if (path === '/') return { event, stagePrefix: full.replace(/\/+$/, '') };
  // `/prod/a` against `/a` leaves `/prod`.
  if (!full.endsWith(path)) return { event, stagePrefix: '' };
  return { event, stagePrefix: full.slice(0, full.length - path.length).replace(/\/+$/, '') };
}

/** Characters that never appear literally in a percent-encoded path (RFC 3986 pchar and `/`). */
const NOT_IN_ENCODED_PATH = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2})/gu;

/**
 * HTTP APIs hand over `rawPath` percent-decoded: a decoded `?` or `#` would be read as URL
 * syntax by `serverless-http`, and a space or non-ASCII character is no valid request target.
 * Encode exactly those characters; an already-encoded path stays byte for byte unchanged.
 */
export function encodeDecodedPath(path: string): string {
  return path.replace(NOT_IN_ENCODED_PATH, (char) => (char === '%' ? '%25' : encodeURIComponent(char)));
}

export interface ExternalBase {
  /** `https:` or `http:` */
  protocol: string;
  /** host[:port] */
  host: string;
  /** Path prefix without a trailing slash (`''` at the root). */
  prefix: string;
}

/** Where generated URLs point: the configured public URL, else the API's own address. */
export function externalBase(
  event: ApiGatewayEvent,
  stagePrefix: string,
  publicUrl: string | null,
): ExternalBase {
  if (publicUrl) {
    const url = new URL(publicUrl);
    return { protocol: url.protocol, host: url.host, prefix: url.pathname.replace(/\/+$/, '') };
  }
  const domainName = (event.requestContext as { domainName?: string } | undefined)?.domainName;
  const host = domainName || headerOf(event, 'host') || 'localhost';
  return { protocol: 'https:', host, prefix: stagePrefix };
}

/** A request header of either payload format, by lower-case name; repeated values comma-joined. */
export function headerOf(event: ApiGatewayEvent, name: string): string | undefined {
  const values: string[] = [];
  if (!isHttpApiEvent(event) && event.multiValueHeaders) {
    for (const [key, list] of Object.entries(event.multiValueHeaders)) {
      if (key.toLowerCase() === name) values.push(...list);
    }
    if (values.length > 0) return values.join(',');
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) values.push(value);
  }
  return values.length > 0 ? values.join(',') : undefined;
}

/** The path the app routes on, after `stripStage`. */
export function routePath(event: ApiGatewayEvent): string {
  return isHttpApiEvent(event) ? event.rawPath : event.path || '/';
}

export function httpMethod(event: ApiGatewayEvent): string {
  return (isHttpApiEvent(event) ? event.requestContext?.http?.method : event.httpMethod) ?? 'GET';
}
