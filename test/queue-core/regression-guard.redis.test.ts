/**
 * The regression guard (API.md section 5) on a real Redis: a store that lost writes (emptied, as
 * a Redis without persistence that restarted; or set back, as a replica promoted before it had
 * the last writes) never makes a process hand out a position at or below one it acknowledged,
 * nor apply a periodic tick again; a raise is told once (`store_regressed`), and a reset by any
 * process is told apart from a loss. The fault suite (test/faults) does the same with real
 * failovers under load; here each loss is made by hand, so each case is exact.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';

const skip = redisSkipReason();
const T0 = 1_700_000_000;

describe('redis store: the regression guard', { skip }, () => {
  let server: RedisServer;
  let inspector: Redis;
  let store: RedisStore;
  let other: RedisStore;
  let regressions: { eventId: string; what: string[] }[];

  before(async () => {
    server = await startRedis();
    inspector = new Redis(server.url);
  });
  after(async () => {
    inspector.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    await inspector.flushall();
    regressions = [];
    await store?.close();
    await other?.close();
    store = new RedisStore({
      url: server.url,
      onRegression: (eventId, what) => regressions.push({ eventId, what }),
    });
    other = new RedisStore({ url: server.url });
  });
  after(async () => {
    await store.close();
    await other.close();
  });

  async function positions(target: RedisStore, count: number, eventId = 'sale'): Promise<number[]> {
    const entries = await Promise.all(
      Array.from({ length: count }, () => target.enqueue(eventId, { now: T0 })),
    );
    return entries.map((entry) => Number(entry.position)).sort((a, b) => a - b);
  }

  it('a store emptied under it: the next positions come after the ones it acknowledged, told once', async () => {
    assert.deepEqual(await positions(store, 4), [1, 2, 3, 4]);
    const old = await store.enqueue('sale', { now: T0 });
    assert.equal(old.position, 5);
    await inspector.flushall(); // a Redis without persistence, restarted
    // Several in one turn (one guard ahead of them all), then more in later turns.
    assert.deepEqual(await positions(store, 3), [6, 7, 8]);
    assert.deepEqual(await positions(store, 2), [9, 10]);
    assert.deepEqual(regressions, [{ eventId: 'sale', what: ['queue'] }]);
    // The emptied store's request ids are of an era gone with it: unknown, never another's place.
    assert.equal(await store.getEntry('sale', old.requestId), null);
    const fresh = await store.enqueue('sale', { now: T0 });
    assert.equal(fresh.position, 11);
    assert.notEqual(fresh.requestId, old.requestId);
    assert.notEqual(await store.getEntry('sale', fresh.requestId), null);
  });

  it('a store set back (a promoted replica without the last writes): no position acknowledged twice', async () => {
    await positions(store, 8);
    await positions(other, 4); // 9..12, acknowledged by the other process only
    await inspector.hset('ar:{sale}:c', 'queue', '3');
    const next = await positions(store, 2);
    assert.deepEqual(
      next,
      [9, 10],
      'above its own floor (8); 9..12 of the other process are not its to know',
    );
    assert.deepEqual(regressions, [{ eventId: 'sale', what: ['queue'] }]);
    // The other process raises the counter above its own floor in turn.
    assert.deepEqual(await positions(other, 1), [13]);
  });

  it('a periodic tick already applied is not applied again, and the serving counter is raised with it', async () => {
    await positions(store, 10);
    assert.deepEqual(await store.advanceOnTick('sale', T0, 4, T0), { serving: 4, moved: 4 });
    assert.equal(await store.incrementServingCounter('sale', 2, T0 + 1), 6);
    await inspector.flushall();
    // The same tick again (a second scheduler, a retry): taken already, so nothing moves.
    assert.equal(await store.advanceOnTick('sale', T0, 4, T0 + 2), null);
    assert.equal(await store.getServingCounter('sale'), 6);
    assert.deepEqual((await store.getCounters('sale')).queue, 10);
    assert.deepEqual(regressions, [{ eventId: 'sale', what: ['queue', 'tick', 'serving'] }]);
    // The next tick moves on from there (capped by the queue, 10).
    assert.deepEqual(await store.advanceOnTick('sale', T0 + 10, 5, T0 + 10), { serving: 10, moved: 4 });
  });

  it('an operator lowering the serving counter is not undone', async () => {
    await positions(store, 10);
    await store.incrementServingCounter('sale', 8, T0);
    assert.equal(await other.incrementServingCounter('sale', -5, T0 + 1), 3);
    await positions(store, 1);
    assert.equal(await store.getServingCounter('sale'), 3);
    assert.deepEqual(regressions, []);
  });

  it('a reset by another process is a reset, not a loss: positions start again at 1', async () => {
    await positions(store, 6);
    await other.reset('sale');
    assert.deepEqual(await positions(store, 2), [1, 2]);
    await store.reset('sale');
    assert.deepEqual(await positions(store, 1), [1]);
    assert.deepEqual(regressions, []);
  });

  it('a store that lost its resets too: the floors hold, and a later reset is still a reset', async () => {
    await positions(store, 3);
    await other.reset('sale');
    await other.reset('sale');
    await positions(store, 4); // 1..4 after the resets; the guard learned the count (2)
    await inspector.flushall();
    assert.deepEqual(await positions(store, 1), [5]);
    assert.deepEqual(regressions, [{ eventId: 'sale', what: ['queue', 'resets'] }]);
    assert.equal(await inspector.get('ar:{sale}:x'), '2', 'the count the processes know, written back');
    await other.reset('sale');
    assert.deepEqual(await positions(store, 1), [1]);
    assert.equal(regressions.length, 1);
  });

  it('a pre-queue emptied under it: the next arrival numbers come after the ones it handed out', async () => {
    const prequeue = { startAt: T0 + 3600, shuffle: true };
    const arrivals = async (count: number) =>
      (await Promise.all(Array.from({ length: count }, () => store.enqueue('sale', { now: T0, prequeue }))))
        .map((entry) => entry.prequeued)
        .sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(await arrivals(3), [1, 2, 3]);
    await inspector.flushall();
    assert.deepEqual(await arrivals(2), [4, 5]);
    assert.deepEqual(regressions, [{ eventId: 'sale', what: ['arrivals'] }]);
  });

  it('guards each event apart', async () => {
    await positions(store, 4, 'a');
    await positions(store, 2, 'b');
    await inspector.del('ar:{a}:c');
    assert.deepEqual(await positions(store, 1, 'a'), [5]);
    assert.deepEqual(await positions(store, 1, 'b'), [3]);
    assert.deepEqual(regressions, [{ eventId: 'a', what: ['queue'] }]);
  });
});
