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

export function setSecurityHeaders(ctx: Koa.Context, policy: string = CONTENT_SECURITY_POLICY): void {
  ctx.set('Content-Security-Policy', policy);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  // Not no-referrer: Chromium then sends `Origin: null` with our own form posts, which the origin check refuses.
  ctx.set('Referrer-Policy', 'same-origin');
}

/**
 * A server-rendered page: per visitor, so never stored by a shared cache. A page that shows a
 * captcha widget passes it, and its policy lets that provider's sources in.
 */
export function sendPage(ctx: Koa.Context, status: number, document: string, widget?: Widget): void {
  setSecurityHeaders(ctx, widget === undefined ? CONTENT_SECURITY_POLICY : widgetSecurityPolicy(widget));
  ctx.set('Cache-Control', 'no-store');
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = document;
}

/**
 * The words of this page: the offered language the visitor prefers. When there is a choice, the
 * answer says it depends on `Accept-Language`.
 */
export function pageTextOf(ctx: Koa.Context, pages: PageLanguages): PageText {
  if (pages.offered.length > 1) ctx.vary('Accept-Language');
  return pageTextFor(pages, ctx.get('Accept-Language'));
}
