/**
 * Where verification keys come from: a static JWKS, or the waiting room's
 * `/.well-known/jwks.json` fetched and cached. The remote set follows jose's
 * `createRemoteJWKSet` semantics (cached, refetched when a token names an unknown `kid`, refetch
 * rate-limited by a cooldown, refreshed after a maximum age) but runs on an injectable clock and
 * fetch, so key rotation is testable without sleeps, and keeps serving the last good set when a
 * refresh fails.
 */
import type { JSONWebKeySet } from 'jose';
import { RETRY_AFTER_SECONDS } from '../queue-core/defaults.ts';
import { AnteroomError } from '../queue-core/errors.ts';
import type { JsonFetch } from './http-client.ts';
import { type KeyLookup, keysFitting, type PublishedKey, publishedKeys } from './jws.ts';

export type { KeyLookup } from './jws.ts';

export interface RemoteKeySetOptions {
  url: string;
  /** Minimum time between two refetches triggered by unknown `kid`s (jose's default: 30 s). */
  cooldownMs: number;
  /** A set older than this is refetched before use (jose's default: 10 min). */
  cacheMaxAgeMs: number;
  /** Abort a JWKS request after this long. */
  timeoutMs: number;
  fetch: JsonFetch;
  now: () => number;
  /**
   * Keys delivered with the configuration, to decide without the network until the first fetch
   * has answered (they are `provisional`). The fetch starts once that decision is made, and from
   * its first answer on the fetched set alone governs.
   */
  initial?: PublishedKey[] | undefined;
}

/** The JWKS endpoint could not be read and no usable key set is at hand. */
export class JwksUnavailableError extends AnteroomError {
  constructor(url: string, cause: unknown) {
    super('jwks_unavailable', `The key set at ${url} could not be loaded.`, {
      retryAfter: RETRY_AFTER_SECONDS.storeUnavailable,
      cause,
    });
    this.name = 'JwksUnavailableError';
  }
}

/** After a failed first load, wait this long before trying again (bounds load on a sick endpoint). */
const FAILED_LOAD_BACKOFF_MS = 1000;

/** A fixed key set; a malformed one fails here, at creation. */
export function createStaticKeySet(jwks: JSONWebKeySet): KeyLookup {
  const keys = publishedKeys(jwks);
  return async (header) => keysFitting(keys, header);
}

export function createRemoteKeySet(
  options: RemoteKeySetOptions,
): KeyLookup & { readonly fetchCount: number } {
  let current: PublishedKey[] | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;
  let scheduled = false;
  let fetchCount = 0;

  async function fetchKeySet(now: number): Promise<void> {
    attemptedAt = now;
    fetchCount += 1;
    try {
      const response = await options.fetch(options.url, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!response.ok) throw new Error(`JWKS endpoint answered ${response.status}`);
      current = publishedKeys(await response.json());
      fetchedAt = now;
    } catch (cause) {
      throw new JwksUnavailableError(options.url, cause);
    }
  }

  /** One request in flight at a time: concurrent callers share it. */
  function reload(now: number): Promise<void> {
    pending ??= fetchKeySet(now).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function ensureLoaded(now: number): Promise<PublishedKey[]> {
    if (pending !== undefined) await pending.catch(() => undefined);
    if (current === undefined) {
      if (now - attemptedAt < FAILED_LOAD_BACKOFF_MS) {
        throw new JwksUnavailableError(options.url, new Error('previous load failed moments ago'));
      }
      await reload(now);
    } else if (now - fetchedAt >= options.cacheMaxAgeMs && now - attemptedAt >= options.cooldownMs) {
      // Stale: refresh, but a failed refresh keeps the last good set rather than locking everyone out.
      await reload(now).catch(() => undefined);
    }
    return current as PublishedKey[];
  }

  /** Fetch once the decision at hand has been answered: the first answer does not wait on the network. */
  function loadAfterThisDecision(now: number): void {
    if (scheduled || now - attemptedAt < FAILED_LOAD_BACKOFF_MS) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      reload(options.now()).catch(() => undefined);
    });
  }

  async function getKey(header: Parameters<KeyLookup>[0]): Promise<readonly PublishedKey[]> {
    const now = options.now();
    // Until a fetch has answered, the configured keys decide (a fetch in flight is waited for:
    // if it answers, the fetched set decides; if it fails, the configured one, as a last good set).
    if (current === undefined && options.initial !== undefined) {
      if (pending !== undefined) await pending.catch(() => undefined);
      const provisional = current === undefined ? keysFitting(options.initial, header) : [];
      if (provisional.length > 0) {
        loadAfterThisDecision(now);
        return provisional;
      }
    }
    const found = keysFitting(await ensureLoaded(now), header);
    // An unknown kid may be a key rotated in since the last fetch: look again, at most once per cooldown.
    if (found.length > 0 || now - attemptedAt < options.cooldownMs) return found;
    await reload(now);
    return keysFitting(current as PublishedKey[], header);
  }

  return Object.defineProperty(getKey, 'fetchCount', { get: () => fetchCount }) as KeyLookup & {
    readonly fetchCount: number;
  };
}
