/**
 * The adaptive inlet applied to a store by several processes (`runInletTick`): one process
 * acts per step (one signal read per interval), every second is admitted once even when two
 * processes both believe they hold the lease, and a process taking over (a restart) continues
 * the controller where it was. Against the memory store and a real Redis.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { accrue, controlDue, controlStep, initialAdaptiveState } from '../../queue-core/adaptive-inlet.ts';
import { decodeAdaptiveState, readAdaptiveState, runAdaptive } from '../../queue-core/adaptive-tick.ts';
import { parseEvent } from '../../queue-core/event-settings.ts';
import { inletLockName, runInletTick } from '../../queue-core/inlet.ts';
import { createStore } from '../../queue-core/store/create-store.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import type { AdaptiveInlet, EventSettings, OriginHealth, QueueStore } from '../../queue-core/types.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';

const T = 1_767_225_600;

function adaptiveEvent(
  id: string,
  signal: Record<string, unknown> = {
    type: 'prometheus',
    url: 'http://p:9090',
    latencyQuery: 'l',
    errorRateQuery: 'e',
  },
): EventSettings {
  return parseEvent({
    id,
    inlet: {
      type: 'adaptive',
      minPerMinute: 6,
      maxPerMinute: 6000,
      startPerMinute: 120,
      intervalSeconds: 10,
      target: { latencyMs: 200, errorRate: 0.01 },
      signal,
    },
  });
}

async function enqueue(store: QueueStore, eventId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await store.enqueue(eventId, { now: T });
}

/** A signal that reads a healthy origin, counting the reads. */
function healthySignal() {
  const reads: number[] = [];
  return {
    reads,
    read: async (_inlet: AdaptiveInlet, now: number): Promise<OriginHealth> => {
      reads.push(now);
      return { latencyMs: 50, errorRate: 0, at: now };
    },
  };
}

let redis: RedisServer | undefined;
after(async () => {
  await redis?.stop();
});

const kinds: { name: string; skip: string | false; stores: () => Promise<[QueueStore, QueueStore]> }[] = [
  {
    name: 'memory',
    skip: false,
    stores: async () => {
      const store = new MemoryStore();
      return [store, store];
    },
  },
  {
    name: 'redis',
    skip: redisSkipReason(),
    stores: async () => {
      redis ??= await startRedis();
      const config = { type: 'redis', url: redis.url } as const;
      return [createStore(config), createStore(config)];
    },
  },
];

for (const kind of kinds) {
  describe(`adaptive inlet across processes (${kind.name})`, { skip: kind.skip }, () => {
    it('one process acts: one signal read per interval, and the admissions of one controller', async () => {
      const [a, b] = await kind.stores();
      try {
        const event = adaptiveEvent(`adaptive-${randomUUID().slice(0, 8)}`);
        await enqueue(a, event.id, 2000);
        const signal = healthySignal();
        let actedA = 0;
        let actedB = 0;
        for (let now = T; now <= T + 120; now++) {
          const [ra, rb] = await Promise.all([
            runInletTick(a, event, now, 'a', { readSignal: signal.read }),
            runInletTick(b, event, now, 'b', { readSignal: signal.read }),
          ]);
          if (ra.acted) actedA++;
          if (rb.acted) actedB++;
        }
        assert.ok(actedA === 0 || actedB === 0, 'only the lease holder acted');
        assert.deepEqual(
          signal.reads,
          Array.from({ length: 13 }, (_, i) => T + 10 * i),
          'one read per interval, by one process',
        );
        // The same steps replayed on the pure controller admit exactly as many.
        const inlet = event.inlet as AdaptiveInlet;
        let state = initialAdaptiveState(inlet, T);
        let expected = 0;
        for (let now = T; now <= T + 120; now++) {
          const accrued = accrue(inlet, state, now);
          expected += accrued.admit;
          state = accrued.state;
          if (controlDue(inlet, state, now))
            state = controlStep(inlet, state, { latencyMs: 50, errorRate: 0, at: now }, now);
        }
        assert.equal(await a.getServingCounter(event.id), expected);
        assert.ok(expected > 240, `admitted ${expected} in two minutes from 120 a minute, rising`);
        assert.deepEqual(await readAdaptiveState(b, event.id), state);
      } finally {
        await a.close();
        if (b !== a) await b.close();
      }
    });

    it('another process taking the lease continues the controller where it was', async () => {
      const [a, b] = await kind.stores();
      try {
        const event = adaptiveEvent(`adaptive-${randomUUID().slice(0, 8)}`);
        await enqueue(a, event.id, 2000);
        const signal = healthySignal();
        for (let now = T; now <= T + 60; now++)
          await runInletTick(a, event, now, 'a', { readSignal: signal.read });
        const before = await readAdaptiveState(a, event.id);
        assert.ok(before !== null && before.rate > 120);
        // Process a stops (its lease released, as `anteroom serve` does on exit); b takes over.
        await a.releaseLease(inletLockName(event.id), 'a');
        const servingBefore = await b.getServingCounter(event.id);
        const taken = await runInletTick(b, event, T + 61, 'b', { readSignal: signal.read });
        assert.equal(taken.acted, true);
        assert.equal(taken.adaptive?.rate, before.rate, 'the same rate, not the start rate');
        assert.equal(
          taken.incrementBy,
          Math.floor(before.credit + before.rate / 60),
          'the next second, once',
        );
        assert.equal(await b.getServingCounter(event.id), servingBefore + taken.incrementBy);
      } finally {
        await a.close();
        if (b !== a) await b.close();
      }
    });

    it('two processes that both think they hold the lease admit each second once', async () => {
      const [a, b] = await kind.stores();
      try {
        const event = adaptiveEvent(`adaptive-${randomUUID().slice(0, 8)}`);
        const inlet = event.inlet as AdaptiveInlet;
        await enqueue(a, event.id, 2000);
        const signal = healthySignal();
        // Two lease names: each process's lease check passes, as after a pause past the ttl.
        const leaseA = { name: `a-${event.id}`, owner: 'a', ttlMs: 60_000 };
        const leaseB = { name: `b-${event.id}`, owner: 'b', ttlMs: 60_000 };
        let moved = 0;
        for (let now = T; now <= T + 60; now++) {
          const results = await Promise.all([
            runAdaptive(a, event.id, inlet, now, leaseA, signal.read),
            runAdaptive(b, event.id, inlet, now, leaseB, signal.read),
          ]);
          moved += results.reduce((sum, result) => sum + result.incrementBy, 0);
        }
        const state = await readAdaptiveState(a, event.id);
        assert.equal(await a.getServingCounter(event.id), moved);
        // Never more than one controller's worth: a step lost to the other process is retried a
        // second later, and the time it covers is admitted then, never twice.
        assert.ok(state !== null);
        assert.ok(moved <= Math.ceil((state.rate * 61) / 60), `moved ${moved} at ${state.rate} a minute`);
        assert.ok(moved >= 100, `moved ${moved}`);
      } finally {
        await a.close();
        if (b !== a) await b.close();
      }
    });
  });
}

describe('adaptive inlet: what the store holds', () => {
  it('a pushed reading drives the controller; a push-free interval holds, three fall to the minimum', async () => {
    const store = new MemoryStore();
    const event = adaptiveEvent('pushed', { type: 'push' });
    await enqueue(store, event.id, 100);
    await store.putOriginHealth(event.id, { latencyMs: 500, errorRate: 0, at: T });
    const first = await runInletTick(store, event, T, 'p');
    assert.equal(first.adaptive?.reason, 'above_target');
    const reasons: string[] = [];
    for (const now of [T + 10, T + 20, T + 30]) {
      reasons.push((await runInletTick(store, event, now, 'p')).adaptive?.reason ?? '');
    }
    assert.deepEqual(reasons, ['signal_stale', 'signal_stale', 'signal_missing']);
    assert.equal((await readAdaptiveState(store, event.id))?.rate, 6);
  });

  it('a reading that cannot be taken is reported, and counts as missing', async () => {
    const store = new MemoryStore();
    const event = adaptiveEvent('failing');
    const result = await runInletTick(store, event, T, 'p', {
      readSignal: async () => {
        throw new Error('Prometheus refused the query: bad_data');
      },
    });
    assert.equal(result.signalError, 'Prometheus refused the query: bad_data');
    assert.equal(result.adaptive?.missing, 1);
  });

  it('a stored state it cannot use restarts the controller instead of failing the inlet', async () => {
    assert.equal(decodeAdaptiveState('not json'), null);
    assert.equal(decodeAdaptiveState('{"rate":"fast"}'), null);
    assert.equal(decodeAdaptiveState('null'), null);
    const store = new MemoryStore();
    const event = adaptiveEvent('corrupt');
    await store.advanceInlet(event.id, 0, '{"rate":"fast"}', 0, T);
    const signal = healthySignal();
    const result = await runInletTick(store, event, T, 'p', { readSignal: signal.read });
    assert.equal(result.acted, true);
    assert.equal((await store.getInletState(event.id))?.version, 2);
  });

  it('does nothing while the event is not in queue mode', async () => {
    const store = new MemoryStore();
    const event = { ...adaptiveEvent('closed'), mode: 'closed' as const };
    const result = await runInletTick(store, event, T, 'p', { readSignal: healthySignal().read });
    assert.equal(result.acted, false);
    assert.equal(await store.getInletState(event.id), null);
  });
});
