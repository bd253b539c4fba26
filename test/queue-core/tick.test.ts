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

test('a pre-queue with absent visitors: its first tick draws and admits participants, present for a window after the draw', async () => {
  const store = new MemoryStore();
  const event = parseEvent({
    id: 'drop',
    schedule: { prequeueAt: T - 600, startAt: T },
    inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 10 },
    abandonAfterSeconds: 30,
    queuePositionExpirySeconds: null,
  });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const entry = await store.enqueue('drop', {
      now: T - 300,
      present: true,
      prequeue: { startAt: T, shuffle: false },
    });
    ids.push(entry.requestId);
  }
  const first = await tickEvent(store, event, T, 'a');
  assert.equal(first.draw?.phase, 'drawn');
  assert.equal(
    first.inlet.admitted,
    2,
    'no participant was seen yet: within the window they count as present',
  );
  await store.touchPresence('drop', [5], T + 35, null);
  const later = await tickEvent(store, event, T + 40, 'a'); // the window since the draw has passed
  assert.equal(later.inlet.admitted, 1, 'only the one seen since: 3 and 4 passed');
  assert.equal(await store.getServingCounter('drop'), 5);
  const issue = (requestId: string) =>
    store.issueToken('drop', {
      requestId,
      now: T + 41,
      validitySeconds: 60,
      issuer: 'https://queue.example',
      expirySeconds: null,
      presence: true,
    });
  assert.equal((await issue(ids[4]!)).kind, 'issued');
  assert.equal((await issue(ids[2]!)).kind, 'not_yet');
});
