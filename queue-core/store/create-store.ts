/** Builds the configured queue store: the in-process engine or the shared Redis store. */

import type { QueueStore } from '../types.ts';
import type { Durability } from './durability.ts';
import { MemoryStore } from './memory-store.ts';
import { redisStoreOptions } from './open-store.ts';
import { RedisStore } from './redis-store.ts';

export type StoreConfig =
  | { type: 'memory' }
  | {
      type: 'redis';
      url: string;
      /** Default `ar:`. */
      keyPrefix?: string | undefined;
      /** Redis Cluster (e.g. ElastiCache cluster mode enabled): `url` names any one node. */
      cluster?: boolean | undefined;
      /** When a write is acknowledged (API.md section 5). Default `none`. */
      durability?: Durability | undefined;
      /** The longest a write waits for its confirmation. Default 200 ms. */
      waitTimeoutMs?: number | undefined;
      /** Redis Sentinel addresses (`host:port`): connect to the primary they name. */
      sentinels?: string[] | undefined;
      /** The Sentinel master group. Default `mymaster`. */
      name?: string | undefined;
    };

/** What the process tells of the store beside its answers (metrics). */
export interface StoreObserver {
  /** A write got no confirmation in time (`store.durability`): it answered 503. */
  writeNotConfirmed?: (() => void) | undefined;
  /** The regression guard raised an event's counters a lost write had set back (`what`). */
  regressed?: ((eventId: string, what: string[]) => void) | undefined;
}

export function createStore(config: StoreConfig, observer: StoreObserver = {}): QueueStore {
  switch (config.type) {
    case 'memory':
      return new MemoryStore();
    case 'redis':
      return new RedisStore(redisStoreOptions(config, observer));
  }
}

export { MemoryStore } from './memory-store.ts';
export { RedisStore, type RedisStoreOptions } from './redis-store.ts';
