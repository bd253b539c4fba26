/** Builds the configured queue store: the in-process engine or the shared Redis store. */

import type { QueueStore } from '../types.ts';
import { MemoryStore } from './memory-store.ts';
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
    };

export function createStore(config: StoreConfig): QueueStore {
  switch (config.type) {
    case 'memory':
      return new MemoryStore();
    case 'redis':
      return new RedisStore({ url: config.url, keyPrefix: config.keyPrefix, cluster: config.cluster });
  }
}

export { MemoryStore } from './memory-store.ts';
export { RedisStore, type RedisStoreOptions } from './redis-store.ts';
