/**
 * The hot read paths answer exactly what the Koa endpoints answer: for every kind of request
 * to `/status`, `/serving_num` and `/waiting_num`, the status, body and headers through
 * `withHotPaths` equal those of the Koa app alone (which also answers every error); and the
 * enqueue answers alike on both stacks: 200, 400, 403, 413, 415, 429 and 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { withHotPaths } from '../../provider/server/hot-path.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { buildTestApp, type TestApp } from './support.ts';

const HEADERS = [
  'content-type',
  'cache-control',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'retry-after',
];

/** Set-Cookie names and attributes (the values are fresh ids). */
const cookieShape = (res: request.Response) =>
  ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).map((cookie) =>
    cookie.replace(/=[^;]*;/, '=…;'),
  );

/** The fast path's enqueue answer equals the Koa route's: status, body, headers and cookies. */
function assertSameEnqueueAnswer(hot: request.Response, plain: request.Response, label: string): void {
  assert.equal(hot.status, plain.status, label);
  if (hot.status === 200) {
    assert.deepEqual(Object.keys(hot.body).sort(), ['api_request_id', 'queue_number'], label);
  } else {
    assert.deepEqual(hot.body, plain.body, label);
  }
  for (const name of HEADERS) assert.equal(hot.headers[name], plain.headers[name], `${label} ${name}`);
  assert.deepEqual(cookieShape(hot), cookieShape(plain), label);
}

describe('hot read paths', () => {
  let t: TestApp;
  let requestId = '';
  before(async () => {
    t = await buildTestApp(new MemoryStore());
    for (let i = 0; i < 3; i++) {
      requestId = (await request(t.publicHandler).post('/assign_queue_num').send({ event_id: 'main' })).body
        .api_request_id;
    }
    await t.deps.room.incrementServingCounter('main', 1, 'test');
  });
  after(() => t.deps.room.close());

  it('answer like the Koa endpoints, success and errors alike', async () => {
    const koa = t.publicApp.callback();
    const paths = [
      `/status?event_id=main&request_id=${requestId}`,
      `/status?event_id=main&request_id=${requestId.toUpperCase()}`,
      '/status?event_id=main&request_id=00000000-0000-4000-8000-000000000000',
      `/status?event_id=nope&request_id=${requestId}`,
      `/status?event_id=main&event_id=main&request_id=${requestId}`,
      '/status?event_id=main',
      '/serving_num?event_id=main',
      '/serving_num?event_id=nope',
      '/serving_num?event_id=%F0%9F%98%80',
      '/serving_num',
      '/waiting_num?event_id=main',
      '/waiting_num?event_id=main&event_id=x',
      '/waiting_num?event_id=',
    ];
    for (const path of paths) {
      const hot = await request(t.publicHandler).get(path);
      const plain = await request(koa).get(path);
      assert.equal(hot.status, plain.status, path);
      assert.deepEqual(hot.body, plain.body, path);
      for (const header of HEADERS)
        assert.equal(hot.headers[header], plain.headers[header], `${path} ${header}`);
      assert.ok(hot.headers['x-request-id'], path);
    }
    const echoed = await request(t.publicHandler)
      .get('/serving_num?event_id=main')
      .set('X-Request-Id', 'poll-1');
    assert.equal(echoed.headers['x-request-id'], 'poll-1');
    assert.deepEqual(echoed.body, { serving_counter: 1 });
  });

  it('answers the plain success cases itself and hands everything else to Koa', async () => {
    const koa = t.publicApp.callback();
    const handedOver: string[] = [];
    const handler = withHotPaths(t.deps, (req, res) => {
      handedOver.push(req.url ?? '');
      return koa(req, res);
    });
    await request(handler).get('/serving_num?event_id=main').expect(200);
    await request(handler).get('/waiting_num?event_id=main').expect(200);
    await request(handler).get(`/status?event_id=main&request_id=${requestId}`).expect(200);
    await request(handler).post('/assign_queue_num').send({ event_id: 'main' }).expect(200);
    await request(handler).post('/assign_queue_num').send({ event_id: 'shut' }).expect(403);
    assert.deepEqual(handedOver, []);
    await request(handler)
      .post('/assign_queue_num')
      .set('Content-Type', 'application/xml')
      .send('<a/>')
      .expect(415);
    await request(handler).get('/serving_num?event_id=nope').expect(400);
    await request(handler).post('/serving_num').expect(405);
    await request(handler).get('/healthz').expect(200);
    assert.deepEqual(handedOver, [
      '/assign_queue_num',
      '/serving_num?event_id=nope',
      '/serving_num',
      '/healthz',
    ]);
    const metrics = await t.deps.metrics.registry.metrics();
    assert.match(
      metrics,
      /anteroom_http_request_duration_seconds_count\{app="public",method="GET",route="\/status",status="200"\} [1-9]/,
    );
  });

  it('enqueues like the Koa endpoint: same statuses, codes, headers and cookies', async () => {
    const koa = t.publicApp.callback();
    type Case = { label: string; type?: string; body: string; headers?: Record<string, string> };
    const cases: Case[] = [
      { label: 'json', type: 'application/json', body: '{"event_id":"noexp"}' },
      { label: 'text/plain', type: 'text/plain;charset=UTF-8', body: '{"event_id":"noexp"}' },
      { label: 'no type', body: '{"event_id":"noexp"}' },
      { label: 'bad json', type: 'application/json', body: '{"event_id":' },
      { label: 'array', type: 'application/json', body: '["noexp"]' },
      { label: 'empty', type: 'application/json', body: '' },
      { label: 'unknown event', type: 'application/json', body: '{"event_id":"nope"}' },
      { label: 'bad event', type: 'application/json', body: '{"event_id":"<b>"}' },
      { label: 'closed', type: 'application/json', body: '{"event_id":"shut"}' },
      {
        label: 'too large',
        type: 'application/json',
        body: JSON.stringify({ event_id: 'noexp', pad: 'x'.repeat(17_000) }),
      },
      { label: 'xml', type: 'application/xml', body: '<event_id>noexp</event_id>' },
      {
        label: 'bad idempotency key',
        type: 'application/json',
        body: '{"event_id":"noexp"}',
        headers: { 'Idempotency-Key': 'a b' },
      },
      {
        label: 'idempotency key',
        type: 'application/json',
        body: '{"event_id":"noexp"}',
        headers: { 'Idempotency-Key': 'same-key-0123456789abcdefghij' },
      },
      {
        label: 'visitor cookie',
        type: 'application/json',
        body: '{"event_id":"noexp"}',
        headers: { Cookie: 'anteroom_vid=abcdefghijklmnopqrstuvwx' },
      },
    ];
    for (const item of cases) {
      const send = (handler: Parameters<typeof request>[0]) => {
        let call = request(handler).post('/assign_queue_num');
        if (item.type) call = call.set('Content-Type', item.type);
        for (const [name, value] of Object.entries(item.headers ?? {})) call = call.set(name, value);
        return call.send(item.body);
      };
      assertSameEnqueueAnswer(await send(t.publicHandler), await send(koa), item.label);
    }
    // Idempotency holds across both paths: they share the store and the visitor-key scheme.
    const first = await request(t.publicHandler)
      .post('/assign_queue_num')
      .set('Idempotency-Key', 'across-0123456789abcdefghijkl')
      .send({ event_id: 'noexp' });
    const second = await request(koa)
      .post('/assign_queue_num')
      .set('Idempotency-Key', 'across-0123456789abcdefghijkl')
      .send({ event_id: 'noexp' });
    assert.deepEqual(second.body, first.body);
  });
});

describe('enqueue on both stacks when a client is over its budget', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(new MemoryStore(), { limits: { enqueuePerClientPerMinute: 1, trustProxy: 1 } });
  });
  after(() => t.deps.room.close());

  it('answers 429 alike, with Retry-After and the new visitor cookie', async () => {
    const send = (handler: Parameters<typeof request>[0], client: string) =>
      request(handler).post('/assign_queue_num').set('X-Forwarded-For', client).send({ event_id: 'main' });
    const hot = [await send(t.publicHandler, '203.0.113.1'), await send(t.publicHandler, '203.0.113.1')];
    const plain = [
      await send(t.publicApp.callback(), '203.0.113.2'),
      await send(t.publicApp.callback(), '203.0.113.2'),
    ];
    assertSameEnqueueAnswer(hot[0]!, plain[0]!, 'within the budget');
    assert.equal(hot[1]!.status, 429);
    assert.equal(hot[1]!.body.code, 'rate_limited');
    assert.ok(Number(hot[1]!.headers['retry-after']) >= 1);
    assertSameEnqueueAnswer(hot[1]!, plain[1]!, 'over the budget');
  });
});

describe('enqueue on both stacks during a store outage', { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  let store: RedisStore;
  let t: TestApp;
  before(async () => {
    redis = await startRedis();
    store = new RedisStore({ url: redis.url });
    t = await buildTestApp(store);
  });
  after(async () => {
    t.deps.room.close();
    await store.close();
    await redis.stop();
  });

  it('answers 503 alike, with Retry-After; the reads are answered by Koa', async () => {
    const send = (handler: Parameters<typeof request>[0]) =>
      request(handler).post('/assign_queue_num').send({ event_id: 'main' });
    assertSameEnqueueAnswer(await send(t.publicHandler), await send(t.publicApp.callback()), 'up');
    await redis.kill();
    t.clock.ms += 5000; // past the micro-caches: every answer needs the store
    const hot = await send(t.publicHandler);
    assert.equal(hot.status, 503);
    assert.equal(hot.body.code, 'store_unavailable');
    assert.ok(Number(hot.headers['retry-after']) >= 1);
    assertSameEnqueueAnswer(hot, await send(t.publicApp.callback()), 'down');
    for (const path of ['/serving_num?event_id=main', '/waiting_num?event_id=main']) {
      const read = await request(t.publicHandler).get(path);
      const plain = await request(t.publicApp.callback()).get(path);
      assert.equal(read.status, 503, path);
      assert.deepEqual(read.body, plain.body, path);
      for (const name of HEADERS) assert.equal(read.headers[name], plain.headers[name], `${path} ${name}`);
    }
  });
});
