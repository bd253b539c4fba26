/**
 * The visitor flow (queue-core/room/visitor-flow.ts) without HTTP: join, findPlace, admit and
 * signTokens, with their typed outcomes, on the in-memory store and a controlled clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyAdmissionToken } from '../../queue-core/admission-tokens.ts';
import { parseEvents } from '../../queue-core/event-settings.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import { replacementKey } from '../../queue-core/room/visitor-flow.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';

async function setup() {
  const clock = { now: 1_900_000_000 };
  const counted = { positions: 0, admissions: 0 };
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  const room = createRoom({
    store: new MemoryStore(),
    keys,
    events: parseEvents([
      { id: 'main', tokenValiditySeconds: 600, queuePositionExpirySeconds: 60 },
      { id: 'walk-in', mode: 'passthrough' },
      { id: 'shut', mode: 'closed' },
      { id: 'small', inlet: { type: 'max-size', maxActive: 1 }, queuePositionExpirySeconds: null },
    ]),
    issuer: 'https://queue.example.test',
    now: () => clock.now,
    nowMs: () => clock.now * 1000,
    cacheMs: 0,
    observer: {
      positionAssigned: () => {
        counted.positions += 1;
      },
      tokensIssued: () => {
        counted.admissions += 1;
      },
    },
  });
  return { clock, counted, keys, room };
}

test('join: a place per visitor key, none in a closed event', async () => {
  const { counted, room } = await setup();
  const main = await room.getEvent('main');
  const first = await room.join(main, { visitorKey: 'vid:a' });
  const again = await room.join(main, { visitorKey: 'vid:a' });
  const other = await room.join(main, { visitorKey: 'vid:b' });
  assert.ok(first.kind === 'joined' && again.kind === 'joined' && other.kind === 'joined');
  assert.equal(first.created, true);
  assert.equal(again.created, false);
  assert.equal(again.place.requestId, first.place.requestId);
  assert.equal(other.place.position, 2);
  assert.equal(counted.positions, 2, 'only new places are counted');
  assert.deepEqual(await room.join(await room.getEvent('shut'), { visitorKey: 'vid:a' }), { kind: 'closed' });
  assert.equal(await room.waitingNum('shut'), 0);
});

test('join: a live previous place is kept; a spent one is replaced once, whoever asks', async () => {
  const { clock, room } = await setup();
  const main = await room.getEvent('main');
  const first = await room.join(main, { visitorKey: 'vid:a' });
  assert.ok(first.kind === 'joined');
  const previous = first.place.requestId;
  // Another key (a cleared cookie) holding the request id still gets its live place.
  const kept = await room.join(main, { visitorKey: 'vid:other', previous });
  assert.ok(kept.kind === 'joined');
  assert.equal(kept.place.requestId, previous);
  assert.equal(kept.created, false);

  await room.incrementServingCounter('main', 1, 'test');
  clock.now += 61; // reached and not claimed within 60 s
  const place = await room.findPlace('main', previous);
  assert.ok(place.kind === 'found' && place.spent && place.status.state === 'expired');
  // Two tabs (or the page and the OIDC interaction) replace it at once: one new place.
  const [a, b] = await Promise.all([
    room.join(main, { visitorKey: 'vid:a', previous }),
    room.join(main, { visitorKey: 'vid:a', previous }),
  ]);
  assert.ok(a.kind === 'joined' && b.kind === 'joined');
  assert.equal(a.place.requestId, b.place.requestId);
  assert.notEqual(a.place.requestId, previous);
  assert.equal(a.place.position, 2);
  assert.equal([a.created, b.created].filter(Boolean).length, 1);
  // The replacement is the place of the derived key: the same answer without `previous` knowledge.
  const derived = await room.join(main, { visitorKey: replacementKey('vid:a', previous) });
  assert.ok(derived.kind === 'joined');
  assert.equal(derived.place.requestId, a.place.requestId);
  // An unknown previous request id (gone with a reset) is no place: the visitor key decides.
  const unknown = await room.join(main, {
    visitorKey: 'vid:c',
    previous: '00000000-0000-4000-8000-000000000000',
  });
  assert.ok(unknown.kind === 'joined' && unknown.created);
});

test('findPlace: none for an unknown request id, the admission once recorded, spent when its window ends', async () => {
  const { clock, room } = await setup();
  const main = await room.getEvent('main');
  assert.deepEqual(await room.findPlace('main', '00000000-0000-4000-8000-000000000000'), { kind: 'none' });
  await assert.rejects(room.findPlace('nope', '00000000-0000-4000-8000-000000000000'), {
    code: 'invalid_event_id',
  });
  const joined = await room.join(main, { visitorKey: 'vid:a' });
  assert.ok(joined.kind === 'joined');
  const requestId = joined.place.requestId;
  const waiting = await room.findPlace('main', requestId);
  assert.ok(waiting.kind === 'found');
  assert.equal(waiting.status.state, 'waiting');
  assert.equal(waiting.session, null);
  assert.equal(waiting.spent, false);
  assert.equal(waiting.entry.requestId, requestId);
  assert.equal(waiting.entry.position, joined.place.position);
  assert.equal(waiting.entry.entryTime, joined.place.entryTime);

  await room.incrementServingCounter('main', 1, 'test');
  const admitted = await room.admit('main', requestId);
  assert.ok(admitted.kind === 'issued');
  const found = await room.findPlace('main', requestId);
  assert.ok(found.kind === 'found');
  assert.equal(found.status.state, 'admitted');
  assert.deepEqual(found.session, admitted.session);
  assert.equal(found.spent, false);

  clock.now = admitted.session.expiresAt;
  const over = await room.findPlace('main', requestId);
  assert.ok(over.kind === 'found' && over.spent, 'the admission window is over');
  await room.updateSession('main', requestId, 'completed', 'test');
  const ended = await room.findPlace('main', requestId);
  assert.ok(ended.kind === 'found' && ended.spent && ended.status.state === 'ended');
});

test('admit: typed outcomes, a record without a signature, tokens signed from the record', async () => {
  const { clock, counted, keys, room } = await setup();
  const main = await room.getEvent('main');
  const joined = await room.join(main, { visitorKey: 'vid:a' });
  assert.ok(joined.kind === 'joined');
  const { requestId } = joined.place;
  assert.deepEqual(await room.admit('main', requestId), { kind: 'not_yet', position: 1, serving: 0 });
  assert.equal((await room.admit('main', '00000000-0000-4000-8000-000000000000')).kind, 'unknown');

  await room.incrementServingCounter('main', 1, 'test');
  const first = await room.admit('main', requestId);
  const again = await room.admit('main', requestId);
  assert.ok(first.kind === 'issued' && again.kind === 'issued');
  assert.equal(first.created, true);
  assert.equal(again.created, false);
  assert.deepEqual(again.session, first.session, 'asking again finds the same record');
  assert.equal(counted.admissions, 1);

  clock.now += 5;
  const tokens = await room.signTokens(first.session);
  const claims = await verifyAdmissionToken(keys, tokens.id_token, {
    issuer: 'https://queue.example.test',
    audience: 'main',
    now: clock.now,
  });
  assert.equal(claims['sub'], requestId);
  assert.equal(claims['exp'], first.session.expiresAt, 'signing later never extends the window');

  await room.updateSession('main', requestId, 'abandoned', 'test');
  assert.equal((await room.admit('main', requestId)).kind, 'session_ended');

  const late = await room.join(main, { visitorKey: 'vid:late' });
  assert.ok(late.kind === 'joined');
  await room.incrementServingCounter('main', 1, 'test');
  clock.now += 61;
  assert.deepEqual(await room.admit('main', late.place.requestId), { kind: 'position_expired' });
});

test('admit: pass-through admits at once; max-size says full while every place is taken', async () => {
  const { room } = await setup();
  const walkIn = await room.join(await room.getEvent('walk-in'), { visitorKey: 'vid:a' });
  assert.ok(walkIn.kind === 'joined');
  assert.equal((await room.admit('walk-in', walkIn.place.requestId)).kind, 'issued');

  const small = await room.getEvent('small');
  const a = await room.join(small, { visitorKey: 'vid:a' });
  const b = await room.join(small, { visitorKey: 'vid:b' });
  assert.ok(a.kind === 'joined' && b.kind === 'joined');
  await room.incrementServingCounter('small', 2, 'test');
  assert.equal((await room.admit('small', a.place.requestId)).kind, 'issued');
  assert.deepEqual(await room.admit('small', b.place.requestId), { kind: 'full', position: 2, serving: 2 });
});
