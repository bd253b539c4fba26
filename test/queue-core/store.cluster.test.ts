/**
 * The store contract against a real three-node Redis Cluster: every multi-key script
 * only works there if all keys of one event hash to one slot (the `{eventId}` tag).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { clusterSkipReason, sharedCluster, stopSharedCluster } from '../support/redis-cluster.ts';
import { contractEra, rid, storeContract } from './store-contract.ts';

const skip = clusterSkipReason();

describe('redis cluster', { skip }, () => {
  after(stopSharedCluster);

  storeContract('redis cluster', async () => {
    const options = { url: (await sharedCluster()).url, cluster: true, newEra: contractEra };
    const store = new RedisStore(options);
    return { store, connect: async () => new RedisStore(options), cleanup: () => store.close() };
  });

  it('reads the eviction policy of every master, even as its first command', async () => {
    const { url } = await sharedCluster();
    const probe = new Redis.Cluster([url]);
    await probe.ping();
    const [, second] = probe.nodes('master');
    await second!.config('SET', 'maxmemory-policy', 'allkeys-random');
    // A fresh store knows no master before the cluster is ready: the warning must not be lost.
    const store = new RedisStore({ url, cluster: true });
    try {
      assert.match((await store.configurationWarnings()).join('\n'), /allkeys-random/);
      await second!.config('SET', 'maxmemory-policy', 'noeviction');
      assert.deepEqual(await store.configurationWarnings(), []);
    } finally {
      await second!.config('SET', 'maxmemory-policy', 'noeviction');
      probe.disconnect();
      await store.close();
    }
  });

  it('serves events whose keys hash to different slots', async () => {
    const { url } = await sharedCluster();
    const store = new RedisStore({ url, cluster: true, keyPrefix: 'spread:', newEra: contractEra });
    const client = new Redis(url);
    try {
      const events = Array.from({ length: 12 }, (_, i) => `spread-${i}`);
      for (const event of events) await store.enqueue(event, { now: 1_700_000_000 });
      const slots = new Set<number>();
      for (const event of events)
        slots.add(Number(await client.call('CLUSTER', 'KEYSLOT', `spread:{${event}}:c`)));
      assert.ok(slots.size > 1, 'events land in different slots');
      for (const event of events) assert.equal((await store.getEntry(event, rid(event, 1)))?.position, 1);
    } finally {
      client.disconnect();
      await store.close();
    }
  });

  it('answers commands issued while its node connections are still opening', async () => {
    // Regression: once the cluster reports ready, only the nodes that answered the ready
    // check or a first command are connected; the others connect on their first command.
    // A command for a node whose connection was still opening was refused with
    // "Connection is closed" (a 503 from a process that had just started). A ping has no
    // key and goes to a random node, so it can reach a connection that a write has just
    // begun to open; the test mixes both.
    const { url } = await sharedCluster();
    const events = Array.from({ length: 12 }, (_, i) => `startup-${i}`);
    const client = new Redis(url);
    let byNode: Map<number, string[]>;
    try {
      byNode = await eventsByNode(client, events, 'startup:');
    } finally {
      client.disconnect();
    }
    assert.equal(byNode.size, 3, 'the events are spread over all three masters');
    const groups = [...byNode.values()];
    // Each fresh store has a few chances to hit a node still connecting: try many.
    const rounds = 30;
    for (let round = 1; round <= rounds; round++) {
      const store = new RedisStore({ url, cluster: true, keyPrefix: 'startup:' });
      try {
        assert.equal(await store.ping(), true, 'the cluster is ready');
        // Open the connection to one master with writes, then ping from the next turns
        // of the event loop while that connection is still opening.
        const writes = groups[round % groups.length]!.map((event) =>
          store.enqueue(event, { now: 1_700_000_000 }),
        );
        const pings: Promise<boolean>[] = [];
        for (let turn = 0; turn < 3; turn++) {
          await new Promise((resolve) => setImmediate(resolve));
          pings.push(store.ping());
        }
        const failures = (await Promise.allSettled(writes)).filter((result) => result.status === 'rejected');
        assert.deepEqual(failures, [], `store ${round}: every write succeeded`);
        assert.deepEqual(await Promise.all(pings), [true, true, true], `store ${round}: every ping answered`);
      } finally {
        await store.close();
      }
    }
    // Every write ran exactly once.
    const store = new RedisStore({ url, cluster: true, keyPrefix: 'startup:' });
    try {
      for (const [index, group] of groups.entries()) {
        const written = Array.from({ length: rounds }, (_, i) => i + 1).filter(
          (r) => r % groups.length === index,
        );
        for (const event of group) assert.equal((await store.getCounters(event)).queue, written.length);
      }
    } finally {
      await store.close();
    }
  });
});

/** The events grouped by the port of the master that owns their slot. */
async function eventsByNode(client: Redis, events: string[], prefix: string): Promise<Map<number, string[]>> {
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const byNode = new Map<number, string[]>();
  for (const event of events) {
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', `${prefix}{${event}}:c`));
    const range = ranges.find(([first, last]) => slot >= first && slot <= last);
    assert.ok(range, `slot ${slot} is served`);
    const port = range[2][1];
    byNode.set(port, [...(byNode.get(port) ?? []), event]);
  }
  return byNode;
}
