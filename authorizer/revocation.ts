/**
 * The optional session check: has this admission session been ended (`update_session`)?
 * Answers are cached briefly so a burst of requests from one visitor costs one store lookup;
 * "ended" is one-way, so that answer is kept for as long as the cache holds it.
 */
import { ExpiringLru } from './lru.ts';

export interface RevocationOptions {
  /** Resolves true when the session of `requestId` in `eventId` has ended. May throw: the token is then refused. */
  check(eventId: string, requestId: string): Promise<boolean>;
  /** How long an "still active" answer is trusted (default 5 s). */
  cacheSeconds?: number;
}

export type SessionEndedCheck = (eventId: string, requestId: string) => Promise<boolean>;

const ENDED_TTL_MS = 24 * 3600 * 1000;

export function createCachedRevocationCheck(
  options: RevocationOptions,
  maxEntries: number,
  now: () => number,
): SessionEndedCheck {
  const activeTtlMs = (options.cacheSeconds ?? 5) * 1000;
  const answers = new ExpiringLru<boolean>(maxEntries);
  const inFlight = new Map<string, Promise<boolean>>();

  async function lookUp(key: string, eventId: string, requestId: string): Promise<boolean> {
    const ended = (await options.check(eventId, requestId)) === true;
    answers.set(key, ended, now() + (ended ? ENDED_TTL_MS : activeTtlMs));
    return ended;
  }

  return function sessionEnded(eventId: string, requestId: string): Promise<boolean> {
    const key = `${eventId}\u0000${requestId}`;
    const cached = answers.get(key, now());
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = lookUp(key, eventId, requestId).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}
