/**
 * The one contract every QueueStore passes. Each store's test file calls
 * `storeContract(name, makeStore)`; there is no copy of these tests per store.
 * Every test uses its own event id, so tests never see each other's state, and the
 * clock is always the `now` argument.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AnteroomError, ValidationError } from '../../queue-core/errors.ts';
import { requestIdFor } from '../../queue-core/store/request-ids.ts';
import type { EventSettings, IssueInput, QueueStore, SessionRecord } from '../../queue-core/types.ts';
import { entrySuites } from './entry-contract.ts';
import { drawSuites } from './store-contract-draw.ts';
import { inletStoreSuites } from './store-contract-inlet.ts';
import { presenceSuites } from './store-contract-presence.ts';

/** The serving counter after a periodic tick, or null when the tick was already taken. */
async function tickServing(
  store: QueueStore,
  ...args: Parameters<QueueStore['advanceOnTick']>
): Promise<number | null> {
  return (await store.advanceOnTick(...args))?.serving ?? null;
}

export interface StoreUnderTest {
  store: QueueStore;
  /**
   * Another client of the same backing store (its own connection), for races between
   * processes; the in-process store returns itself. The contract closes what this opens.
   */
  connect(): Promise<QueueStore>;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000;
let eventCounter = 0;
/** A fresh event id per test: events are isolated, so tests are too. */
function freshEvent(): string {
  eventCounter++;
  return `ev-${process.pid}-${eventCounter}`;
}

/**
 * The era the stores under this contract draw for every queue (`newEra`), so the request id
 * of a position is known in advance: `rid(event, n)` is the id of the n-th visitor of `event`.
 * The eras of real stores are random: test/queue-core/request-ids.test.ts covers them.
 */
export const CONTRACT_ERA = 'contract-era';
/** The `newEra` option of the stores under this contract. */
export const contractEra = (): string => CONTRACT_ERA;

export function rid(eventId: string, n: number): string {
  return requestIdFor(CONTRACT_ERA, eventId, n);
}

function issueInput(requestId: string, now: number, extra: Partial<IssueInput> = {}): IssueInput {
  return {
    requestId,
    now,
    validitySeconds: 300,
    issuer: 'https://rooms.example/oidc',
    expirySeconds: null,
    ...extra,
  };
}

async function enqueueMany(
  store: QueueStore,
  eventId: string,
  count: number,
  now: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    await store.enqueue(eventId, { now });
    ids.push(rid(eventId, i));
  }
  return ids;
}

async function issueOrFail(store: QueueStore, eventId: string, input: IssueInput): Promise<SessionRecord> {
  const outcome = await store.issueToken(eventId, input);
  assert.equal(
    outcome.kind,
    'issued',
    `expected a token for ${input.requestId}, got ${JSON.stringify(outcome)}`,
  );
  return (outcome as { session: SessionRecord }).session;
}

export function storeContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  options: { skip?: string | false } = {},
): void {
  describe(`${name} store contract`, { skip: options.skip ?? false }, () => contractSuites(name, makeStore));
}

function contractSuites(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  let subject: StoreUnderTest | undefined;
  let store: QueueStore;
  before(async () => {
    subject = await makeStore();
    store = subject.store;
  });
  after(async () => {
    await subject?.cleanup();
  });

  describe(`${name}: enqueue`, () => {
    it('hands out gap-free positions 1..N in arrival order with the entry time', async () => {
      const event = freshEvent();
      for (let i = 1; i <= 25; i++) {
        const result = await store.enqueue(event, { now: T0 + i });
        assert.deepEqual(result, {
          requestId: rid(event, i),
          eventId: event,
          position: i,
          entryTime: T0 + i,
          created: true,
        });
      }
      assert.deepEqual(await store.getEntry(event, rid(event, 7)), {
        requestId: rid(event, 7),
        eventId: event,
        position: 7,
        entryTime: T0 + 7,
      });
      assert.equal((await store.getCounters(event)).queue, 25);
    });

    it('returns the first entry again for a repeated visitor key', async () => {
      const event = freshEvent();
      const first = await store.enqueue(event, { visitorKey: 'cookie-a', now: T0 });
      await store.enqueue(event, { visitorKey: 'cookie-b', now: T0 + 1 });
      const again = await store.enqueue(event, { visitorKey: 'cookie-a', now: T0 + 9 });
      assert.deepEqual(again, { ...first, created: false });
      assert.equal(await store.getEntry(event, rid(event, 3)), null, 'a repeat issues no request id');
      const next = await store.enqueue(event, { visitorKey: 'cookie-c', now: T0 + 10 });
      assert.equal(next.position, 3, 'a repeat consumes no position');
      assert.equal((await store.getCounters(event)).queue, 3);
    });

    it('treats every call without a visitor key as a new visitor', async () => {
      const event = freshEvent();
      const a = await store.enqueue(event, { now: T0 });
      const b = await store.enqueue(event, { now: T0 });
      assert.deepEqual([a.position, b.position], [1, 2]);
      assert.notEqual(a.requestId, b.requestId);
    });

    it('keeps the entry time of every position, whatever order the clocks of its callers are in', async () => {
      const event = freshEvent();
      // Several processes: one clock a second behind, then the same second again.
      const times = [T0, T0, T0 + 5, T0 + 4, T0 + 4, T0 + 6, T0 + 5];
      for (const now of times) await store.enqueue(event, { visitorKey: `v${now}-${Math.random()}`, now });
      for (const [index, now] of times.entries()) {
        assert.equal(
          (await store.getEntry(event, rid(event, index + 1)))?.entryTime,
          now,
          `position ${index + 1}`,
        );
      }
    });

    it('treats an empty visitor key as no key: it never joins two visitors into one entry', async () => {
      const event = freshEvent();
      const a = await store.enqueue(event, { visitorKey: '', now: T0 });
      const b = await store.enqueue(event, { visitorKey: '', now: T0 });
      assert.deepEqual(
        [a.position, a.created, b.position, b.created, b.requestId],
        [1, true, 2, true, rid(event, 2)],
      );
    });

    it('answers null for a request id that was never issued', async () => {
      const event = freshEvent();
      await store.enqueue(event, { now: T0 });
      assert.equal(await store.getEntry(event, rid(event, 99)), null);
      assert.equal(await store.getEntry(freshEvent(), rid(event, 1)), null);
      // A forged id: the position of a real one, another MAC.
      const real = rid(event, 1);
      const forged = `${real.slice(0, -1)}${real.endsWith('0') ? '1' : '0'}`;
      assert.equal(await store.getEntry(event, forged), null);
      assert.equal(await store.getEntry(event, '00000000-0001-4000-8000-000000000000'), null, 'a UUIDv4');
    });

    it('keeps events apart: positions, visitor keys and counters are per event', async () => {
      const one = freshEvent();
      const two = freshEvent();
      await store.enqueue(one, { visitorKey: 'same-cookie', now: T0 });
      await store.enqueue(one, { now: T0 });
      const other = await store.enqueue(two, { visitorKey: 'same-cookie', now: T0 });
      assert.equal(other.position, 1);
      assert.equal(other.created, true);
      await store.incrementServingCounter(one, 5, T0);
      assert.equal(await store.getServingCounter(two), 0);
      assert.equal(await store.getEntry(two, rid(one, 2)), null);
    });
  });

  describe(`${name}: bindVisitorKey`, () => {
    it('records the first owner of a visitor key and answers it to everyone after, per event, until reset', async () => {
      const event = freshEvent();
      const other = freshEvent();
      assert.equal(await store.bindVisitorKey(event, 'key:k', 'vid:first'), 'vid:first');
      assert.equal(await store.bindVisitorKey(event, 'key:k', 'ip:203.0.113.9'), 'vid:first');
      assert.equal(await store.bindVisitorKey(event, 'key:k', 'vid:first'), 'vid:first');
      assert.equal(await store.bindVisitorKey(event, 'key:j', 'ip:203.0.113.9'), 'ip:203.0.113.9');
      assert.equal(await store.bindVisitorKey(other, 'key:k', 'vid:second'), 'vid:second', 'per event');
      const racing = await Promise.all(
        ['a', 'b', 'c', 'd'].map((owner) => store.bindVisitorKey(event, 'key:race', `vid:${owner}`)),
      );
      assert.equal(new Set(racing).size, 1, 'concurrent first uses agree on one owner');
      await store.reset(event);
      assert.equal(
        await store.bindVisitorKey(event, 'key:k', 'vid:after'),
        'vid:after',
        'reset forgets owners',
      );
    });
  });

  describe(`${name}: serving counter`, () => {
    it('starts at 0, adds increments and clamps at 0', async () => {
      const event = freshEvent();
      assert.equal(await store.getServingCounter(event), 0);
      assert.equal(await store.incrementServingCounter(event, 10, T0), 10);
      assert.equal(await store.incrementServingCounter(event, -4, T0 + 1), 6);
      assert.equal(await store.incrementServingCounter(event, -100, T0 + 2), 0);
      assert.equal(await store.incrementServingCounter(event, -1, T0 + 3), 0);
      assert.equal(await store.getServingCounter(event), 0);
    });

    it('records a history row per change, none for no change, newest kept within the limit', async () => {
      const event = freshEvent();
      await store.incrementServingCounter(event, 10, T0);
      await store.incrementServingCounter(event, 0, T0 + 1);
      await store.incrementServingCounter(event, 5, T0 + 2);
      await store.incrementServingCounter(event, 5, T0 + 3);
      assert.deepEqual(await store.servingHistory(event, 10), [
        { serving: 10, time: T0, served: 0 },
        { serving: 15, time: T0 + 2, served: 0 },
        { serving: 20, time: T0 + 3, served: 0 },
      ]);
      assert.deepEqual(
        (await store.servingHistory(event, 2)).map((row) => row.serving),
        [15, 20],
      );
    });

    it('drops history rows above a decreased value, so those positions are reached afresh', async () => {
      const event = freshEvent();
      await store.incrementServingCounter(event, 10, T0);
      await store.incrementServingCounter(event, 10, T0 + 10);
      await store.incrementServingCounter(event, -5, T0 + 20);
      assert.deepEqual(await store.servingHistory(event, 10), [
        { serving: 10, time: T0, served: 0 },
        { serving: 15, time: T0 + 20, served: 0 },
      ]);
      await store.incrementServingCounter(event, -5, T0 + 30);
      assert.deepEqual(await store.servingHistory(event, 10), [{ serving: 10, time: T0, served: 0 }]);
      await store.incrementServingCounter(event, 10, T0 + 40);
      assert.deepEqual(await store.servingHistory(event, 10), [
        { serving: 10, time: T0, served: 0 },
        { serving: 20, time: T0 + 40, served: 0 },
      ]);
    });

    it('reads the history as it stood at a time, and when a position was reached (wait-estimate samples)', async () => {
      const event = freshEvent();
      for (let i = 1; i <= 9; i++) await store.incrementServingCounter(event, 3, T0 + 10 * i);
      // Rows 3@T0+10 … 27@T0+90. At T0+45 the newest rows were 9@T0+30 and 12@T0+40.
      const at45 = await store.historyAt(event, 20, T0 + 45, 2);
      assert.deepEqual(
        at45.rows.map((row) => [row.serving, row.time]),
        [
          [9, T0 + 30],
          [12, T0 + 40],
        ],
      );
      // Position 20 was first covered by the row 21 at T0+70.
      assert.equal(at45.reachedAt, T0 + 70);
      // A row written at the very time counts; before the first row there is none.
      assert.deepEqual(
        (await store.historyAt(event, 3, T0 + 10, 5)).rows.map((row) => row.serving),
        [3],
      );
      assert.deepEqual(await store.historyAt(event, 3, T0 + 9, 5), { rows: [], reachedAt: T0 + 10 });
      assert.equal((await store.historyAt(event, 28, T0 + 95, 50)).rows.length, 9);
      assert.equal((await store.historyAt(event, 28, T0 + 95, 50)).reachedAt, null, 'not reached yet');
      const empty = freshEvent();
      assert.deepEqual(await store.historyAt(empty, 1, T0, 5), { rows: [], reachedAt: null });
    });

    it('keeps the newest wait-estimate samples, newest first, and forgets them on a reset', async () => {
      const event = freshEvent();
      assert.deepEqual(await store.etaSamples(event), []);
      for (let i = 1; i <= 5; i++) await store.recordEtaSample(event, { estimated: 10 * i, actual: i }, 3);
      assert.deepEqual(await store.etaSamples(event), [
        { estimated: 50, actual: 5 },
        { estimated: 40, actual: 4 },
        { estimated: 30, actual: 3 },
      ]);
      await store.reset(event);
      assert.deepEqual(await store.etaSamples(event), []);
    });

    it('keeps the counter and its history exact beyond 10^14, and never above 2^53 − 1', async () => {
      const event = freshEvent();
      // 15 significant digits: more than Lua's default number-to-string conversion keeps
      const big = 123_456_789_012_341;
      assert.equal(await store.incrementServingCounter(event, big, T0), big);
      assert.equal(await store.incrementServingCounter(event, 5, T0 + 1), big + 5);
      assert.equal(await store.incrementServingCounter(event, -2, T0 + 2), big + 3);
      assert.deepEqual(await store.servingHistory(event, 10), [
        { serving: big, time: T0, served: 0 },
        { serving: big + 3, time: T0 + 2, served: 0 },
      ]);
      const capped = freshEvent();
      const max = Number.MAX_SAFE_INTEGER;
      assert.equal(await store.incrementServingCounter(capped, max - 1, T0), max - 1);
      assert.equal(await store.incrementServingCounter(capped, 1_000_000_000, T0 + 1), max);
      assert.equal(await store.incrementServingCounter(capped, 1_000_000_000, T0 + 2), max);
      assert.equal(await store.getServingCounter(capped), max);
      assert.equal(await store.incrementServingCounter(capped, -1, T0 + 3), max - 1);
      assert.deepEqual(
        (await store.servingHistory(capped, 10)).map((row) => row.serving),
        [max - 1],
        'the row at max − 1 was kept, the row at max dropped',
      );
    });

    it('reports all counters of a new event as 0', async () => {
      assert.deepEqual(await store.getCounters(freshEvent()), {
        queue: 0,
        serving: 0,
        tokens: 0,
        expired: 0,
        completed: 0,
        abandoned: 0,
        maxExpiredPosition: 0,
        resets: 0,
      });
      assert.equal(await store.waitingCount(freshEvent()), 0);
    });

    it('counts resets in the counters, so a reset refilled to the same counters still shows', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 3, T0);
      await store.incrementServingCounter(event, 1, T0);
      const before = await store.getCounters(event);
      assert.equal(before.resets, 0);
      await store.reset(event);
      await enqueueMany(store, event, 3, T0 + 1);
      await store.incrementServingCounter(event, 1, T0 + 1);
      const after = await store.getCounters(event);
      assert.deepEqual(
        { ...after, resets: before.resets },
        before,
        'the refilled queue has the same counters as before the reset',
      );
      assert.equal(after.resets, 1, 'only the reset count tells the reset apart');
      await store.reset(event);
      assert.equal((await store.getCounters(event)).resets, 2);
      assert.equal((await store.getCounters(freshEvent())).resets, 0, 'per event');
    });

    it('counts waiting visitors as queue − tokens − expired', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 6, T0);
      assert.equal(await store.waitingCount(event), 6);
      await store.incrementServingCounter(event, 3, T0);
      await issueOrFail(store, event, issueInput(rid(event, 1), T0));
      await issueOrFail(store, event, issueInput(rid(event, 2), T0));
      assert.equal(await store.waitingCount(event), 4);
      await store.expirePositions(event, T0 + 100, 50, false);
      assert.equal((await store.getCounters(event)).expired, 1, 'position 3 expired unclaimed');
      assert.equal(await store.waitingCount(event), 3);
    });
  });

  describe(`${name}: issueToken`, () => {
    it('answers unknown for a request id that was never queued', async () => {
      const event = freshEvent();
      assert.deepEqual(await store.issueToken(event, issueInput(rid(event, 1), T0)), { kind: 'unknown' });
    });

    it('answers not_yet while position > serving counter', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 3, T0);
      await store.incrementServingCounter(event, 2, T0);
      assert.deepEqual(await store.issueToken(event, issueInput(rid(event, 3), T0)), {
        kind: 'not_yet',
        position: 3,
        serving: 2,
      });
      assert.equal((await store.getCounters(event)).tokens, 0);
    });

    it('issues once and returns the same stored claims on every later call', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 2, T0);
      await store.incrementServingCounter(event, 2, T0 + 1);
      const first = await store.issueToken(
        event,
        issueInput(rid(event, 2), T0 + 10, { validitySeconds: 600 }),
      );
      const session: SessionRecord = {
        requestId: rid(event, 2),
        eventId: event,
        position: 2,
        issuedAt: T0 + 10,
        expiresAt: T0 + 610,
        issuer: 'https://rooms.example/oidc',
        status: 'active',
      };
      assert.deepEqual(first, { kind: 'issued', session, created: true });
      const again = await store.issueToken(
        event,
        issueInput(rid(event, 2), T0 + 500, { validitySeconds: 9999, issuer: 'https://other.example' }),
      );
      assert.deepEqual(again, { kind: 'issued', session, created: false }, 'expiry is never extended');
      assert.deepEqual(await store.getSession(event, rid(event, 2)), session);
      assert.equal(await store.getSession(event, rid(event, 1)), null);
      const counters = await store.getCounters(event);
      assert.equal(counters.tokens, 1, 'only the first issuance counts');
      assert.deepEqual(await store.servingHistory(event, 5), [{ serving: 2, time: T0 + 1, served: 1 }]);
    });

    it('reads many sessions in one call, null where none, in the order asked', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 3, T0);
      await store.incrementServingCounter(event, 3, T0);
      const first = await issueOrFail(store, event, issueInput(rid(event, 1), T0));
      const third = await issueOrFail(store, event, issueInput(rid(event, 3), T0));
      await store.updateSession(event, rid(event, 3), 'completed');
      assert.deepEqual(
        await store.getSessions(event, [rid(event, 3), rid(event, 2), rid(event, 1), rid(event, 9)]),
        [{ ...third, status: 'completed' }, null, first, null],
      );
      assert.deepEqual(await store.getSessions(event, []), []);
      const other = freshEvent();
      assert.deepEqual(await store.getSessions(other, [rid(other, 1)]), [null]);
    });

    it('keeps an issuer containing ":" intact', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 1, T0);
      await store.incrementServingCounter(event, 1, T0);
      const issuer = 'https://rooms.example:8443/oidc?x=a:b';
      const session = await issueOrFail(store, event, issueInput(rid(event, 1), T0, { issuer }));
      assert.equal(session.issuer, issuer);
      assert.equal((await store.getSession(event, rid(event, 1)))?.issuer, issuer);
    });

    it('answers session_ended with the record once the session was completed or abandoned', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 2, T0);
      await store.incrementServingCounter(event, 2, T0);
      await issueOrFail(store, event, issueInput(rid(event, 1), T0));
      await issueOrFail(store, event, issueInput(rid(event, 2), T0));
      await store.updateSession(event, rid(event, 1), 'completed');
      await store.updateSession(event, rid(event, 2), 'abandoned');
      const ended = await store.issueToken(event, issueInput(rid(event, 1), T0 + 1));
      assert.equal(ended.kind, 'session_ended');
      assert.equal(ended.kind === 'session_ended' && ended.session.status, 'completed');
      const abandoned = await store.issueToken(event, issueInput(rid(event, 2), T0 + 1));
      assert.equal(abandoned.kind === 'session_ended' && abandoned.session.status, 'abandoned');
    });

    it('answers full under maxActive, and issues again once a place frees up', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 4, T0);
      await store.incrementServingCounter(event, 4, T0);
      const limit = { maxActive: 2, validitySeconds: 100 };
      await issueOrFail(store, event, issueInput(rid(event, 1), T0, limit));
      await issueOrFail(store, event, issueInput(rid(event, 2), T0 + 50, limit));
      assert.deepEqual(await store.issueToken(event, issueInput(rid(event, 3), T0 + 60, limit)), {
        kind: 'full',
        position: 3,
        serving: 4,
      });
      // an existing session is returned even when full
      assert.equal((await store.issueToken(event, issueInput(rid(event, 1), T0 + 60, limit))).kind, 'issued');
      await store.updateSession(event, rid(event, 1), 'completed');
      await issueOrFail(store, event, issueInput(rid(event, 3), T0 + 60, limit));
      // rid(event, 2) expires at T0+150: it takes a place until then, not at T0+150 itself
      assert.equal((await store.issueToken(event, issueInput(rid(event, 4), T0 + 149, limit))).kind, 'full');
      await issueOrFail(store, event, issueInput(rid(event, 4), T0 + 150, limit));
      assert.equal(await store.activeCount(event, T0 + 150), 2);
    });

    it('refuses a position not claimed within the expiry period (strictly after it)', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 3, T0);
      await store.incrementServingCounter(event, 3, T0 + 100);
      const expiry = { expirySeconds: 60 };
      // reference = max(entry T0, reached T0+100) = T0+100
      await issueOrFail(store, event, issueInput(rid(event, 1), T0 + 160, expiry));
      assert.deepEqual(await store.issueToken(event, issueInput(rid(event, 2), T0 + 161, expiry)), {
        kind: 'position_expired',
      });
      // expiry only guards the first issuance
      assert.equal(
        (await store.issueToken(event, issueInput(rid(event, 1), T0 + 5000, expiry))).kind,
        'issued',
      );
      // expiry off: a late claim still succeeds
      await issueOrFail(store, event, issueInput(rid(event, 3), T0 + 5000));
    });

    it('measures expiry from the entry time when the visitor joined after being reached', async () => {
      const event = freshEvent();
      await store.incrementServingCounter(event, 10, T0);
      await store.enqueue(event, { now: T0 + 1000 });
      await store.enqueue(event, { now: T0 + 1000 });
      await issueOrFail(store, event, issueInput(rid(event, 1), T0 + 1060, { expirySeconds: 60 }));
      assert.equal(
        (await store.issueToken(event, issueInput(rid(event, 2), T0 + 1061, { expirySeconds: 60 }))).kind,
        'position_expired',
      );
    });
  });

  describe(`${name}: sessions`, () => {
    it('counts active sessions with expiresAt > now and status active', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 3, T0);
      await store.incrementServingCounter(event, 3, T0);
      await issueOrFail(store, event, issueInput(rid(event, 1), T0, { validitySeconds: 100 }));
      await issueOrFail(store, event, issueInput(rid(event, 2), T0, { validitySeconds: 200 }));
      await issueOrFail(store, event, issueInput(rid(event, 3), T0, { validitySeconds: 300 }));
      assert.equal(await store.activeCount(event, T0), 3);
      assert.equal(await store.activeCount(event, T0 + 100), 2, 'expiresAt == now is no longer active');
      await store.updateSession(event, rid(event, 3), 'abandoned');
      assert.equal(await store.activeCount(event, T0 + 100), 1);
      assert.equal(await store.activeCount(freshEvent(), T0), 0);
    });

    it('changes an active session once, counting completed and abandoned', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 2, T0);
      await store.incrementServingCounter(event, 2, T0);
      const issued = await issueOrFail(store, event, issueInput(rid(event, 1), T0));
      await issueOrFail(store, event, issueInput(rid(event, 2), T0));
      assert.deepEqual(await store.updateSession(event, rid(event, 1), 'completed'), {
        ...issued,
        status: 'completed',
      });
      assert.equal(await store.updateSession(event, rid(event, 1), 'abandoned'), null, 'only once');
      assert.equal(await store.updateSession(event, rid(event, 1), 'completed'), null);
      assert.equal((await store.updateSession(event, rid(event, 2), 'abandoned'))?.status, 'abandoned');
      assert.equal(await store.updateSession(event, rid(event, 9), 'completed'), null, 'unknown request id');
      const counters = await store.getCounters(event);
      assert.deepEqual([counters.completed, counters.abandoned], [1, 1]);
      assert.equal((await store.getSession(event, rid(event, 1)))?.status, 'completed');
    });

    it('lists expired sessions (expiresAt < now, any status) oldest first, page by page', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 6, T0);
      await store.incrementServingCounter(event, 6, T0);
      // issue in an order that differs from expiry order
      const validity = [50, 10, 40, 20, 30, 500];
      for (let i = 1; i <= 6; i++) {
        await issueOrFail(store, event, issueInput(rid(event, i), T0, { validitySeconds: validity[i - 1]! }));
      }
      await store.updateSession(event, rid(event, 4), 'completed');
      const now = T0 + 50; // rid(event, 1) expires exactly now: not listed
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.expiredSessions(event, now, { limit: 2, cursor });
        assert.ok(page.items.length <= 2);
        seen.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined);
      assert.deepEqual(seen, [rid(event, 2), rid(event, 4), rid(event, 5), rid(event, 3)]);
      assert.equal(pages, 2);
      assert.deepEqual(await store.expiredSessions(event, T0, { limit: 10 }), {
        items: [],
        nextCursor: null,
      });
      await assert.rejects(
        store.expiredSessions(event, now, { limit: 2, cursor: 'bm90LWEtc2Vzc2lvbg' }),
        (error: unknown) => error instanceof ValidationError && error.code === 'invalid_cursor',
      );
    });
  });

  describe(`${name}: positionExpiry`, () => {
    it('walks unknown, off, not_served, running, expired (strict) and claimed', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 3, T0);
      assert.deepEqual(await store.positionExpiry(event, rid(event, 9), T0, 60), { kind: 'unknown' });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 1), T0, null), { kind: 'off' });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 1), T0, 60), { kind: 'not_served' });
      await store.incrementServingCounter(event, 2, T0 + 100);
      assert.deepEqual(await store.positionExpiry(event, rid(event, 1), T0 + 110, 60), {
        kind: 'running',
        expiresIn: 50,
      });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 1), T0 + 160, 60), {
        kind: 'running',
        expiresIn: 0,
      });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 1), T0 + 161, 60), { kind: 'expired' });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 3), T0 + 161, 60), {
        kind: 'not_served',
      });
      await issueOrFail(store, event, issueInput(rid(event, 2), T0 + 120, { expirySeconds: 60 }));
      assert.deepEqual(await store.positionExpiry(event, rid(event, 2), T0 + 9999, 60), { kind: 'claimed' });
    });
  });

  describe(`${name}: expirePositions`, () => {
    /** The AWS unit scenario: rows (10, served 8) and (25, served 11). */
    async function awsScenario(event: string): Promise<void> {
      await enqueueMany(store, event, 30, T0);
      await store.incrementServingCounter(event, 10, T0 + 100);
      for (let i = 1; i <= 8; i++) await issueOrFail(store, event, issueInput(rid(event, i), T0 + 150));
      await store.incrementServingCounter(event, 15, T0 + 200);
      for (let i = 11; i <= 21; i++) await issueOrFail(store, event, issueInput(rid(event, i), T0 + 250));
      assert.deepEqual(await store.servingHistory(event, 10), [
        { serving: 10, time: T0 + 100, served: 8 },
        { serving: 25, time: T0 + 200, served: 11 },
      ]);
    }

    it('expires both rows and auto-advances +2 then +4', async () => {
      const event = freshEvent();
      await awsScenario(event);
      // row 25 was reached at T0+200: at T0+1100 exactly 900 s passed, which expires it (≥)
      const result = await store.expirePositions(event, T0 + 1100, 900, true);
      assert.deepEqual(result, { maxExpiredPosition: 25, newlyExpired: 6, advancedBy: 6, serving: 31 });
      assert.deepEqual((await store.servingHistory(event, 10)).slice(2), [
        { serving: 27, time: T0 + 1100, served: 0 },
        { serving: 31, time: T0 + 1100, served: 0 },
      ]);
      const counters = await store.getCounters(event);
      assert.deepEqual([counters.expired, counters.maxExpiredPosition, counters.serving], [6, 25, 31]);
      assert.equal(await store.waitingCount(event), 30 - 19 - 6);
      // a position that had its token keeps it
      const kept = await store.issueToken(
        event,
        issueInput(rid(event, 1), T0 + 1100, { expirySeconds: 900 }),
      );
      assert.deepEqual([kept.kind, kept.kind === 'issued' && kept.created], ['issued', false]);
      assert.deepEqual(
        await store.issueToken(event, issueInput(rid(event, 9), T0 + 1100, { expirySeconds: 900 })),
        {
          kind: 'position_expired',
        },
      );
      assert.deepEqual(await store.positionExpiry(event, rid(event, 22), T0 + 1100, 900), {
        kind: 'expired',
      });
      // positions the counter advanced over were reached just now
      assert.deepEqual(await store.positionExpiry(event, rid(event, 26), T0 + 1100, 900), {
        kind: 'running',
        expiresIn: 900,
      });
      // nothing new: a second run changes nothing
      assert.deepEqual(await store.expirePositions(event, T0 + 1100, 900, true), {
        maxExpiredPosition: 25,
        newlyExpired: 0,
        advancedBy: 0,
        serving: 31,
      });
    });

    it('counts expired positions without moving the counter when auto-advance is off', async () => {
      const event = freshEvent();
      await awsScenario(event);
      const result = await store.expirePositions(event, T0 + 1100, 900, false);
      assert.deepEqual(result, { maxExpiredPosition: 25, newlyExpired: 6, advancedBy: 0, serving: 25 });
      assert.equal((await store.servingHistory(event, 10)).length, 2);
    });

    it('stops at the first row that has not expired yet', async () => {
      const event = freshEvent();
      await awsScenario(event);
      const result = await store.expirePositions(event, T0 + 1099, 900, true);
      assert.deepEqual(result, { maxExpiredPosition: 10, newlyExpired: 2, advancedBy: 2, serving: 27 });
    });

    it('counts claimed positions as claimed after the counter was moved back and forth', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 12, T0);
      await store.incrementServingCounter(event, 10, T0 + 100);
      for (let i = 1; i <= 8; i++) await issueOrFail(store, event, issueInput(rid(event, i), T0 + 150));
      // an operator correction: back by 5, then forward again; positions 1..8 keep their tokens
      await store.incrementServingCounter(event, -5, T0 + 200);
      await store.incrementServingCounter(event, 5, T0 + 210);
      const result = await store.expirePositions(event, T0 + 1110, 900, true);
      assert.deepEqual(
        result,
        { maxExpiredPosition: 10, newlyExpired: 2, advancedBy: 2, serving: 12 },
        'only positions 9 and 10 expired unclaimed',
      );
      assert.equal((await store.getCounters(event)).expired, 2);
      assert.equal(await store.waitingCount(event), 12 - 8 - 2);
    });

    it('stops counting an expired position as expired once it gets a token (expiry turned off)', async () => {
      const event = freshEvent();
      await enqueueMany(store, event, 5, T0);
      await store.incrementServingCounter(event, 3, T0);
      await store.expirePositions(event, T0 + 100, 50, false);
      assert.equal((await store.getCounters(event)).expired, 3);
      assert.equal(await store.waitingCount(event), 2);
      // the operator turned expiry off: the visitor at position 1 claims after all
      await issueOrFail(store, event, issueInput(rid(event, 1), T0 + 200, { expirySeconds: null }));
      const counters = await store.getCounters(event);
      assert.deepEqual([counters.tokens, counters.expired, counters.maxExpiredPosition], [1, 2, 3]);
      assert.equal(await store.waitingCount(event), 5 - 1 - 2, 'position 1 is counted once, not twice');
    });

    it('bounds the expiry at the queue counter and counts later joiners correctly', async () => {
      const event = freshEvent();
      await store.incrementServingCounter(event, 100, T0);
      await enqueueMany(store, event, 5, T0);
      await issueOrFail(store, event, issueInput(rid(event, 2), T0 + 10));
      let result = await store.expirePositions(event, T0 + 60, 60, false);
      assert.deepEqual(result, { maxExpiredPosition: 5, newlyExpired: 4, advancedBy: 0, serving: 100 });
      for (let i = 6; i <= 9; i++) await store.enqueue(event, { now: T0 + 100 });
      await issueOrFail(store, event, issueInput(rid(event, 7), T0 + 120, { expirySeconds: 60 }));
      result = await store.expirePositions(event, T0 + 159, 60, false);
      assert.equal(result.newlyExpired, 0, 'entry time of position 9 is T0+100: not expired yet');
      result = await store.expirePositions(event, T0 + 160, 60, false);
      assert.deepEqual(result, { maxExpiredPosition: 9, newlyExpired: 3, advancedBy: 0, serving: 100 });
      assert.equal((await store.getCounters(event)).expired, 7);
      assert.equal(await store.waitingCount(event), 0);
    });
  });

  describe(`${name}: reset`, () => {
    it("removes every trace of one event's queue and leaves other events alone", async () => {
      const event = freshEvent();
      const other = freshEvent();
      await store.enqueue(event, { visitorKey: 'cookie', now: T0 });
      await store.enqueue(other, { now: T0 });
      await store.incrementServingCounter(event, 1, T0);
      await issueOrFail(store, event, issueInput(rid(event, 1), T0, { validitySeconds: 1 }));
      await store.expirePositions(event, T0 + 10, 1, false);
      const settings: EventSettings = {
        id: event,
        mode: 'closed',
        inlet: { type: 'manual' },
        tokenValiditySeconds: 60,
        queuePositionExpirySeconds: 60,
        incrementServingOnExpiry: false,
      };
      await store.putEventOverride(settings);
      await store.reset(event);
      assert.deepEqual(
        await store.getEventOverride(event),
        settings,
        'operator settings survive a queue reset',
      );
      assert.deepEqual(await store.getCounters(event), {
        ...(await store.getCounters(freshEvent())),
        resets: 1,
      });
      assert.equal(await store.getEntry(event, rid(event, 1)), null);
      assert.equal(await store.getSession(event, rid(event, 1)), null);
      assert.deepEqual(await store.servingHistory(event, 10), []);
      assert.equal(await store.activeCount(event, T0), 0);
      assert.deepEqual(await store.expiredSessions(event, T0 + 100, { limit: 10 }), {
        items: [],
        nextCursor: null,
      });
      const again = await store.enqueue(event, { visitorKey: 'cookie', now: T0 + 20 });
      assert.deepEqual([again.position, again.created], [1, true]);
      assert.equal((await store.getEntry(other, rid(other, 1)))?.position, 1);
    });
  });

  describe(`${name}: leases and ticks`, () => {
    it('gives a lease to one owner at a time, renews it for the holder, frees it after the ttl', async () => {
      const lease = `lease-${randomUUID()}`;
      assert.equal(await store.acquireLease(lease, 'a', 10_000), true);
      assert.equal(await store.acquireLease(lease, 'b', 10_000), false);
      assert.equal(await store.acquireLease(lease, 'a', 10_000), true, 'renewal');
      const short = `lease-${randomUUID()}`;
      assert.equal(await store.acquireLease(short, 'a', 250), true);
      assert.equal(await store.acquireLease(short, 'b', 250), false);
      // leases are wall-clock by nature (Redis PX): wait past the ttl
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await store.acquireLease(short, 'b', 10_000), true);
      assert.equal(await store.acquireLease(short, 'a', 10_000), false);
    });

    it('draws a new place on the client budget of a minute that refills continuously, refusing without taking', async () => {
      const event = freshEvent();
      const t0 = 1_900_000_000_000;
      let n = 0;
      /** 0 when a place was taken, else the seconds the refusal asked to wait. */
      const take = async (client: string, perMinute: number, nowMs: number, visitorKey?: string) => {
        try {
          await store.enqueue(event, {
            visitorKey,
            now: T0,
            rateLimit: { client, perMinute, nowMs },
          });
          n += 1;
          return 0;
        } catch (error) {
          assert.ok(error instanceof AnteroomError && error.code === 'rate_limited', String(error));
          assert.equal(error.status, 429);
          return error.retryAfter;
        }
      };
      assert.equal(await take('a', 2, t0, 'vid:a'), 0);
      assert.equal(await take('a', 2, t0 + 10), 0);
      assert.equal(await take('a', 2, t0 + 20), 30, 'full: one is back in 30 s');
      assert.equal(await take('a', 2, t0 + 30), 30, 'a refusal took nothing');
      assert.equal(await take('a', 2, t0 + 40, 'vid:a'), 0, 'a known visitor spends nothing');
      assert.equal(await take('b', 2, t0), 0, 'budgets are per client');
      assert.equal(await take('a', 2, t0 + 29_000), 1, 'one second to go');
      assert.equal(await take('a', 2, t0 + 30_010, 'vid:late'), 0, 'half a minute: one more');
      assert.equal(await take('a', 2, t0 + 30_020, 'vid:refused'), 30);
      // 120 a minute: one every half second once the minute's worth is spent.
      for (let i = 0; i < 120; i++) assert.equal(await take('fast', 120, t0), 0);
      assert.equal(await take('fast', 120, t0), 1);
      assert.equal(await take('fast', 120, t0 + 500), 0);
      assert.equal(await take('fast', 120, t0 + 500), 1);

      // Every refusal took no position and claimed no visitor key.
      assert.equal((await store.getCounters(event)).queue, n - 1, 'the known visitor got its first place');
      const refused = await store.enqueue(event, {
        visitorKey: 'vid:refused',
        now: T0,
      });
      assert.equal(refused.created, true);
      assert.equal(refused.position, n);
      // Budgets are per event too.
      const other = freshEvent();
      await store.enqueue(other, {
        now: T0,
        rateLimit: { client: 'a', perMinute: 2, nowMs: t0 + 30_030 },
      });
    });

    it('draws on a named budget of a minute that refills continuously, refusing without taking', async () => {
      const t0 = 1_900_000_000_000;
      const name = `auth:${randomUUID()}`;
      assert.equal(await store.takeBudget(name, 2, t0), 0);
      assert.equal(await store.takeBudget(name, 2, t0 + 10), 0);
      assert.equal(await store.takeBudget(name, 2, t0 + 20), 30, 'full: one is back in 30 s');
      assert.equal(await store.takeBudget(name, 2, t0 + 30), 30, 'a refusal took nothing');
      assert.equal(await store.takeBudget(`${name}-other`, 2, t0), 0, 'budgets are per name');
      assert.equal(await store.takeBudget(name, 2, t0 + 29_000), 1, 'one second to go');
      assert.equal(await store.takeBudget(name, 2, t0 + 30_010), 0, 'half a minute: one more');
      assert.equal(await store.takeBudget(name, 2, t0 + 30_020), 30);
      // The enqueue budget of a client of the same name is another budget.
      await store.enqueue(freshEvent(), {
        now: T0,
        rateLimit: { client: name, perMinute: 2, nowMs: t0 + 30_030 },
      });
    });

    it('releases a lease only for its holder, and a released lease is free at once', async () => {
      const lease = `lease-${randomUUID()}`;
      assert.equal(await store.releaseLease(lease, 'a'), false, 'nobody held it');
      assert.equal(await store.acquireLease(lease, 'a', 60_000), true);
      assert.equal(await store.releaseLease(lease, 'b'), false, 'not the holder');
      assert.equal(await store.acquireLease(lease, 'b', 60_000), false, 'still held by a');
      assert.equal(await store.releaseLease(lease, 'a'), true);
      assert.equal(await store.releaseLease(lease, 'a'), false, 'already released');
      assert.equal(await store.acquireLease(lease, 'b', 60_000), true, 'free before its ttl');
    });
  });

  inletStoreSuites(name, () => ({ store, connect: () => subject!.connect() }));
  presenceSuites(name, () => ({ store }));

  describe(`${name}: advanceOnTick`, () => {
    /** Visitors `from`…`to` (request ids rid(from)…rid(to)) join the queue. */
    async function enqueueRange(eventId: string, from: number, to: number, now: number): Promise<void> {
      for (let n = from; n <= to; n++) await store.enqueue(eventId, { now });
    }

    it('advances once per tick, never again for the same or an older tick, and records history', async () => {
      const event = freshEvent();
      await enqueueRange(event, 1, 10, T0);
      assert.equal(await tickServing(store, event, T0, 3, T0), 3);
      const counters = await store.getCounters(event);
      for (const [tick, now] of [
        [T0, T0 + 1],
        [T0 - 10, T0 + 2],
      ] as const) {
        assert.equal(await tickServing(store, event, tick, 3, now), null, `tick T0${tick - T0 || ''}`);
      }
      assert.deepEqual(await store.getCounters(event), counters, 'a refused tick changed nothing');
      assert.deepEqual(await store.servingHistory(event, 10), [{ serving: 3, time: T0, served: 0 }]);
      assert.equal(await tickServing(store, event, T0 + 10, 2, T0 + 11), 5);
      assert.equal(await tickServing(store, event, T0 + 10, 2, T0 + 12), null);
      assert.equal(await tickServing(store, event, T0 + 5, 2, T0 + 13), null, 'below the last tick taken');
      assert.equal(await store.getServingCounter(event), 5);
      assert.deepEqual(await store.servingHistory(event, 10), [
        { serving: 3, time: T0, served: 0 },
        { serving: 5, time: T0 + 11, served: 0 },
      ]);
      const other = freshEvent();
      await enqueueRange(other, 1, 4, T0);
      assert.equal(await tickServing(store, other, T0, 4, T0), 4, 'ticks are per event');
    });

    it('admits only visitors actually queued: idle ticks bank nothing for a later crowd', async () => {
      const event = freshEvent();
      await enqueueRange(event, 1, 3, T0);
      assert.equal(await tickServing(store, event, T0, 10, T0), 3, 'stops at the last position');
      // Nobody new: the tick is taken (a retry of it is refused) but the counter stays.
      assert.equal(await tickServing(store, event, T0 + 10, 10, T0 + 10), 3, 'unchanged value');
      assert.equal(await tickServing(store, event, T0 + 10, 10, T0 + 11), null, 'the idle tick was taken');
      for (const [index, tick] of [T0 + 20, T0 + 30, T0 + 40].entries()) {
        assert.equal(await tickServing(store, event, tick, 10, tick), 3, `idle tick ${index}`);
      }
      assert.deepEqual(await store.servingHistory(event, 10), [{ serving: 3, time: T0, served: 0 }]);
      await enqueueRange(event, 4, 8, T0 + 45);
      assert.equal(await tickServing(store, event, T0 + 50, 10, T0 + 50), 8, 'the crowd of 5, not 5 + 40');
      await enqueueRange(event, 9, 30, T0 + 55);
      assert.deepEqual(
        await store.advanceOnTick(event, T0 + 60, 10, T0 + 60),
        { serving: 18, moved: 10 },
        'a long queue moves by 10, and the tick says how far it moved',
      );
      assert.deepEqual(await store.advanceOnTick(event, T0 + 70, 10, T0 + 70), { serving: 28, moved: 10 });
      assert.deepEqual(
        await store.advanceOnTick(event, T0 + 80, 10, T0 + 80),
        { serving: 30, moved: 2 },
        'the last two of the queue',
      );
      assert.deepEqual(
        await store.advanceOnTick(event, T0 + 90, 10, T0 + 90),
        { serving: 30, moved: 0 },
        'idle',
      );
      assert.equal((await store.getCounters(event)).queue, 30);
    });

    it('leaves a counter an admin moved past the queue, and still lowers it on a negative tick', async () => {
      const event = freshEvent();
      await enqueueRange(event, 1, 2, T0);
      assert.equal(await store.incrementServingCounter(event, 10, T0), 10, 'admin increments are not capped');
      assert.equal(await tickServing(store, event, T0, 5, T0), 10, 'not raised, not pulled back');
      assert.equal(await tickServing(store, event, T0 + 10, -3, T0 + 10), 7, 'a decrease is not capped');
      assert.equal(await tickServing(store, event, T0 + 20, -10, T0 + 20), 0, 'never below 0');
      assert.equal(await tickServing(store, event, T0 + 30, 5, T0 + 30), 2, 'back up to the queue only');
      const max = Number.MAX_SAFE_INTEGER;
      assert.equal(await store.incrementServingCounter(event, max, T0 + 40), max);
      assert.equal(await tickServing(store, event, T0 + 40, 1_000_000_000, T0 + 40), max, 'the 2^53 − 1 cap');
    });

    it('moves the counter as incrementServingCounter does within the queue (clamping, history)', async () => {
      const viaIncrement = freshEvent();
      const viaTick = freshEvent();
      await enqueueRange(viaIncrement, 1, 12, T0);
      await enqueueRange(viaTick, 1, 12, T0);
      const steps: [by: number, serving: number][] = [
        [5, 5],
        [0, 5],
        [-2, 3],
        [-10, 0],
        [7, 7],
        [5, 12],
        [-1, 11],
      ];
      for (const [index, [by, serving]] of steps.entries()) {
        const now = T0 + index * 10;
        assert.equal(await store.incrementServingCounter(viaIncrement, by, now), serving);
        assert.equal(await tickServing(store, viaTick, now, by, now), serving, `step ${index}: by ${by}`);
      }
      assert.deepEqual(await store.servingHistory(viaTick, 20), await store.servingHistory(viaIncrement, 20));
      assert.deepEqual(await store.getCounters(viaTick), await store.getCounters(viaIncrement));
    });

    it('forgets the last tick on reset', async () => {
      const event = freshEvent();
      await enqueueRange(event, 1, 3, T0);
      assert.equal(await tickServing(store, event, T0, 3, T0), 3);
      await store.reset(event);
      assert.equal(
        await tickServing(store, event, T0, 3, T0 + 1),
        0,
        'the same tick runs again, on an empty queue',
      );
      assert.equal(await tickServing(store, event, T0, 3, T0 + 1), null);
      await enqueueRange(event, 1, 3, T0 + 2);
      assert.equal(await tickServing(store, event, T0 + 10, 3, T0 + 10), 3);
      assert.deepEqual(await store.servingHistory(event, 10), [{ serving: 3, time: T0 + 10, served: 0 }]);
    });

    it('lets exactly one of many concurrent callers on several connections advance per tick', async () => {
      const event = freshEvent();
      await enqueueRange(event, 1, 20, T0);
      const extra = await Promise.all([1, 2].map(() => subject!.connect()));
      const connections = [store, ...extra];
      try {
        for (const [index, tick] of [T0, T0 + 10, T0 + 20].entries()) {
          const results = await Promise.all(
            connections.flatMap((connection) =>
              [1, 2, 3].map(() => tickServing(connection, event, tick, 4, tick)),
            ),
          );
          assert.deepEqual(
            results.filter((result) => result !== null),
            [4 * (index + 1)],
            `one advance at tick ${index}`,
          );
        }
        assert.equal(await store.getServingCounter(event), 12);
        assert.equal((await store.servingHistory(event, 10)).length, 3);
      } finally {
        for (const connection of extra) if (connection !== store) await connection.close();
      }
    });
  });

  describe(`${name}: overrides and audit`, () => {
    it('stores event settings overrides per event', async () => {
      const event = freshEvent();
      assert.equal(await store.getEventOverride(event), null);
      const settings: EventSettings = {
        id: event,
        mode: 'closed',
        inlet: { type: 'periodic', incrementBy: 5, intervalSeconds: 10, startTime: T0 },
        tokenValiditySeconds: 600,
        queuePositionExpirySeconds: null,
        incrementServingOnExpiry: true,
      };
      await store.putEventOverride(settings);
      assert.deepEqual(await store.getEventOverride(event), settings);
      assert.equal(await store.getEventOverride(freshEvent()), null);
      await store.putEventOverride({ ...settings, mode: 'queue' });
      assert.equal((await store.getEventOverride(event))?.mode, 'queue');
    });

    it('lists audit entries newest first, capped at the newest 10,000', async () => {
      const actor = `admin-${randomUUID()}`;
      for (let i = 1; i <= 3; i++) {
        await store.appendAudit({
          time: T0 + i,
          actor,
          action: `step-${i}`,
          eventId: 'x',
          before: { i },
          after: null,
        });
      }
      const listed = await store.listAudit(2);
      assert.deepEqual(listed, [
        { time: T0 + 3, actor, action: 'step-3', eventId: 'x', before: { i: 3 }, after: null },
        { time: T0 + 2, actor, action: 'step-2', eventId: 'x', before: { i: 2 }, after: null },
      ]);
      await Promise.all(
        Array.from({ length: 10_005 }, (_, i) =>
          store.appendAudit({ time: T0 + 10 + i, actor, action: 'bulk' }),
        ),
      );
      const all = await store.listAudit(20_000);
      assert.equal(all.length, 10_000);
      assert.equal(
        all.some((entry) => entry.action.startsWith('step-')),
        false,
        'oldest entries dropped',
      );
    });

    it('answers ping', async () => {
      assert.equal(await store.ping(), true);
    });
  });

  entrySuites(name, () => subject!);
  drawSuites(name, () => ({ store, connect: () => subject!.connect() }));
}
