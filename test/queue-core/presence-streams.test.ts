/**
 * Absent visitors (API.md section 6) and status streams: a visitor whose page holds an open
 * stream and never polls stays present, because each process writes its streams' visitors in one
 * batch per quarter window from its inlet loop (`room.tick`); once the stream closes, the visitor
 * is absent after the window and the inlet passes them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvents } from '../../queue-core/event-settings.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';

test('an open stream keeps its visitor present; a closed one does not', async () => {
  const t0 = 1_900_000_000;
  const clock = { now: t0 };
  const store = new MemoryStore();
  const room = createRoom({
    store,
    keys: await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' }),
    events: parseEvents([
      {
        id: 'sale',
        inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 10, startTime: t0 + 100 },
        abandonAfterSeconds: 20,
        queuePositionExpirySeconds: null,
      },
    ]),
    issuer: 'https://queue.example.test',
    now: () => clock.now,
    nowMs: () => clock.now * 1000,
  });
  try {
    const event = await room.getEvent('sale');
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const joined = await room.join(event, { visitorKey: `v${i}` });
      assert.ok(joined.kind === 'joined');
      ids.push(joined.place.requestId);
    }
    // Visitors 2 and 3 open a stream; 3 closes it at once. Nobody polls.
    const follow = async (requestId: string) => {
      const place = await room.findPlace('sale', requestId);
      assert.ok(place.kind === 'found');
      return room.followStatus('sale', place, () => {});
    };
    await follow(ids[1]!);
    const closeThird = await follow(ids[2]!);
    closeThird();
    for (let second = 1; second <= 100; second++) {
      clock.now = t0 + second;
      await room.tick('test');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await room.tick('test'); // the first inlet tick, at +100: 1 and 3 unseen for 100 s
    assert.equal(await room.servingCounter('sale'), 2, 'the absent visitor ahead was passed uncounted');
    assert.equal((await room.status('sale', ids[1]!)).eligible, true, 'the streaming visitor was present');
    clock.now = t0 + 110;
    await room.tick('test');
    assert.equal(await room.servingCounter('sale'), 3, 'the closed stream left its visitor absent: passed');
    const first = await room.status('sale', ids[0]!);
    assert.deepEqual([first.state, first.eligible], ['waiting', false], 'passed while absent');
  } finally {
    room.close();
  }
});
