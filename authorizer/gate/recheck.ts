/**
 * The optional re-check of a live session: every `recheckSeconds` (per process, per sign-in) the
 * gate asks Anteroom's userinfo endpoint with the session's access token whether the admission
 * still holds. A 401 means it has ended (the window is over, or `update_session` ended it).
 *
 * Anteroom out of reach does not lock admitted visitors out: the session goes on, and the
 * question waits for the next interval. Concurrent requests of one session share one call.
 */
import { ExpiringLru } from '../lru.ts';
import type { ProviderMetadata } from './discovery.ts';
import type { GateLogEntry } from './options.ts';

export type SessionEnded = (accessToken: string) => Promise<boolean>;

const MAX_SESSIONS = 10_000;

export function createRecheck(options: {
  intervalMs: number;
  discover: () => Promise<ProviderMetadata>;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  log: (entry: GateLogEntry) => void;
}): SessionEnded {
  const answers = new ExpiringLru<boolean>(MAX_SESSIONS);
  const inFlight = new Map<string, Promise<boolean>>();

  async function ask(accessToken: string): Promise<boolean> {
    try {
      const { userinfoEndpoint } = await options.discover();
      if (userinfoEndpoint === undefined) return false;
      const response = await options.fetch(userinfoEndpoint, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel();
      if (response.status === 401) return true;
      if (!response.ok) throw new Error(`userinfo answered ${response.status}`);
      return false;
    } catch (error) {
      options.log({
        level: 'error',
        msg: 'session re-check failed',
        code: 'recheck_failed',
        detail: String(error),
      });
      return false;
    }
  }

  return function sessionEnded(accessToken: string): Promise<boolean> {
    const nowMs = options.now();
    const cached = answers.get(accessToken, nowMs);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = inFlight.get(accessToken);
    if (pending === undefined) {
      pending = ask(accessToken).then((ended) => {
        answers.set(accessToken, ended, options.now() + options.intervalMs);
        return ended;
      });
      pending.finally(() => inFlight.delete(accessToken)).catch(() => undefined);
      inFlight.set(accessToken, pending);
    }
    return pending;
  };
}
