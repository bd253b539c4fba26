/**
 * The store contract, pre-queue and draw part (API.md section 6): pre-queued entries without a
 * position (their request ids carry their arrival number), the close at startAt, the draw in
 * slices (exactly once, resumable, safe against a second process drawing at once) and the
 * published participants. Called from
 * `store-contract.ts`, so memory, Redis and Redis Cluster all pass the same tests.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { drawKey, participantDigest } from '../../queue-core/draw/order.ts';
import { drawnOrder, runDraw } from '../../queue-core/draw/run-draw.ts';
import type { EventSettings, QueueStore } from '../../queue-core/types.ts';

const T0 = 1_700_000_000;
const START = T0 + 600;
const SEED = Buffer.alloc(32, 7);

function scheduled(id: string, draw: 'fifo' | 'shuffle'): EventSettings {
  return {
    id,
    mode: 'queue',
    inlet: { type: 'manual' },
    tokenValiditySeconds: 300,
    queuePositionExpirySeconds: null,
    incrementServingOnExpiry: false,
    schedule: { prequeueAt: T0, startAt: START },
    draw,
  };
}

const issue = (requestId: string, now: number) => ({
  requestId,
  now,
  validitySeconds: 300,
  issuer: 'https://rooms.example/oidc',
  expirySeconds: null,
});

export function drawSuites(
  name: string,
  subject: () => { store: QueueStore; connect(): Promise<QueueStore> },
): void {
  const freshEvent = () => `draw-${process.pid}-${randomUUID().slice(0, 8)}`;

  /** `count` visitors join the pre-queue, one second apart; their request ids in arrival order. */
  async function prequeue(
    store: QueueStore,
    eventId: string,
    count: number,
    shuffle = true,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const entry = await store.enqueue(eventId, {
        visitorKey: `v${i}`,
        now: T0 + i,
        prequeue: { startAt: START, shuffle },
      });
      ids.push(entry.requestId);
    }
    return ids;
  }

  async function positions(store: QueueStore, eventId: string, ids: string[]): Promise<Array<number | null>> {
    return Promise.all(ids.map(async (id) => (await store.getEntry(eventId, id))!.position));
  }

  /** Every participant's published list, page by page. */
  async function participants(store: QueueStore, eventId: string): Promise<string[]> {
    const all: string[] = [];
    for (;;) {
      const page = (await store.drawnIds(eventId, all.length, 4)).map(participantDigest);
      all.push(...page);
      if (page.length < 4) return all;
    }
  }

  const shuffled = (ids: string[]) =>
    [...ids].sort((a, b) => {
      const [ka, kb] = [drawKey(SEED, participantDigest(a)), drawKey(SEED, participantDigest(b))];
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });

  describe(`${name}: pre-queue and draw`, () => {
    it('keeps pre-queued visitors without a position, once each, and admits none of them', async () => {
      const { store } = subject();
      const event = freshEvent();
      const [first, second] = await prequeue(store, event, 2);
      const again = await store.enqueue(event, {
        visitorKey: 'v1',
        now: T0 + 5,
        prequeue: { startAt: START, shuffle: true },
      });
      assert.deepEqual(
        {
          requestId: again.requestId,
          position: again.position,
          prequeued: again.prequeued,
          created: again.created,
        },
        { requestId: second, position: null, prequeued: 2, created: false },
      );
      assert.deepEqual(await store.getEntry(event, first!), {
        requestId: first,
        eventId: event,
        position: null,
        entryTime: T0,
        prequeued: 1,
      });
      assert.equal((await store.getCounters(event)).queue, 0, 'no position handed out');
      await store.incrementServingCounter(event, 10, T0 + 6);
      assert.deepEqual(await store.issueToken(event, issue(first!, T0 + 6)), { kind: 'prequeue' });
      assert.deepEqual(await store.positionExpiry(event, first!, T0 + 6, 60), { kind: 'not_served' });
      assert.equal((await store.drawState(event)).phase, 'open');
    });

    it('closes at the first arrival after the start: later arrivals follow the participants, nobody admitted until drawn', async () => {
      const { store } = subject();
      const event = freshEvent();
      const ids = await prequeue(store, event, 3);
      const late = await store.enqueue(event, {
        now: START,
        prequeue: { startAt: START, shuffle: true },
      });
      assert.equal(late.position, 4);
      assert.deepEqual(await store.drawState(event), {
        phase: 'drawing',
        participants: 3,
        written: 0,
        base: 0,
        shuffled: true,
        closedAt: START,
        drawnAt: null,
      });
      assert.deepEqual(await positions(store, event, ids), [null, null, null], 'not drawn yet');
      await store.incrementServingCounter(event, 10, START);
      assert.deepEqual(await store.issueToken(event, issue(late.requestId, START)), { kind: 'prequeue' });
      assert.deepEqual(await store.issueToken(event, issue(ids[0]!, START)), { kind: 'prequeue' });
      const state = await runDraw(store, scheduled(event, 'shuffle'), {
        owner: 'a',
        seed: SEED,
        now: () => START + 1,
      });
      assert.equal(state.phase, 'drawn');
      assert.equal(state.drawnAt, START + 1);
      assert.deepEqual(await positions(store, event, shuffled(ids)), [1, 2, 3]);
      assert.equal(
        (await store.getEntry(event, ids[0]!))!.entryTime,
        START,
        'a drawn place dates from the draw',
      );
      assert.equal((await store.issueToken(event, issue(late.requestId, START + 1))).kind, 'issued');
      assert.equal((await store.issueToken(event, issue(ids[1]!, START + 1))).kind, 'issued');
      const again = await store.enqueue(event, {
        visitorKey: 'v2',
        now: START + 2,
        prequeue: { startAt: START, shuffle: true },
      });
      assert.deepEqual(
        [again.requestId, again.position, again.created],
        [ids[2], await (async () => (await store.getEntry(event, ids[2]!))!.position)(), false],
        'a participant who joins again gets their place back, with its drawn position',
      );
      const next = await store.enqueue(event, {
        now: START + 2,
        prequeue: { startAt: START, shuffle: true },
      });
      assert.equal(next.position, 5);
    });

    it('draws fifo in arrival order and publishes the digests in that order', async () => {
      const { store } = subject();
      const event = freshEvent();
      const ids = await prequeue(store, event, 9, false);
      const state = await runDraw(store, scheduled(event, 'fifo'), {
        owner: 'a',
        seed: null,
        now: () => START,
      });
      assert.deepEqual(
        [state.phase, state.shuffled, state.drawnAt],
        ['drawn', false, START],
        'drawn as it closes',
      );
      assert.deepEqual(await positions(store, event, ids), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await participants(store, event), ids.map(participantDigest));
    });

    it('draws shuffle in ascending HMAC order, slice by slice', async () => {
      const { store } = subject();
      const event = freshEvent();
      const ids = await prequeue(store, event, 11);
      const state = await runDraw(store, scheduled(event, 'shuffle'), {
        owner: 'a',
        seed: SEED,
        now: () => START,
        sliceSize: 3,
      });
      assert.equal(state.phase, 'drawn');
      const order = shuffled(ids);
      assert.notDeepEqual(order, ids, 'the shuffle moved someone');
      const placed = await positions(store, event, order);
      assert.deepEqual(
        placed,
        order.map((_, i) => i + 1),
      );
      assert.deepEqual(await participants(store, event), order.map(participantDigest));
      assert.deepEqual(await store.drawnIds(event, 11, 5), []);
    });

    it('resumes a draw another process left half done, and refuses a stale slice', async () => {
      const { store, connect } = subject();
      const event = freshEvent();
      const ids = await prequeue(store, event, 7);
      const order = shuffled(ids);
      await store.closePrequeue(event, START, true);
      // A process that died after writing 3 of the 7 ranks.
      const arrivals = await drawnOrder(store, event, SEED, 7);
      assert.deepEqual(
        [...arrivals].map((arrival) => ids[arrival - 1]),
        order,
        'the drawn order is the HMAC order of the published digests',
      );
      const ranks = Buffer.alloc(12);
      const atRanks = Buffer.alloc(12);
      for (let i = 0; i < 3; i++) {
        ranks.writeUInt32BE([...arrivals].indexOf(i + 1) + 1, i * 4);
        atRanks.writeUInt32BE(arrivals[i]!, i * 4);
      }
      assert.equal(await store.writeDrawSlice(event, 0, ranks, atRanks, START), 3);
      assert.equal(
        await store.writeDrawSlice(event, 0, ranks, atRanks, START),
        null,
        'written already: refused',
      );
      assert.equal(
        await store.writeDrawSlice(event, 3, ranks.subarray(0, 6), atRanks, START),
        null,
        'lengths differ',
      );
      const other = await connect();
      try {
        const state = await runDraw(other, scheduled(event, 'shuffle'), {
          owner: 'b',
          seed: SEED,
          now: () => START + 1,
        });
        assert.deepEqual([state.phase, state.written, state.participants], ['drawn', 7, 7]);
      } finally {
        if (other !== store) await other.close();
      }
      assert.deepEqual(await positions(store, event, order), [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await participants(store, event), order.map(participantDigest));
    });

    it('places every participant exactly once when two processes draw at the same moment', async () => {
      const { store, connect } = subject();
      const event = freshEvent();
      const ids = await prequeue(store, event, 25);
      const other = await connect();
      try {
        const settings = scheduled(event, 'shuffle');
        await Promise.all([
          runDraw(store, settings, { owner: 'a', seed: SEED, now: () => START, sliceSize: 2 }),
          runDraw(other, settings, { owner: 'b', seed: SEED, now: () => START, sliceSize: 2 }),
        ]);
        // The lease holder finished, or the other takes over: at most one more call completes it.
        await runDraw(other, settings, { owner: 'b', seed: SEED, now: () => START });
      } finally {
        if (other !== store) await other.close();
      }
      const order = shuffled(ids);
      assert.deepEqual(
        await positions(store, event, order),
        order.map((_, i) => i + 1),
      );
      assert.deepEqual(await participants(store, event), order.map(participantDigest));
      assert.equal((await store.getCounters(event)).queue, 25);
    });

    it('admits an arrival next in line while there is room, and only then', async () => {
      const { store } = subject();
      const event = freshEvent();
      const first = await store.enqueue(event, { now: T0 });
      const second = await store.enqueue(event, { now: T0 });
      assert.equal(await store.admitOnArrival(event, 2, 2, T0), false, 'someone ahead waits');
      assert.equal(await store.admitOnArrival(event, 1, 2, T0), true);
      assert.equal(await store.getServingCounter(event), 1);
      assert.equal(
        await store.admitOnArrival(event, 2, 1, T0),
        false,
        'position 1 is served, unclaimed: full',
      );
      assert.equal((await store.issueToken(event, issue(first.requestId, T0))).kind, 'issued');
      assert.equal(await store.admitOnArrival(event, 2, 1, T0), false, 'one active session: full');
      assert.equal(await store.admitOnArrival(event, 2, 2, T0), true);
      assert.equal(
        (await store.issueToken(event, { ...issue(second.requestId, T0), maxActive: 2 })).kind,
        'issued',
      );
    });

    it('refuses a new place once the line holds maxQueueLength, in the pre-queue and after it; a known visitor keeps theirs', async () => {
      const { store } = subject();
      const event = freshEvent();
      const join = (key: string, now: number) =>
        store.enqueue(event, {
          visitorKey: key,
          now,
          prequeue: { startAt: START, shuffle: false },
          maxQueueLength: 2,
        });
      await join('a', T0);
      await join('b', T0);
      await assert.rejects(join('c', T0), { code: 'queue_full' });
      assert.equal((await join('b', T0 + 1)).created, false, 'a visitor already in line is not refused');
      await assert.rejects(join('c', START), { code: 'queue_full' }, 'the two participants fill the line');
      await store.closePrequeue(event, START, false);
      await store.incrementServingCounter(event, 1, START);
      const late = await join('c', START);
      assert.deepEqual([late.position, late.created], [3, true], 'one served: room for one');
      await assert.rejects(join('d', START), { code: 'queue_full' });
      assert.equal((await store.drawState(event)).participants, 2, 'a refusal takes nothing');
    });

    it('is drawn at once with nobody in the pre-queue, and a reset forgets the draw', async () => {
      const { store } = subject();
      const event = freshEvent();
      const state = await store.closePrequeue(event, START, true);
      assert.deepEqual([state.phase, state.participants, state.drawnAt], ['drawn', 0, START]);
      const first = await store.enqueue(event, {
        now: START,
        prequeue: { startAt: START, shuffle: true },
      });
      assert.equal(first.position, 1);
      await store.reset(event);
      assert.equal((await store.drawState(event)).phase, 'open');
      assert.deepEqual(await store.drawnIds(event, 0, 10), []);
    });

    it('forgets pre-queue ids with a reset, and refuses ids it never issued', async () => {
      const { store } = subject();
      const event = freshEvent();
      const [id] = await prequeue(store, event, 1);
      const forged = `${id!.slice(0, 7)}${id![7] === '2' ? '3' : '2'}${id!.slice(8)}`;
      assert.equal(await store.getEntry(event, forged), null, 'another arrival number under the same MAC');
      await store.reset(event);
      assert.equal(await store.getEntry(event, id!), null);
      assert.deepEqual(await store.issueToken(event, issue(id!, START)), { kind: 'unknown' });
    });
  });
}
