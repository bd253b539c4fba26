/**
 * Response headers for every page and asset we serve: a strict Content-Security-Policy (our
 * own origin only, no inline script or style, no framing), and no caching of per-visitor pages.
 */
import type Koa from 'koa';
import { type PageLanguages, type PageText, pageTextFor } from './waiting/messages.ts';
import type { Widget } from './waiting/widgets.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The policy of a page showing a captcha widget: the provider's sources added to the directives
 * its script, frame, calls and styles need, and to nothing else.
 */
export function widgetSecurityPolicy(widget: Widget): string {
  const { script, frame, connect, style } = widget.sources;
  const self = (extra: string[]) => ["'self'", ...extra].join(' ');
  return [
    "default-src 'self'",
    `script-src ${self(script)}`,
    `style-src ${self(style)}`,
    "img-src 'self'",
    `connect-src ${self(connect)}`,
    `frame-src ${self(frame)}`,
    "font-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The security headers of a page or asset, in the order they are set. */
export function securityHeaders(policy: string = CONTENT_SECURITY_POLICY): Array<[string, string]> {
  return [
    ['Content-Security-Policy', policy],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    // Not no-referrer: Chromium then sends `Origin: null` with our own form posts, which the origin check refuses.
    ['Referrer-Policy', 'same-origin'],
  ];
}

export function setSecurityHeaders(ctx: Koa.Context, policy: string = CONTENT_SECURITY_POLICY): void {
  for (const [name, value] of securityHeaders(policy)) ctx.set(name, value);
}

/**
 * The headers of a server-rendered page (`sendPage`), without Koa: the security headers (a
 * widget's policy when it shows one) and no caching. `Content-Type` is `PAGE_CONTENT_TYPE`.
 */
export function pageHeaders(widget?: Widget): Array<[string, string]> {
  const policy = widget === undefined ? CONTENT_SECURITY_POLICY : widgetSecurityPolicy(widget);
  return [...securityHeaders(policy), ['Cache-Control', 'no-store']];
}

export const PAGE_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * A server-rendered page: per visitor, so never stored by a shared cache. A page that shows a
 * captcha widget passes it, and its policy lets that provider's sources in.
 */
export function sendPage(ctx: Koa.Context, status: number, document: string, widget?: Widget): void {
  for (const [name, value] of pageHeaders(widget)) ctx.set(name, value);
  ctx.status = status;
  ctx.type = PAGE_CONTENT_TYPE;
  ctx.body = document;
}

/**
 * The words of this page: the offered language the visitor prefers. When there is a choice, the
 * answer says it depends on `Accept-Language`.
 */
export function pageTextOf(ctx: Koa.Context, pages: PageLanguages): PageText {
  return pageTextByHeader(pages, ctx.get('Accept-Language'), (field) => ctx.vary(field));
}

/** `pageTextOf` without Koa: `vary` is told the request header the answer then depends on. */
export function pageTextByHeader(
  pages: PageLanguages,
  acceptLanguage: string,
  vary: (field: string) => void,
): PageText {
  if (pages.offered.length > 1) vary('Accept-Language');
  return pageTextFor(pages, acceptLanguage);
}
