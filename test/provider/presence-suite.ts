/**
 * Absent visitors over HTTP (API.md section 6, `abandonAfterSeconds`), once per store kind and
 * through the Lambda handlers: presence from `/status` and `generate_token`, the inlet's tick
 * (run as `anteroom serve` and the scheduled function run it, `room.tick`) admitting present
 * visitors only, a passed visitor back on return admitted by the next pass, `"present"` in
 * `/status`, `visitors` in the admin event view and the `/metrics` gauges.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import type { QueueStore } from '../../queue-core/types.ts';
import { ADMIN_KEY, buildTestApp, type LambdaFormat, type StoreKind, type TestApp } from './support.ts';

/** A tick boundary (periodic ticks start at multiples of the interval), well after now. */
const BASE = Math.ceil(Date.now() / 1000 / 10) * 10 + 1000;
const EVENTS = [
  {
    id: 'sale',
    inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 10 },
    abandonAfterSeconds: 30,
    queuePositionExpirySeconds: 300,
  },
  { id: 'plain', inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 10 } },
  {
    id: 'drop',
    schedule: { prequeueAt: BASE - 100, startAt: BASE + 100 },
    inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 10 },
    abandonAfterSeconds: 30,
    queuePositionExpirySeconds: null,
  },
];

export function presenceSuite(kind: StoreKind, options: { lambda?: LambdaFormat } = {}): void {
  const through = options.lambda ? `, through Lambda ${options.lambda}` : '';
  describe(`absent visitors over HTTP (${kind.name} store${through})`, { skip: kind.skip }, () => {
    let store: QueueStore;
    let t: TestApp;
    const pub = () => request(t.publicHandler);
    const admin = (path: string) =>
      request(t.adminHandler).get(path).set('Authorization', `Bearer ${ADMIN_KEY}`);
    const join = async (eventId: string, key: string): Promise<string> =>
      (
        await pub()
          .post('/assign_queue_num')
          .set('Idempotency-Key', `${key}-${'k'.repeat(22)}`)
          .send({ event_id: eventId })
          .expect(200)
      ).body.api_request_id;
    const status = async (eventId: string, requestId: string) =>
      (await pub().get('/status').query({ event_id: eventId, request_id: requestId }).expect(200)).body;
    const token = (eventId: string, requestId: string) =>
      pub().post('/generate_token').send({ event_id: eventId, request_id: requestId });
    /** What the polls wrote of presence leaves in the turn after them (presence/tracker.ts). */
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    const tick = async (seconds: number) => {
      t.clock.seconds = seconds;
      await settle();
      await t.deps.room.tick('test');
    };

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

    it('admits present visitors, passes absent ones, and admits a passed one first on return', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 6; i++) ids.push(await join('sale', `v${i}`));
      t.clock.seconds = BASE + 40; // the window has passed since they joined
      for (const i of [2, 4, 6]) assert.equal((await status('sale', ids[i - 1]!)).state, 'waiting');
      await tick(BASE + 40);
      const reached = await status('sale', ids[1]!);
      assert.equal(reached.serving_counter, 4, 'two present admitted, the absent 1 and 3 passed');
      assert.equal(reached.eligible, true);
      assert.equal(typeof reached.present, 'number');
      const back = await status('sale', ids[0]!);
      assert.deepEqual(
        [back.state, back.eligible, back.ahead, back.eta_seconds],
        ['waiting', false, 0, null],
        'passed while absent: waits for the next pass',
      );
      const expiry = await pub()
        .get('/queue_pos_expiry')
        .query({ event_id: 'sale', request_id: ids[0]! })
        .expect(202);
      assert.equal(expiry.body.code, 'not_yet', 'no claim window before the inlet lets them in');
      await token('sale', ids[2]!).expect(202); // asking for a token: back too
      await token('sale', ids[3]!).expect(200);
      await tick(BASE + 50);
      assert.equal((await status('sale', ids[0]!)).eligible, true, 'admitted ahead of the line');
      await token('sale', ids[0]!).expect(200);
      await token('sale', ids[2]!).expect(200);
      assert.equal((await status('sale', ids[4]!)).eligible, false, 'the budget went to those back');
      assert.equal((await status('sale', ids[5]!)).serving_counter, 4);

      const view = (await admin('/events/sale').expect(200)).body;
      assert.equal(view.abandonAfterSeconds, 30);
      // Counted by the last pass: 6 polled within the window, 5 not since joining.
      assert.deepEqual(view.visitors, { present: 1, absent: 1 });
      assert.equal((await admin('/events/plain').expect(200)).body.visitors, null);
      const metrics = (await admin('/metrics').expect(200)).text;
      assert.match(metrics, /^anteroom_visitors_present\{event="sale"\} 1$/m);
      assert.match(metrics, /^anteroom_visitors_absent\{event="sale"\} 1$/m);
      assert.doesNotMatch(metrics, /anteroom_visitors_present\{event="plain"\}/);
    });

    it('a pre-queue: participants count as present for a window after the draw, then only those seen', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 3; i++) ids.push(await join('drop', `d${i}`));
      assert.equal((await status('drop', ids[0]!)).phase, 'prequeue');
      await tick(BASE + 100); // the draw, and the first pass: nobody could be seen yet
      assert.equal((await status('drop', ids[0]!)).eligible, true);
      t.clock.seconds = BASE + 135;
      assert.equal((await status('drop', ids[2]!)).queue_number, 3); // seen after the draw
      await tick(BASE + 140); // a window after the draw: 2 was never seen since
      const passed = await status('drop', ids[1]!);
      assert.deepEqual([passed.state, passed.eligible, passed.serving_counter], ['waiting', false, 3]);
      assert.equal((await status('drop', ids[2]!)).eligible, true);
      await token('drop', ids[2]!).expect(200);
      await token('drop', ids[1]!).expect(202);
    });

    it('an event without the setting answers as before: no "present", every position admitted', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 3; i++) ids.push(await join('plain', `p${i}`));
      await tick(BASE + 40);
      const first = await status('plain', ids[0]!);
      assert.equal('present' in first, false);
      assert.equal(first.eligible, true);
      await token('plain', ids[1]!).expect(200);
    });

    it('abandonAfterSeconds is set and cleared live through PUT /events/{id}, and validated', async () => {
      const put = (body: object) =>
        request(t.adminHandler).put('/events/plain').set('Authorization', `Bearer ${ADMIN_KEY}`).send(body);
      assert.equal((await put({ abandonAfterSeconds: 60 }).expect(200)).body.abandonAfterSeconds, 60);
      const bad = (await put({ abandonAfterSeconds: 5 }).expect(400)).body;
      assert.equal(bad.code, 'invalid_event_settings');
      assert.match(bad.error, /abandonAfterSeconds/);
      assert.equal(
        'abandonAfterSeconds' in (await put({ abandonAfterSeconds: null }).expect(200)).body,
        false,
      );
    });
  });
}
