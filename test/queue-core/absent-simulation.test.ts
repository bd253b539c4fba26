/**
 * Absent visitors (API.md section 6), end to end through the room on memory and Redis: 1,000
 * visitors, half leave, a periodic inlet of 50 per tick (test/support/absent-simulation.ts).
 * With `abandonAfterSeconds`, the present ones are admitted at 50 per tick and every returning
 * visitor is treated as the contract says; without it, the absent take half the places.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import {
  mean,
  SIMULATION,
  type SimulationResult,
  simulateAbsentVisitors,
} from '../support/absent-simulation.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';

function checkWithSetting(result: SimulationResult): void {
  assert.ok(result.presentPerTick.length >= 8, `ticks with a full line: ${result.presentPerTick.length}`);
  for (const [i, admitted] of result.presentPerTick.entries())
    assert.equal(admitted, SIMULATION.incrementBy, `tick ${i} admitted ${admitted} present visitors`);
  const group = (name: string) => result.visitors.filter((visitor) => visitor.group === name);
  for (const visitor of group('stayed'))
    assert.ok(visitor.claimedAt !== undefined, `stayer ${visitor.position} admitted`);
  for (const visitor of group('early')) {
    assert.equal(visitor.onReturn?.state, 'waiting');
    assert.ok(
      visitor.onReturn!.queue_number! > visitor.onReturn!.serving_counter,
      'kept a place not reached yet',
    );
    assert.ok(visitor.claimedAt !== undefined, `early returner ${visitor.position} admitted`);
  }
  const backTick = Math.ceil(SIMULATION.late.at / SIMULATION.intervalSeconds) * SIMULATION.intervalSeconds;
  for (const visitor of group('late')) {
    const back = visitor.onReturn!;
    assert.equal(back.state, 'waiting', 'passed while absent: waits for the next pass');
    assert.equal(back.eligible, false);
    assert.ok(back.queue_number! <= back.serving_counter);
    assert.equal(back.eta_seconds, null);
    assert.ok(
      visitor.claimedAt! >= backTick && visitor.claimedAt! < backTick + SIMULATION.intervalSeconds,
      `late returner ${visitor.position} admitted by the first pass after the return (claimed at +${visitor.claimedAt})`,
    );
  }
  const tick = result.ticks.find((candidate) => candidate.at === backTick)!;
  assert.equal(
    tick.returned,
    group('late').length,
    'the pass after their return admitted them ahead of the line',
  );
  assert.equal(tick.returned + tick.stayed, SIMULATION.incrementBy, 'and counted them against incrementBy');
  for (const visitor of group('expired')) {
    assert.equal(visitor.onReturn?.state, 'expired');
    assert.equal(visitor.claimedAt, undefined);
  }
  for (const visitor of group('gone')) assert.equal(visitor.claimedAt, undefined);
}

function checkWithout(result: SimulationResult): void {
  // Every tick lets 50 positions in, half of them absent where half the line left.
  assert.ok(
    mean(result.presentPerTick) < 0.6 * SIMULATION.incrementBy,
    `present visitors per tick: ${result.presentPerTick.join(' ')}`,
  );
  for (const tick of result.ticks.filter((candidate) => candidate.at < SIMULATION.late.at))
    assert.equal(tick.stayed, SIMULATION.incrementBy / 2, `tick at +${tick.at}`);
  for (const visitor of result.visitors.filter((candidate) => candidate.group === 'late'))
    assert.equal(
      visitor.onReturn?.eligible,
      true,
      'without the setting a passed position is served as it is',
    );
}

function suite(name: string, makeStore: () => Promise<QueueStore>, skip: string | false = false) {
  describe(`absent visitors simulation (${name})`, { skip }, () => {
    it('with abandonAfterSeconds: 50 present visitors per tick; returning visitors as API.md says', async () => {
      const store = await makeStore();
      try {
        checkWithSetting(await simulateAbsentVisitors(store, SIMULATION.abandonAfterSeconds, 'sim-on'));
      } finally {
        await store.close();
      }
    });
    it('without it: the absent take their share of every tick', async () => {
      const store = await makeStore();
      try {
        checkWithout(await simulateAbsentVisitors(store, null, 'sim-off'));
      } finally {
        await store.close();
      }
    });
  });
}

suite('memory', async () => new MemoryStore());

const skip = redisSkipReason();
let server: RedisServer | undefined;
before(async () => {
  if (!skip) server = await startRedis();
});
after(async () => {
  await server?.stop();
});
suite('redis', async () => new RedisStore({ url: server!.url }), skip);
