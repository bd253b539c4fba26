/**
 * Per-client budget of failed admin authentications: `perMinute` failures, refilled evenly over
 * a minute (a bucket holding a minute's worth). A client whose budget is spent gets 429 with
 * `Retry-After` for every admin request, right or wrong, until one failure's worth has refilled:
 * a guesser learns nothing from a throttled answer. Clients are told apart as the enqueue
 * budget does (`budgetKey`: an IPv6 client by its /64), so other clients' keys are never slowed.
 *
 * Kept in the process's memory, at most `MAX_CLIENTS` clients (the least recently failed are
 * forgotten first): each process of a deployment holds its own budget, so N processes allow N
 * times the rate. That bounds online guessing far below what a 128-bit key needs.
 */
import { budgetKey } from './rate-limit.ts';

const MAX_CLIENTS = 10_000;
const MINUTE_MS = 60_000;

export interface FailureVerdict {
  /** This failure spent the client's budget: later requests are refused until it refills. */
  exhausted: boolean;
}

export interface AuthThrottle {
  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string): number;
  /** Draws one failure from `client`'s budget. */
  fail(client: string): FailureVerdict;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createAuthThrottle(perMinute: number, nowMs: () => number = Date.now): AuthThrottle {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / MINUTE_MS;

  const current = (key: string, now: number): Bucket | undefined => {
    const bucket = buckets.get(key);
    if (bucket === undefined) return undefined;
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * refillPerMs);
    bucket.at = now;
    if (bucket.tokens >= perMinute) {
      buckets.delete(key);
      return undefined;
    }
    return bucket;
  };

  return {
    retryAfter(client) {
      if (perMinute <= 0) return 0;
      const bucket = current(budgetKey(client), nowMs());
      if (bucket === undefined || bucket.tokens >= 1) return 0;
      return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
    },
    fail(client) {
      if (perMinute <= 0) return { exhausted: false };
      const key = budgetKey(client);
      const now = nowMs();
      const bucket = current(key, now) ?? { tokens: perMinute, at: now };
      bucket.tokens -= 1;
      // Re-inserted so the map's order is least recently failed first.
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > MAX_CLIENTS) buckets.delete(buckets.keys().next().value as string);
      return { exhausted: bucket.tokens < 1 };
    },
  };
}
