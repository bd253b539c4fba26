/**
 * The public handler answers the queue API's fast paths from the API Gateway event
 * (`provider/lambda/fast-answer.ts`): the same result, byte for byte, as the same request
 * through `serverless-http` and the app, in both payload formats behind a stage; and without
 * the app at all, so a cold start whose first request joins the queue loads neither
 * `serverless-http` nor Koa.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import request from 'supertest';
import type { LambdaContainer } from '../../provider/lambda/container.ts';
import { noopPublisher } from '../../provider/lambda/events.ts';
import { createHttpHandler } from '../../provider/lambda/http.ts';
import type { ApiGatewayEvent } from '../../provider/lambda/types.ts';
import { withHotPaths } from '../../provider/server/hot-path.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { buildTestApp } from '../provider/support.ts';
import { type ApiGatewayHandler, lambdaListener } from '../support/lambda-bridge.ts';

async function setUp() {
  const t = await buildTestApp(new MemoryStore());
  const container: LambdaContainer = {
    id: 'test',
    settings: {
      config: t.deps.config,
      originSecret: null,
      eventBus: null,
      oidcTable: null,
      ledgerTable: null,
    },
    deps: t.deps,
    publisher: noopPublisher,
    closers: [],
  };
  const get = async () => container;
  const app = { callback: () => withHotPaths(t.deps, t.publicApp.callback()) };
  return { t, get, app };
}

describe('the Lambda public handler’s fast path', () => {
  for (const format of ['v1', 'v2'] as const) {
    test(`answers as serverless-http and the app do (${format} events, stage /api)`, async () => {
      const { get, app } = await setUp();
      let reachedApp = 0;
      const counted = {
        callback: () => {
          const listener = app.callback();
          return (...args: Parameters<typeof listener>) => {
            reachedApp += 1;
            return listener(...args);
          };
        },
      };
      const fast = createHttpHandler({
        kind: 'public',
        container: { get },
        app: async () => counted,
        fast: true,
      });
      const slow = createHttpHandler({ kind: 'public', container: { get }, app: async () => app });
      const compared: string[] = [];
      // Each request goes through the app first, then the fast path, on copies of one event.
      const both: ApiGatewayHandler = async (event, context) => {
        const expected = await slow(structuredClone(event), context);
        const answered = await fast(structuredClone(event), context);
        const label = JSON.stringify([
          (event as { rawPath?: string }).rawPath ?? (event as { path?: string }).path,
        ]);
        assert.deepEqual(answered, expected, label);
        compared.push(`${expected.statusCode}`);
        return answered;
      };
      const listener = lambdaListener(both, { format, stage: 'api' });
      const join = (key: string) =>
        request(listener)
          .post('/api/assign_queue_num')
          .set('Idempotency-Key', `${key}-0123456789abcdefghijkl`)
          .set('X-Request-Id', `trace-${key}`);

      const joined = await join('visitor-1').send({ event_id: 'main' }).expect(200);
      assert.ok(joined.headers['set-cookie'], 'the visitor cookie comes back');
      // The cookie travels back in (v2: `event.cookies`): the same place.
      const cookie = String(joined.headers['set-cookie']).split(';')[0]!;
      await join('visitor-1').set('Cookie', cookie).send({ event_id: 'main' }).expect(200);
      await join('visitor-2').set('Content-Type', 'text/plain').send('{"event_id":"main"}').expect(200);
      await join('visitor-3').send({ event_id: 'nope' }).expect(400);
      await join('visitor-4').set('Content-Type', 'application/json').send('{"event_id":').expect(400);
      await join('visitor-5')
        .send({ event_id: 'main', pad: 'x'.repeat(17 * 1024) })
        .expect(413);
      await join('visitor-6')
        .send({ event_id: 'shut' })
        .expect((res) => assert.ok(res.status >= 400));
      await request(listener).get('/api/waiting_num?event_id=main').set('X-Request-Id', 'w').expect(200);
      await request(listener).get('/api/serving_num?event_id=main').set('X-Request-Id', 's').expect(200);
      const requestId: string = joined.body.api_request_id;
      await request(listener)
        .get(`/api/status?event_id=main&request_id=${requestId}`)
        .set('X-Request-Id', 'st')
        .expect((res) => assert.equal(res.status, 200, JSON.stringify(res.body)));
      // A read the fast path refuses is the app's to answer: the same answer all the same.
      await request(listener).get('/api/status?event_id=main').set('X-Request-Id', 'bad').expect(400);
      assert.equal(compared.length, 11);
      assert.equal(reachedApp, 1, 'only the refused read reached the app');
    });
  }

  test('answers a join without building the app; other requests wait for it', async () => {
    const { get } = await setUp();
    let builds = 0;
    const handler = createHttpHandler({
      kind: 'public',
      container: { get },
      app: async () => {
        builds += 1;
        throw new Error('the app is not available');
      },
      fast: true,
    });
    const context = { awsRequestId: 'a', functionName: 'f', getRemainingTimeInMillis: () => 30_000 };
    const event = (method: string, rawPath: string, body?: string): ApiGatewayEvent => ({
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString: '',
      headers: { 'content-type': 'application/json', host: 'queue.example' },
      requestContext: {
        accountId: '1',
        apiId: 'a',
        domainName: 'queue.example',
        domainPrefix: 'queue',
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 't' },
        requestId: 'r',
        routeKey: '$default',
        stage: '$default',
        time: '',
        timeEpoch: 0,
      },
      isBase64Encoded: false,
      ...(body === undefined ? {} : { body }),
    });
    const joined = await handler(event('POST', '/assign_queue_num', '{"event_id":"main"}'), context);
    assert.equal(joined.statusCode, 200);
    assert.equal(JSON.parse(joined.body).queue_number, 1);
    assert.equal(builds, 0, 'the app was built for a join');
    const page = await handler(event('GET', '/'), context);
    assert.equal(page.statusCode, 503);
    assert.equal(builds, 1);
  });
});
