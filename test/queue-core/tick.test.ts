/**
 * The inlet loop's one tick (`queue-core/room/tick.ts`), which `anteroom serve` and the Lambda
 * scheduled run both use: however many processes tick an event at the same time, the inlet
 * acts once and the expiry runs once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvent } from '../../queue-core/event-settings.ts';
import { tickEvent } from '../../queue-core/room/tick.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';

const T = 1_767_225_600;

test('processes ticking the same event at once: one inlet advance, one expiry pass', async () => {
  const store = new MemoryStore();
  const event = parseEvent({
    id: 'sale',
    inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 10 },
    queuePositionExpirySeconds: 30,
    incrementServingOnExpiry: true,
  });
  for (let i = 0; i < 6; i++) await store.enqueue('sale', { now: T - 100 });
  await store.incrementServingCounter('sale', 2, T - 100); // two reached long ago, never claimed

  const ticks = await Promise.all(['a', 'b', 'c'].map((owner) => tickEvent(store, event, T, owner)));
  assert.equal(ticks.filter((tick) => tick.inlet.acted).length, 1, 'one process takes the tick');
  const expiries = ticks.flatMap((tick) => (tick.expiry === null ? [] : [tick.expiry]));
  assert.equal(expiries.length, 1, 'one process holds the expiry lease');
  assert.equal(expiries[0]!.newlyExpired, 2);
  assert.equal(expiries[0]!.advancedBy, 2);
  assert.equal(await store.getServingCounter('sale'), 6, '2 reached + 2 by the tick + 2 for the expired');

  const off = parseEvent({ id: 'sale', inlet: { type: 'manual' }, queuePositionExpirySeconds: null });
  assert.deepEqual(await tickEvent(store, off, T + 10, 'a'), {
    inlet: { acted: false, incrementBy: 0 },
    expiry: null,
  });
});
