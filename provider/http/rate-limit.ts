/**
 * Per-client enqueue budget: `limit` a minute per client address and event, a bucket holding a
 * minute's worth that refills continuously. The store keeps it and draws on it in the same
 * atomic step as the enqueue (`EnqueueInput.rateLimit`), so every process on one Redis, and
 * every Lambda container, draws on the same budget, a refused request takes no position, and a
 * returning visitor (known cookie or Idempotency-Key) spends nothing. With `limit` 0 there is none.
 */
import type { EnqueueRateLimit } from '../../queue-core/types.ts';

/** Longer client strings (a forged X-Forwarded-For behind a trusted proxy) are cut here. */
const MAX_CLIENT_LENGTH = 128;

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
      return enabled ? { client: client.slice(0, MAX_CLIENT_LENGTH), perMinute, nowMs: nowMs() } : undefined;
    },
  };
}
