/**
 * The client address every per-client limit and log line uses, the same on every surface
 * (Koa apps, the enqueue hot path, the Lambda handlers):
 *
 * 1. `limits.clientAddressHeader`, when set and present: a header the proxy in front sets to the
 *    address it saw (CloudFront Functions `event.viewer.ip`, nginx `$remote_addr`), replacing any
 *    value the client sent. Only safe when every request passes that proxy.
 * 2. With `limits.trustProxy`, `X-Forwarded-For`: the entry `trustedProxyHops` places from its
 *    end, which the outermost trusted proxy appended and the client cannot forge; with 0 hops
 *    (`trustProxy: true`) the first entry, which a client can forge when the proxy appends.
 * 3. Otherwise the peer address of the connection.
 */
import type { Middleware } from 'koa';
import type { AnteroomConfig } from '../config/server-config.ts';

type Limits = Pick<AnteroomConfig['limits'], 'trustProxy' | 'trustedProxyHops' | 'clientAddressHeader'>;
type HeaderValue = string | string[] | undefined;

function firstValue(value: HeaderValue): string {
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  const comma = text.indexOf(',');
  return (comma < 0 ? text : text.slice(0, comma)).trim();
}

function forwardedFor(value: HeaderValue, hops: number): string {
  if (value === undefined) return '';
  const entries = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return '';
  // Fewer entries than hops: the request reached a trusted proxy directly, so the first
  // entry is the address that proxy saw.
  return hops === 0 ? (entries[0] as string) : (entries[Math.max(0, entries.length - hops)] as string);
}

/** `headers` as Node gives them (lower-case names). */
export function clientAddress(
  headers: Record<string, HeaderValue>,
  peer: string | undefined,
  limits: Limits,
): string {
  if (limits.clientAddressHeader !== null) {
    const address = firstValue(headers[limits.clientAddressHeader]);
    if (address) return address;
  }
  if (limits.trustProxy) {
    const address = forwardedFor(headers['x-forwarded-for'], limits.trustedProxyHops);
    if (address) return address;
  }
  return peer ?? '';
}

/** Sets Koa's `ctx.ip` by the rules above (Koa alone knows only rule 2 with 0 hops). */
export function resolveClientAddress(limits: Limits): Middleware {
  return function resolveClientAddress(ctx, next) {
    ctx.request.ip = clientAddress(ctx.req.headers, ctx.req.socket?.remoteAddress, limits);
    return next();
  };
}
