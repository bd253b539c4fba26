/**
 * Per-client enqueue budget: `limit` a minute per client address, a bucket holding a minute's
 * worth that refills continuously. It is kept in the store (`takeRateToken`), so every process
 * on one Redis, and every Lambda container, draws on the same budget. Checked before a place is
 * taken, so a 429 never uses up a position. With `limit` 0 the store is not asked.
 */
import { AnteroomError } from '../../queue-core/errors.ts';
import type { QueueStore } from '../../queue-core/types.ts';

/** Longer client strings (a forged X-Forwarded-For behind a trusted proxy) are cut here. */
const MAX_CLIENT_LENGTH = 128;

export interface RateLimiter {
  /** False with a limit of 0: `take` always succeeds, and a caller may skip it. */
  readonly enabled: boolean;
  /** Take one enqueue from `client`'s budget or reject with 429 `rate_limited` and `retryAfter`. */
  take(client: string): Promise<void>;
}

export function createRateLimiter(
  perMinute: number,
  store: Pick<QueueStore, 'takeRateToken'>,
  nowMs: () => number = Date.now,
): RateLimiter {
  return {
    enabled: perMinute > 0,
    async take(client) {
      if (perMinute <= 0) return;
      const name = `enqueue:${client.slice(0, MAX_CLIENT_LENGTH)}`;
      const retryAfter = await store.takeRateToken(name, perMinute, nowMs());
      if (retryAfter > 0) {
        throw new AnteroomError('rate_limited', 'Too many enqueue requests from this client; retry later', {
          status: 429,
          retryAfter,
        });
      }
    },
  };
}
