/**
 * The client address every per-client limit and log line uses, the same on every surface
 * (Koa apps, the enqueue hot path, the Lambda handlers):
 *
 * 1. `limits.clientAddressHeader`, when set and present: a header the proxy in front sets to the
 *    address it saw (CloudFront Functions `event.viewer.ip`, nginx `$remote_addr`), replacing any
 *    value the client sent. Only safe when every request passes that proxy.
 * 2. With trusted proxies (`limits.trustProxy`), the right-most `X-Forwarded-For` entry that no
 *    trusted proxy wrote: with a hop count N, the entry N places from its end (each proxy
 *    appends the address it saw; the last one is the peer); with proxy networks, walking from
 *    the peer leftwards, the first address outside them (a peer outside them is the client, and
 *    whatever it wrote in the header is ignored). Entries left of it are the client's own
 *    writing and never count.
 * 3. Otherwise the peer address of the connection.
 */
import { BlockList, isIP } from 'node:net';
import type { Middleware } from 'koa';
import type { AnteroomConfig } from '../config/server-config.ts';

type Limits = Pick<AnteroomConfig['limits'], 'trustProxy' | 'trustedProxyHops' | 'clientAddressHeader'> & {
  trustedProxyNetworks?: readonly string[];
};
type HeaderValue = string | string[] | undefined;

function firstValue(value: HeaderValue): string {
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  const comma = text.indexOf(',');
  return (comma < 0 ? text : text.slice(0, comma)).trim();
}

function forwardedEntries(value: HeaderValue): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** The entry `hops` places from the end (fewer entries: the first, which the outermost proxy saw). */
function byHops(entries: string[], hops: number): string {
  if (entries.length === 0) return '';
  return entries[Math.max(0, entries.length - hops)] as string;
}

/** The networks as one matcher, built once per configured list. */
const matchers = new WeakMap<readonly string[], BlockList>();

function matcherOf(networks: readonly string[]): BlockList {
  let list = matchers.get(networks);
  if (list === undefined) {
    list = new BlockList();
    for (const network of networks) {
      const [address = '', prefix = ''] = network.split('/');
      list.addSubnet(address, Number(prefix), isIP(address) === 6 ? 'ipv6' : 'ipv4');
    }
    matchers.set(networks, list);
  }
  return list;
}

/** Is `address` (possibly `::ffff:a.b.c.d`, or with a port) inside the trusted networks? */
function isTrusted(list: BlockList, address: string): boolean {
  let host = address.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) host = bracketed[1] as string;
  else if (/^[\d.]+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) host = mapped[1] as string;
  const family = isIP(host);
  if (family === 0) return false;
  return list.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** The right-most address of `[...entries, peer]` outside the networks (all inside: the first). */
function byNetworks(entries: string[], peer: string, networks: readonly string[]): string {
  const list = matcherOf(networks);
  const chain = peer === '' ? entries : [...entries, peer];
  for (let index = chain.length - 1; index >= 0; index--) {
    const address = chain[index] as string;
    if (!isTrusted(list, address)) return address;
  }
  return chain[0] ?? '';
}

/** Did the connection come from a trusted proxy? (With a hop count it is assumed to.) */
export function peerIsTrustedProxy(peer: string | undefined, limits: Limits): boolean {
  if (!limits.trustProxy) return false;
  const networks = limits.trustedProxyNetworks ?? [];
  if (networks.length === 0) return true;
  return isTrusted(matcherOf(networks), peer ?? '');
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
    const entries = forwardedEntries(headers['x-forwarded-for']);
    const networks = limits.trustedProxyNetworks ?? [];
    const address =
      networks.length > 0
        ? byNetworks(entries, peer ?? '', networks)
        : byHops(entries, limits.trustedProxyHops);
    if (address) return address;
  }
  return peer ?? '';
}

/**
 * Sets Koa's `ctx.ip` by the rules above (Koa alone knows only "first entry"). A request whose
 * peer is not one of the trusted proxy networks has its `X-Forwarded-Host` and
 * `X-Forwarded-Proto` removed first: Koa (`app.proxy`) would otherwise believe the client.
 */
export function resolveClientAddress(limits: Limits): Middleware {
  return function resolveClientAddress(ctx, next) {
    const peer = ctx.req.socket?.remoteAddress;
    if (limits.trustProxy && !peerIsTrustedProxy(peer, limits)) {
      delete ctx.req.headers['x-forwarded-host'];
      delete ctx.req.headers['x-forwarded-proto'];
    }
    ctx.request.ip = clientAddress(ctx.req.headers, peer, limits);
    return next();
  };
}
