/**
 * Per-client enqueue budget: `limit` a minute per client address and event, a bucket holding a
 * minute's worth that refills continuously. The store keeps it and draws on it in the same
 * atomic step as the enqueue (`EnqueueInput.rateLimit`), so every process on one Redis, and
 * every Lambda container, draws on the same budget, a refused request takes no position, and a
 * returning visitor (known cookie or Idempotency-Key) spends nothing. With `limit` 0 there is none.
 */
import { isIP } from 'node:net';
import type { EnqueueRateLimit, QueueStore } from '../../queue-core/types.ts';

/** Longer client strings (a forged X-Forwarded-For behind a trusted proxy) are cut here. */
const MAX_CLIENT_LENGTH = 128;

/**
 * Whose budget an address draws on. A port some proxies append (`203.0.113.5:4711`,
 * `[2001:db8::1]:4711`) and the IPv4-mapped IPv6 form (`::ffff:203.0.113.5`) are dropped, so
 * one client is one budget whatever its connection. An IPv6 client counts by its /64: one
 * subscriber or host usually holds a whole /64 and could otherwise draw a fresh budget for
 * every address in it. Anything else is kept as it is.
 */
export function budgetKey(address: string): string {
  let host = address.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) host = bracketed[1] as string;
  else if (/^[\d.]+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1] as string;
  if (isIP(host) !== 6) return host.slice(0, MAX_CLIENT_LENGTH);
  return `${ipv6Hextets(host).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of a valid IPv6 address (zone dropped), without leading zeros. */
function ipv6Hextets(address: string): string[] {
  const bare = address.split('%')[0] as string;
  const [head = '', tail] = bare.split('::');
  const parts = (text: string) => (text === '' ? [] : text.split(':'));
  const expand = (items: string[]) =>
    items.flatMap((item) => {
      if (!item.includes('.')) return [item];
      // An embedded IPv4 tail (::ffff:1.2.3.4 was handled above; 64:ff9b::1.2.3.4 and the like).
      const [a = 0, b = 0, c = 0, d = 0] = item.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const left = expand(parts(head));
  const right = tail === undefined ? [] : expand(parts(tail));
  const zeros = Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((hextet) => (Number.parseInt(hextet, 16) || 0).toString(16));
}

export interface RateLimiter {
  /** False with a limit of 0: no budget, and a caller may skip working out the client. */
  readonly enabled: boolean;
  /** The budget `client` draws on for one enqueue, or undefined when there is no limit. */
  forClient(client: string): EnqueueRateLimit | undefined;
}

export function createRateLimiter(perMinute: number, nowMs: () => number = Date.now): RateLimiter {
  const enabled = perMinute > 0;
  return {
    enabled,
    forClient(client) {
      return enabled ? { client: budgetKey(client), perMinute, nowMs: nowMs() } : undefined;
    },
  };
}

/** A per-client budget outside the enqueue (`QueueStore.takeBudget`), shared through the store. */
export interface ClientBudget {
  /** False with a limit of 0. */
  readonly enabled: boolean;
  /** Takes one request of `client`'s budget: 0 when taken, else the seconds until one is. */
  take(client: string): Promise<number>;
}

export function createClientBudget(
  store: Pick<QueueStore, 'takeBudget'>,
  name: string,
  perMinute: number,
  nowMs: () => number = Date.now,
): ClientBudget {
  const enabled = perMinute > 0;
  return {
    enabled,
    take: async (client) =>
      enabled ? store.takeBudget(`${name}:${budgetKey(client)}`, perMinute, nowMs()) : 0,
  };
}
