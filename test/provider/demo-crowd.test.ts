/**
 * The demo's simulated crowd (`demoCrowd`): on by default only with the demo event and refused
 * anywhere else; its visitors take real places in the room, most of them early; when their turn
 * comes most go in and a share never comes; it stops when asked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../provider/config/server-config.ts';
import { arrivedBy, startDemoCrowd } from '../../provider/server/demo-crowd.ts';
import { DEMO_CROWD } from '../../queue-core/defaults.ts';
import { parseEvent } from '../../queue-core/event-settings.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { testLogger } from '../support/logs.ts';
import { PUBLIC_URL, testKeys } from './support.ts';

const LOCAL = { publicUrl: 'http://localhost:8080' };

/** A seeded [0, 1) sequence (mulberry32): the same crowd every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`never: ${what}`);
}

describe('demoCrowd', () => {
  test('is on with the demo event, can be turned off, and is refused beside configured events', () => {
    assert.equal(loadConfig({ env: {}, raw: { ...LOCAL } }).demoCrowd, true, 'the demo event');
    assert.equal(loadConfig({ env: {}, raw: { ...LOCAL, demoCrowd: false } }).demoCrowd, false);
    assert.equal(loadConfig({ env: { ANTEROOM_DEMO_CROWD: 'off' }, raw: { ...LOCAL } }).demoCrowd, false);
    const configured = { ...LOCAL, events: [{ id: 'sale', inlet: { type: 'manual' } }] };
    assert.equal(loadConfig({ env: {}, raw: configured }).demoCrowd, false, 'never with configured events');
    assert.throws(
      () => loadConfig({ env: {}, raw: { ...configured, demoCrowd: true } }),
      (error: unknown) =>
        error instanceof ConfigError && /demoCrowd.*only the demo event/.test(error.message),
    );
    assert.throws(
      () => loadConfig({ env: { ANTEROOM_DEMO_CROWD: 'true' }, raw: configured }),
      (error: unknown) => error instanceof ConfigError && /ANTEROOM_DEMO_CROWD/.test(error.message),
    );
  });

  test('arrives mostly at first: half the crowd within the first third of the arrival time', () => {
    const shape = DEMO_CROWD;
    assert.equal(arrivedBy(0, shape), 0);
    assert.ok(arrivedBy(shape.arrivalSeconds * 0.3, shape) >= shape.visitors / 2);
    assert.ok(shape.visitors >= 200, 'a few hundred');
    assert.equal(arrivedBy(shape.arrivalSeconds, shape), shape.visitors);
    assert.equal(arrivedBy(shape.arrivalSeconds * 5, shape), shape.visitors);
  });

  test('takes real places; let in, most go in and some never come; stop ends it', async () => {
    const event = parseEvent({ id: 'demo', inlet: { type: 'manual' }, queuePositionExpirySeconds: 900 });
    const store = new MemoryStore();
    const room = createRoom({ store, keys: await testKeys(), events: [event], issuer: PUBLIC_URL });
    const crowd = startDemoCrowd({
      room,
      eventId: 'demo',
      logger: testLogger(),
      random: seeded(7),
      crowd: { visitors: 60, arrivalSeconds: 1, noShowShare: 0.25, claimDelaySeconds: [0, 0.2], stepMs: 20 },
    });
    try {
      await until(async () => (await store.getCounters('demo')).queue === 60, 'sixty places taken');
      assert.equal((await store.getCounters('demo')).tokens, 0, 'nobody goes in before their turn');

      await room.incrementServingCounter('demo', 40, 'test');
      // Of the forty let in, those who come go in within their delay; the rest never do.
      await until(async () => (await store.getCounters('demo')).tokens >= 20, 'most of them go in');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const tokens = (await store.getCounters('demo')).tokens;
      assert.ok(tokens < 40, `${tokens} of 40 went in: some never came`);
      assert.ok(tokens >= 22, `${tokens} of 40 went in: most did`);
    } finally {
      await crowd.stop();
    }
    // Stopped: a later turn is taken by nobody.
    const atStop = (await store.getCounters('demo')).tokens;
    await room.incrementServingCounter('demo', 20, 'test');
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal((await store.getCounters('demo')).tokens, atStop, 'nothing more once stopped');
    room.close();
  });
});
