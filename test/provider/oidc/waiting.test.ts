/**
 * The waiting room as the provider sees it, without HTTP: one place per visitor and event,
 * admission per event, and a spent admission (window over, session ended) leading to a new
 * place — also when the provider lost its own record of the visit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryAdapter } from '../../../provider/oidc/adapters/memory.ts';
import { Visits } from '../../../provider/oidc/visits.ts';
import { WaitingRoom } from '../../../provider/oidc/waiting.ts';
import { parseEvents } from '../../../queue-core/event-settings.ts';
import { createRoom } from '../../../queue-core/room/room.ts';
import { createKeysDocument } from '../../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../../queue-core/store/memory-store.ts';

async function setup() {
  const clock = { now: Math.floor(Date.now() / 1000) };
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  const room = createRoom({
    store: new MemoryStore(),
    keys,
    events: parseEvents([
      { id: 'a', tokenValiditySeconds: 600, queuePositionExpirySeconds: null },
      { id: 'b', queuePositionExpirySeconds: null },
      { id: 'walk-in', mode: 'passthrough' },
      { id: 'shut', mode: 'closed' },
    ]),
    issuer: 'https://queue.example.test',
    now: () => clock.now,
    nowMs: () => clock.now * 1000,
    cacheMs: 0,
  });
  const adapter = memoryAdapter({ now: () => clock.now });
  const waiting = new WaitingRoom({ room, visits: new Visits(adapter), now: () => clock.now });
  return { clock, room, waiting };
}

test('one place per visitor and event, admitted when served, per event only', async () => {
  const { room, waiting } = await setup();
  const first = await waiting.advance('a', 'alice');
  const again = await waiting.advance('a', 'alice');
  assert.ok(first.kind === 'waiting' && again.kind === 'waiting');
  assert.equal(again.status.request_id, first.status.request_id);
  const bob = await waiting.advance('a', 'bob');
  assert.ok(bob.kind === 'waiting');
  assert.equal(bob.status.queue_number, 2);

  await room.incrementServingCounter('a', 1, 'test');
  assert.equal(
    await waiting.admission('a', 'alice'),
    null,
    'served is not yet admitted: the interaction claims it',
  );
  const admitted = await waiting.advance('a', 'alice');
  assert.ok(admitted.kind === 'admitted');
  assert.equal(admitted.admission.position, 1);
  assert.deepEqual(await waiting.admission('a', 'alice'), admitted.admission);
  assert.equal(await waiting.admission('b', 'alice'), null);
  assert.equal((await waiting.advance('a', 'bob')).kind, 'waiting');
});

test('pass-through admits at once; closed takes no place', async () => {
  const { room, waiting } = await setup();
  assert.equal((await waiting.advance('walk-in', 'alice')).kind, 'admitted');
  assert.equal((await waiting.advance('shut', 'alice')).kind, 'closed');
  assert.equal(await room.waitingNum('shut'), 0);
});

test('a spent admission leads to one new place, also after the visit record is lost', async () => {
  const { clock, room, waiting } = await setup();
  await waiting.advance('a', 'alice');
  await room.incrementServingCounter('a', 1, 'test');
  const admitted = await waiting.advance('a', 'alice');
  assert.ok(admitted.kind === 'admitted');

  clock.now = admitted.admission.expiresAt;
  assert.equal(await waiting.admission('a', 'alice'), null);
  const requeued = await waiting.advance('a', 'alice');
  assert.ok(requeued.kind === 'waiting');
  assert.equal(requeued.status.queue_number, 2);
  assert.equal((await waiting.advance('a', 'alice')).kind, 'waiting', 'a reload keeps the new place');

  // A provider that lost its records (a new adapter) converges on the same new place.
  const forgetful = new WaitingRoom({ room, visits: new Visits(memoryAdapter()), now: () => clock.now });
  const recovered = await forgetful.advance('a', 'alice');
  assert.ok(recovered.kind === 'waiting');
  assert.equal(recovered.status.request_id, requeued.status.request_id);
});

test('ending the session through the admin API ends the admission', async () => {
  const { room, waiting } = await setup();
  await room.incrementServingCounter('b', 1, 'test');
  const admitted = await waiting.advance('b', 'carol');
  assert.ok(admitted.kind === 'admitted');
  await room.updateSession('b', admitted.admission.requestId, 'abandoned', 'test');
  assert.equal(await waiting.admission('b', 'carol'), null);
  const next = await waiting.advance('b', 'carol');
  assert.ok(next.kind === 'waiting');
  assert.notEqual(next.status.request_id, admitted.admission.requestId);
});
