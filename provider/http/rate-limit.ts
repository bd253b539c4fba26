/**
 * Per-client enqueue budget: a token bucket per client address, `limit` per minute, in this
 * process. Checked before the store is touched, so a 429 never uses up a position. Behind a
 * load balancer the budget applies per process (N processes allow up to N × limit).
 */
import { AnteroomError } from '../../queue-core/errors.ts';

/** Above this many tracked clients, full buckets are forgotten (they equal a fresh one). */
const SWEEP_THRESHOLD = 50_000;

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiter {
  /** Take one enqueue from `client`'s budget or throw 429 `rate_limited` with `retryAfter`. */
  take(client: string): void;
}

export function createRateLimiter(perMinute: number, nowMs: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  const refill = (bucket: Bucket, now: number) => {
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
  };
  const sweep = (now: number) => {
    for (const [client, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= perMinute) buckets.delete(client);
    }
  };
  return {
    take(client) {
      if (perMinute <= 0) return;
      const now = nowMs();
      let bucket = buckets.get(client);
      if (!bucket) {
        if (buckets.size >= SWEEP_THRESHOLD) sweep(now);
        bucket = { tokens: perMinute, at: now };
        buckets.set(client, bucket);
      } else {
        refill(bucket, now);
      }
      if (bucket.tokens < 1) {
        const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
        throw new AnteroomError('rate_limited', 'Too many enqueue requests from this client; retry later', {
          status: 429,
          retryAfter,
        });
      }
      bucket.tokens -= 1;
    },
  };
}
