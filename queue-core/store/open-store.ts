/**
 * The configured store for a server or a Lambda container: `createStore` without loading the
 * in-memory engine unless it is configured. A Lambda function always runs on Redis, and this
 * keeps the in-memory engine (and its sorted sets) out of the code its cold start compiles:
 * `import()` is where the bundle splits (infra/lib/bundle.ts).
 */
import type { QueueStore } from '../types.ts';
import type { StoreConfig, StoreObserver } from './create-store.ts';
import { RedisStore, type RedisStoreOptions } from './redis-store.ts';

type RedisStoreConfig = Extract<StoreConfig, { type: 'redis' }>;

/** The Redis store's options for a `redis` store configuration. */
export function redisStoreOptions(config: RedisStoreConfig, observer: StoreObserver = {}): RedisStoreOptions {
  return {
    url: config.url,
    keyPrefix: config.keyPrefix,
    cluster: config.cluster,
    sentinels: config.sentinels,
    name: config.name,
    durability: config.durability,
    waitTimeoutMs: config.waitTimeoutMs,
    onWriteNotConfirmed: observer.writeNotConfirmed,
    onRegression: observer.regressed,
  };
}

/** The store `config` names, as `createStore` builds it; the in-memory engine is loaded only for `memory`. */
export async function openConfiguredStore(
  config: StoreConfig,
  observer: StoreObserver = {},
): Promise<QueueStore> {
  if (config.type === 'memory') return new (await import('./memory-store.ts')).MemoryStore();
  return new RedisStore(redisStoreOptions(config, observer));
}
