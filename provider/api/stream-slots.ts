/**
 * How many status streams may be open at once in this process: per request id (a visitor's
 * tabs; `limits.streamsPerRequestId`) and per client address (`limits.streamsPerClient`, an
 * IPv6 client by its /64). Each open stream holds a socket and reads its visitor's status on
 * every move of the serving counter, so without a bound one client multiplies the work of every
 * move. A refused stream answers 429 with `Retry-After`; the waiting page then polls instead.
 */

import { STREAM_RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import { budgetKey } from '../http/rate-limit.ts';

export interface StreamSlots {
  /** A slot for one more stream (call the result once it closes), or null when either cap is reached. */
  take(requestId: string, client: string): (() => void) | null;
}

export function tooManyStreamsError(): AnteroomError {
  return new AnteroomError('too_many_streams', undefined, { retryAfter: STREAM_RETRY_AFTER_SECONDS });
}

export function createStreamSlots(limits: { perRequestId: number; perClient: number }): StreamSlots {
  const byRequest = new Map<string, number>();
  const byClient = new Map<string, number>();
  const add = (counts: Map<string, number>, key: string, by: number) => {
    const next = (counts.get(key) ?? 0) + by;
    if (next <= 0) counts.delete(key);
    else counts.set(key, next);
  };
  return {
    take(requestId, client) {
      const clientKey = budgetKey(client);
      if ((byRequest.get(requestId) ?? 0) >= limits.perRequestId) return null;
      if ((byClient.get(clientKey) ?? 0) >= limits.perClient) return null;
      add(byRequest, requestId, 1);
      add(byClient, clientKey, 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        add(byRequest, requestId, -1);
        add(byClient, clientKey, -1);
      };
    },
  };
}
