/**
 * Scheduled sales over HTTP (API.md section 6, "Scheduled start with a pre-queue and a
 * verifiable draw"), once per store kind and through the Lambda handlers: closed before opening,
 * the pre-queue's answers, the draw at the start (by the inlet loop's tick) and what it publishes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { drawKey, participantDigest } from '../../queue-core/draw/order.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import { ADMIN_KEY, buildTestApp, type LambdaFormat, type StoreKind, type TestApp } from './support.ts';

const BASE = Math.floor(Date.now() / 1000);
const PREQUEUE_AT = BASE + 100;
const START_AT = BASE + 200;
const EVENTS = [
  { id: 'sale', draw: 'shuffle', schedule: { prequeueAt: PREQUEUE_AT, startAt: START_AT } },
  { id: 'fair', schedule: { prequeueAt: PREQUEUE_AT, startAt: START_AT } },
  { id: 'later', schedule: { startAt: START_AT } },
  { id: 'plain' },
  { id: 'instant', inlet: { type: 'max-size', maxActive: 3, instant: true } },
  { id: 'capped', maxQueueLength: 2 },
  { id: 'capped-pre', maxQueueLength: 2, schedule: { prequeueAt: PREQUEUE_AT, startAt: START_AT } },
];

export function scheduleSuite(kind: StoreKind, options: { lambda?: LambdaFormat } = {}): void {
  const through = options.lambda ? `, through Lambda ${options.lambda}` : '';
  describe(`scheduled sales over HTTP (${kind.name} store${through})`, { skip: kind.skip }, () => {
    let store: QueueStore;
    let t: TestApp;
    const pub = () => request(t.publicHandler);
    const join = (eventId: string, key: string) =>
      // An Idempotency-Key is a UUID or 22+ base64url characters.
      pub()
        .post('/assign_queue_num')
        .set('Idempotency-Key', `${key}-${'k'.repeat(22)}`)
        .send({ event_id: eventId });

    before(async () => {
      store = await kind.create();
      t = await buildTestApp(store, { events: EVENTS }, { lambda: options.lambda });
    });
    after(async () => {
      t.deps.room.close();
      await store.close();
      await kind.stop();
    });
    beforeEach(async () => {
      for (const event of EVENTS) await t.deps.room.reset(event.id, 'test');
      t.clock.seconds = BASE;
    });

    it('answers 403 event_not_open with opens_at before the pre-queue (or the start) opens', async () => {
      const res = await join('sale', 'a').expect(403);
      assert.deepEqual(res.body, {
        error: res.body.error,
        code: 'event_not_open',
        opens_at: PREQUEUE_AT,
      });
      assert.equal((await join('later', 'a').expect(403)).body.opens_at, START_AT);
      t.clock.seconds = START_AT;
      assert.equal((await join('later', 'a').expect(200)).body.queue_number, 1);
    });

    it('holds arrivals in the pre-queue without a position until the start', async () => {
      t.clock.seconds = PREQUEUE_AT;
      const first = await join('sale', 'a').expect(200);
      assert.deepEqual(Object.keys(first.body).sort(), [
        'api_request_id',
        'phase',
        'queue_number',
        'starts_at',
      ]);
      assert.deepEqual(
        [first.body.queue_number, first.body.phase, first.body.starts_at],
        [null, 'prequeue', START_AT],
      );
      const again = await join('sale', 'a').expect(200);
      assert.deepEqual(again.body, first.body, 'idempotent per visitor');
      const requestId = first.body.api_request_id as string;

      const queueNum = await pub()
        .get('/queue_num')
        .query({ event_id: 'sale', request_id: requestId })
        .expect(202);
      assert.deepEqual([queueNum.body.phase, queueNum.body.starts_at], ['prequeue', START_AT]);
      const token = await pub()
        .post('/generate_token')
        .send({ event_id: 'sale', request_id: requestId })
        .expect(202);
      assert.deepEqual([token.body.phase, token.body.starts_at], ['prequeue', START_AT]);
      const status = await pub()
        .get('/status')
        .query({ event_id: 'sale', request_id: requestId })
        .expect(200);
      assert.deepEqual(
        [status.body.phase, status.body.starts_at, status.body.queue_number, status.body.eligible],
        ['prequeue', START_AT, null, false],
      );
      // An operator moving the counter admits nobody from a pre-queue.
      await t.deps.room.incrementServingCounter('sale', 5, 'test');
      await pub().post('/generate_token').send({ event_id: 'sale', request_id: requestId }).expect(202);
    });

    it("the admin event view tells the pre-queue's phase and size: not open, pre-queue, drawing, open", async () => {
      const view = async (eventId: string) =>
        (
          await request(t.adminHandler)
            .get(`/events/${eventId}`)
            .set('Authorization', `Bearer ${ADMIN_KEY}`)
            .expect(200)
        ).body;
      assert.equal((await view('plain')).prequeue, null, 'no pre-queue, no phase');
      assert.equal((await view('later')).prequeue, null, 'a start without a pre-queue');
      const phase = async () => {
        const { prequeue } = await view('sale');
        return [prequeue.phase, prequeue.size, prequeue.written, prequeue.starts_at, prequeue.drawn_at];
      };
      assert.deepEqual(await phase(), ['not_open', 0, 0, START_AT, null]);
      t.clock.seconds = PREQUEUE_AT;
      for (let i = 0; i < 3; i++) await join('sale', `p${i}`).expect(200);
      assert.deepEqual(await phase(), ['prequeue', 3, 0, START_AT, null]);
      // Closed, its order not written yet: what a dashboard sees while a draw runs.
      t.clock.seconds = START_AT;
      await store.closePrequeue('sale', START_AT, true);
      assert.deepEqual(await phase(), ['drawing', 3, 0, START_AT, null]);
      await t.deps.room.tick('test');
      assert.deepEqual(await phase(), ['open', 3, 3, START_AT, START_AT]);
    });

    it('draws at the start: positions 1..n in HMAC order, later arrivals after them, the seed matching its commitment', async () => {
      const before = await pub().get('/events/sale/draw').expect(200);
      assert.equal(before.body.algorithm, 'hmac-sha256');
      assert.match(before.body.commitment, /^[0-9a-f]{64}$/);
      assert.deepEqual(
        [before.body.event_id, before.body.seed, before.body.participants, before.body.drawn_at],
        ['sale', null, null, null],
      );
      t.clock.seconds = PREQUEUE_AT;
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await join('sale', `v${i}`).expect(200)).body.api_request_id);
      await pub().get('/events/sale/draw/participants').expect(409);

      t.clock.seconds = START_AT;
      // Before the tick draws, a status answer stays in the pre-queue.
      const waiting = await pub().get('/status').query({ event_id: 'sale', request_id: ids[0] }).expect(200);
      assert.equal(waiting.body.phase, 'prequeue');
      await t.deps.room.tick('test');

      const drawn = await pub().get('/events/sale/draw').expect(200);
      assert.equal(drawn.body.commitment, before.body.commitment, 'the commitment never changes');
      assert.equal(
        createHash('sha256').update(Buffer.from(drawn.body.seed, 'hex')).digest('hex'),
        drawn.body.commitment,
      );
      assert.deepEqual([drawn.body.participants, drawn.body.drawn_at], [12, START_AT]);
      const seed = Buffer.from(drawn.body.seed, 'hex');
      const expected = ids
        .map((id) => ({ id, key: drawKey(seed, participantDigest(id)) }))
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .map(({ id }) => id);
      for (const [index, id] of expected.entries()) {
        const status = await pub().get('/status').query({ event_id: 'sale', request_id: id }).expect(200);
        assert.deepEqual([status.body.phase, status.body.queue_number], ['queue', index + 1]);
      }
      const page1 = await pub().get('/events/sale/draw/participants').query({ limit: 5 }).expect(200);
      const page3 = await pub()
        .get('/events/sale/draw/participants')
        .query({ offset: 10, limit: 5 })
        .expect(200);
      assert.deepEqual(page1.body, { items: expected.slice(0, 5).map(participantDigest), next_offset: 5 });
      assert.deepEqual(page3.body, { items: expected.slice(10).map(participantDigest), next_offset: null });
      await pub().get('/events/sale/draw/participants').query({ limit: 10_001 }).expect(400);

      const late = await join('sale', 'late').expect(200);
      assert.deepEqual(late.body, { api_request_id: late.body.api_request_id, queue_number: 13 });
    });

    it('tells an open stream its drawn position at the draw, and admits only then', {
      skip: options.lambda
        ? 'API Gateway buffers whole responses: on Lambda the stream answers one snapshot'
        : false,
    }, async () => {
      t.clock.seconds = PREQUEUE_AT;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await join('sale', `s${i}`).expect(200)).body.api_request_id);
      const server: Server = createServer(t.publicHandler);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const controller = new AbortController();
      try {
        const res = await fetch(`${base}/events/sale/stream?request_id=${ids[3]}`, {
          signal: controller.signal,
        });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        const nextStatus = async () => {
          for (;;) {
            const start = text.indexOf('event: status');
            const end = start < 0 ? -1 : text.indexOf('\n\n', start);
            if (end >= 0) {
              const block = text.slice(start, end);
              text = text.slice(end + 2);
              const data = block.split('\n').find((line) => line.startsWith('data: '))!;
              return JSON.parse(data.slice(6));
            }
            const chunk = await reader.read();
            if (chunk.done) throw new Error('stream ended');
            text += decoder.decode(chunk.value, { stream: true });
          }
        };
        const first = await nextStatus();
        assert.deepEqual(
          [first.phase, first.starts_at, first.queue_number, first.ahead, first.state],
          ['prequeue', START_AT, null, null, 'waiting'],
        );
        t.clock.seconds = START_AT;
        await t.deps.room.tick('test');
        const drawn = await nextStatus();
        const seed = Buffer.from((await pub().get('/events/sale/draw').expect(200)).body.seed, 'hex');
        const keys = ids.map((id) => drawKey(seed, participantDigest(id))).sort();
        const mine = keys.indexOf(drawKey(seed, participantDigest(ids[3]!))) + 1;
        assert.deepEqual([drawn.phase, drawn.queue_number], ['queue', mine], 'the drawn position, pushed');
        await t.deps.room.incrementServingCounter('sale', 5, 'test');
        const reached = await nextStatus();
        assert.equal(reached.state, 'eligible');
        const token = await pub().post('/generate_token').send({ event_id: 'sale', request_id: ids[3] });
        assert.equal(token.status, 200);
      } finally {
        controller.abort();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('draws fifo in arrival order, with no seed to commit to', async () => {
      const view = await pub().get('/events/fair/draw').expect(200);
      assert.deepEqual([view.body.algorithm, view.body.commitment], ['fifo', null]);
      t.clock.seconds = PREQUEUE_AT;
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await join('fair', `f${i}`).expect(200)).body.api_request_id);
      t.clock.seconds = START_AT + 3;
      await t.deps.room.tick('test');
      for (const [index, id] of ids.entries()) {
        const res = await pub().get('/queue_num').query({ event_id: 'fair', request_id: id }).expect(200);
        assert.equal(res.body.queue_number, index + 1);
      }
      const list = await pub().get('/events/fair/draw/participants').expect(200);
      assert.deepEqual(list.body, { items: ids.map(participantDigest), next_offset: null });
    });

    it('admits without waiting while nobody waits and there is room: the enqueue answer carries the serving counter', async () => {
      const first = await join('instant', 'i1').expect(200);
      assert.deepEqual(first.body, {
        api_request_id: first.body.api_request_id,
        queue_number: 1,
        serving_counter: 1,
      });
      const token = await pub()
        .post('/generate_token')
        .send({ event_id: 'instant', request_id: first.body.api_request_id });
      assert.equal(token.status, 200);
      const status = await pub()
        .get('/status')
        .query({ event_id: 'instant', request_id: first.body.api_request_id });
      assert.equal(status.body.state, 'admitted');
      // Concurrent arrivals never take more than the room left (rule 4): two more places at most.
      const arrivals = await Promise.all(
        Array.from({ length: 12 }, (_, i) => join('instant', `c${i}`).expect(200)),
      );
      const admitted = arrivals.filter((res) => res.body.serving_counter !== undefined);
      assert.ok(admitted.length >= 1 && admitted.length <= 2, `admitted ${admitted.length}`);
      assert.ok(admitted.every((res) => res.body.serving_counter >= res.body.queue_number));
      assert.equal(await t.deps.room.activeTokens('instant'), 1 + admitted.length);
      assert.ok((await t.deps.room.activeTokens('instant')) <= 3);
      // Now people wait: the next arrival waits too.
      const later = await join('instant', 'later').expect(200);
      assert.equal(later.body.serving_counter, undefined);
    });

    it('refuses a new visitor with 403 queue_full while the line is at its length, in the pre-queue too', async () => {
      const first = await join('capped', 'q1').expect(200);
      await join('capped', 'q2').expect(200);
      assert.equal((await join('capped', 'q3').expect(403)).body.code, 'queue_full');
      assert.deepEqual(
        (await join('capped', 'q1').expect(200)).body,
        first.body,
        'a place held is still answered',
      );
      await t.deps.room.incrementServingCounter('capped', 1, 'test');
      assert.equal((await join('capped', 'q3').expect(200)).body.queue_number, 3);
      t.clock.seconds = PREQUEUE_AT;
      await join('capped-pre', 'p1').expect(200);
      await join('capped-pre', 'p2').expect(200);
      assert.equal((await join('capped-pre', 'p3').expect(403)).body.code, 'queue_full');
    });

    it('sold out: no new joins (403 sold_out), and a waiting visitor is told with the operator message', async () => {
      const waiting = await join('plain', 's1').expect(200);
      await request(t.adminHandler)
        .put('/events/plain')
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .send({ mode: 'sold_out', soldOutMessage: 'Every ticket has gone.' })
        .expect(200);
      try {
        t.clock.seconds += 5; // past the settings cache
        assert.equal((await join('plain', 's2').expect(403)).body.code, 'sold_out');
        const status = await pub()
          .get('/status')
          .query({ event_id: 'plain', request_id: waiting.body.api_request_id })
          .expect(200);
        assert.deepEqual(
          [status.body.mode, status.body.sold_out_message],
          ['sold_out', 'Every ticket has gone.'],
        );
      } finally {
        await request(t.adminHandler)
          .put('/events/plain')
          .set('Authorization', `Bearer ${ADMIN_KEY}`)
          .send({ mode: 'queue' })
          .expect(200);
      }
    });

    it('keeps the commitment when the store forgets everything, and has no draw for an unscheduled event', async () => {
      const before = (await pub().get('/events/sale/draw').expect(200)).body.commitment;
      await store.reset('sale');
      const fresh = await kind.create();
      try {
        const other = await buildTestApp(fresh, { events: EVENTS }, { keys: t.deps.keys });
        const after = await request(other.publicHandler).get('/events/sale/draw').expect(200);
        assert.equal(after.body.commitment, before);
        other.deps.room.close();
      } finally {
        await fresh.close();
      }
      assert.equal((await pub().get('/events/plain/draw').expect(404)).body.code, 'no_draw');
    });
  });
}
