/**
 * The store contract, adaptive inlet part: the controller state's compare-and-set with its
 * admission, and the pushed reading. Called from `store-contract.ts` with the store under
 * test, so memory, Redis and Redis Cluster all pass the same tests.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { QueueStore } from '../../queue-core/types.ts';

const T0 = 1_700_000_000;

export function inletStoreSuites(
  name: string,
  subject: () => { store: QueueStore; connect(): Promise<QueueStore> },
): void {
  const freshEvent = () => `inlet-${process.pid}-${randomUUID().slice(0, 8)}`;
  async function enqueue(store: QueueStore, eventId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await store.enqueue(eventId, { now: T0 });
  }

  describe(`${name}: adaptive inlet state`, () => {
    it('stores the state with its admission once per version, and refuses a stale version', async () => {
      const { store } = subject();
      const event = freshEvent();
      await enqueue(store, event, 10);
      assert.equal(await store.getInletState(event), null);
      assert.deepEqual(await store.advanceInlet(event, 0, '{"rate":60}', 3, T0), { serving: 3, moved: 3 });
      assert.deepEqual(await store.getInletState(event), { version: 1, state: '{"rate":60}' });
      const before = await store.getCounters(event);
      assert.equal(await store.advanceInlet(event, 0, '{"rate":1}', 5, T0 + 1), null, 'a stale version');
      assert.deepEqual(await store.getCounters(event), before, 'a refused step changed nothing');
      assert.deepEqual(await store.getInletState(event), { version: 1, state: '{"rate":60}' });
      assert.deepEqual(await store.advanceInlet(event, 1, '{"rate":30}', 0, T0 + 2), {
        serving: 3,
        moved: 0,
      });
      assert.deepEqual(await store.getInletState(event), { version: 2, state: '{"rate":30}' });
      assert.deepEqual(await store.servingHistory(event, 10), [{ serving: 3, time: T0, served: 0 }]);
    });

    it('admits only visitors actually queued: what nobody waits for is not banked', async () => {
      const { store } = subject();
      const event = freshEvent();
      await enqueue(store, event, 2);
      assert.deepEqual(await store.advanceInlet(event, 0, '{}', 5, T0), { serving: 2, moved: 2 });
      assert.deepEqual(await store.advanceInlet(event, 1, '{}', 5, T0 + 1), { serving: 2, moved: 0 });
      await enqueue(store, event, 1);
      assert.deepEqual(await store.advanceInlet(event, 2, '{}', 5, T0 + 2), { serving: 3, moved: 1 });
      await store.incrementServingCounter(event, 10, T0 + 3);
      assert.deepEqual(
        await store.advanceInlet(event, 3, '{}', 5, T0 + 4),
        { serving: 13, moved: 0 },
        'a counter already past the queue stays where the operator put it',
      );
    });

    it('of two processes stepping from the same version, exactly one wins', async () => {
      const { store, connect } = subject();
      const other = await connect();
      try {
        const event = freshEvent();
        await enqueue(store, event, 100);
        for (let version = 0; version < 20; version++) {
          const results = await Promise.all([
            store.advanceInlet(event, version, `{"by":"a","v":${version}}`, 2, T0 + version),
            other.advanceInlet(event, version, `{"by":"b","v":${version}}`, 2, T0 + version),
          ]);
          assert.equal(results.filter((result) => result !== null).length, 1, `version ${version}`);
        }
        assert.equal(await store.getServingCounter(event), 40);
        assert.equal((await store.getInletState(event))?.version, 20);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('keeps the latest pushed reading per event', async () => {
      const { store } = subject();
      const event = freshEvent();
      assert.equal(await store.getOriginHealth(event), null);
      await store.putOriginHealth(event, { latencyMs: 120.5, errorRate: 0.01, at: T0 });
      await store.putOriginHealth(event, { latencyMs: 90, errorRate: 0, at: T0 + 5 });
      assert.deepEqual(await store.getOriginHealth(event), { latencyMs: 90, errorRate: 0, at: T0 + 5 });
      assert.equal(await store.getOriginHealth(freshEvent()), null);
    });

    it('reset forgets the controller and the pushed reading', async () => {
      const { store } = subject();
      const event = freshEvent();
      await store.advanceInlet(event, 0, '{}', 0, T0);
      await store.putOriginHealth(event, { latencyMs: 1, errorRate: 0, at: T0 });
      await store.reset(event);
      assert.equal(await store.getInletState(event), null);
      assert.equal(await store.getOriginHealth(event), null);
      assert.deepEqual(await store.advanceInlet(event, 0, '{}', 0, T0), { serving: 0, moved: 0 });
    });
  });
}
