/**
 * The public and admin handlers answer real API Gateway events (REST payload 1.0 and HTTP API
 * payload 2.0, behind a `/api` stage) against a real Redis. Public and admin run in separate
 * containers, as they do on AWS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import request from 'supertest';
import type { EventBridgeLike } from '../../provider/lambda/events.ts';
import type { ApiGatewayEvent, RestApiEvent } from '../../provider/lambda/types.ts';
import { KEY_RELOAD_SECONDS } from '../../queue-core/defaults.ts';
import { loadKeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { SIGV4_PREFLIGHT_HEADERS } from '../provider/sigv4-signers.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { ADMIN_KEY, createFixture, type Fixture, lateBound } from './fixture.ts';

const skip = redisSkipReason();
const EVENTS = ['sale-v1', 'sale-v2', 'derived', 'cdn', 'guarded', 'evented'].map((id) => ({
  id,
  inlet: { type: 'manual' },
  queuePositionExpirySeconds: null,
}));

describe('Lambda HTTP handlers', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;

  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, { events: EVENTS, limits: { enqueuePerClientPerMinute: 0 } });
  });
  after(async () => {
    await fixture?.close();
    await redis?.stop();
  });

  for (const format of ['v1', 'v2'] as const) {
    test(`queue API and admin API through ${format} events with a stage prefix`, async () => {
      const eventId = `sale-${format}`;
      const front = lateBound();
      const { server, url } = await fixture.bridge(front.handler, { format, stage: 'api' });
      // The public URL carries the stage: every URL the app makes must keep it.
      const publicUrl = `${url}/api`;
      front.bind(fixture.container({ env: { ANTEROOM_PUBLIC_URL: publicUrl } }).publicHandler);
      const admin = fixture.container({ env: { ANTEROOM_PUBLIC_URL: publicUrl } });
      const adminServer = (await fixture.bridge(admin.adminHandler, { format })).server;
      const visitor = request.agent(server);

      const assigned = await visitor.post('/api/assign_queue_num').send({ event_id: eventId }).expect(200);
      assert.equal(assigned.body.queue_number, 1);
      const requestId: string = assigned.body.api_request_id;
      assert.ok(assigned.headers['x-request-id']);
      assert.ok(assigned.headers['set-cookie'], 'the visitor cookie comes back through the gateway');
      // The cookie travels back (v2: in `event.cookies`), so a retry keeps the same place.
      const again = await visitor.post('/api/assign_queue_num').send({ event_id: eventId }).expect(200);
      assert.equal(again.body.api_request_id, requestId);
      assert.equal(again.body.queue_number, 1);

      const position = await visitor
        .get('/api/queue_num')
        .query({ event_id: eventId, request_id: requestId })
        .expect(200);
      assert.equal(position.body.queue_number, 1);
      assert.equal(position.body.status, 1);
      assert.equal(position.body.event_id, eventId);
      await visitor.get('/api/serving_num').query({ event_id: eventId }).expect(200, { serving_counter: 0 });
      await visitor
        .post('/api/generate_token')
        .send({ event_id: eventId, request_id: requestId })
        .expect(202);

      await request(adminServer)
        .post('/increment_serving_counter')
        .send({ event_id: eventId, increment_by: 1 })
        .expect(401);
      await request(adminServer)
        .post('/increment_serving_counter')
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .send({ event_id: eventId, increment_by: 1 })
        .expect(200, { serving_num: 1 });

      await visitor.get('/api/serving_num').query({ event_id: eventId }).expect(200, { serving_counter: 1 });
      const tokens = await visitor
        .post('/api/generate_token')
        .send({ event_id: eventId, request_id: requestId })
        .expect(200);
      assert.equal(tokens.body.token_type, 'Bearer');
      const claims = decodeJwt(tokens.body.access_token);
      assert.equal(claims.iss, publicUrl);
      assert.equal(claims.aud, eventId);
      assert.equal(claims.sub, requestId);
      assert.equal(claims.queue_position, 1);
    });
  }

  test('token, session and manual counter events reach EventBridge before the invocation returns', async () => {
    const sent: { DetailType?: string; Detail?: string; Source?: string }[] = [];
    const eventBridge: EventBridgeLike = {
      async send(command) {
        sent.push(...(command.input.Entries ?? []));
        return { FailedEntryCount: 0, Entries: [], $metadata: {} };
      },
    };
    const options = { env: { ANTEROOM_EVENT_BUS: 'anteroom-events' }, eventBridge };
    const pub = (await fixture.bridge(fixture.container(options).publicHandler, { format: 'v2' })).server;
    const adm = (await fixture.bridge(fixture.container(options).adminHandler, { format: 'v1' })).server;
    const details = (type: string) =>
      sent.filter((entry) => entry.DetailType === type).map((entry) => JSON.parse(entry.Detail!));

    const assigned = await request(pub).post('/assign_queue_num').send({ event_id: 'evented' }).expect(200);
    const requestId = assigned.body.api_request_id;
    assert.equal(sent.length, 0, 'taking a place publishes nothing');
    await request(adm)
      .post('/increment_serving_counter')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ event_id: 'evented', increment_by: 1 })
      .expect(200);
    assert.deepEqual(details('serving_counter_changed'), [
      {
        event_id: 'evented',
        previous_serving_counter: 0,
        serving_counter: 1,
        increment_by: 1,
        cause: 'admin',
      },
    ]);
    await request(pub)
      .post('/generate_token')
      .send({ event_id: 'evented', request_id: requestId })
      .expect(200);
    await request(pub)
      .post('/generate_token')
      .send({ event_id: 'evented', request_id: requestId })
      .expect(200);
    assert.deepEqual(details('token_generated'), [{ event_id: 'evented', request_id: requestId }]);
    await request(adm)
      .post('/update_session')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .send({ event_id: 'evented', request_id: requestId, status: 1 })
      .expect(200);
    assert.deepEqual(details('session_updated'), [
      { event_id: 'evented', request_id: requestId, status: 'completed' },
    ]);
    assert.ok(sent.every((entry) => entry.Source === 'anteroom'));
  });

  test('the status stream answers one Server-Sent Events snapshot and ends', async () => {
    const handlers = fixture.container();
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2', stage: 'api' });
    const assigned = await request(server)
      .post('/api/assign_queue_num')
      .send({ event_id: 'sale-v2' })
      .expect(200);
    const response = await request(server)
      .get('/api/events/sale-v2/stream')
      .query({ request_id: assigned.body.api_request_id })
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => done(null, text));
      })
      .expect(200);
    assert.match(response.headers['content-type'] ?? '', /^text\/event-stream/);
    const text = response.body as string;
    assert.match(text, /^retry: \d+\n\n/);
    const data = /event: status\ndata: (.*)\n\n$/.exec(text);
    assert.ok(data, `one status event in: ${text}`);
    const status = JSON.parse(data[1]!);
    assert.equal(status.queue_number, assigned.body.queue_number);
    assert.equal(status.request_id, assigned.body.api_request_id);
    // An unknown request id keeps its JSON 404, which stops EventSource (the page then polls).
    await request(server)
      .get('/api/events/sale-v2/stream')
      .query({ request_id: '00000000-0000-4000-8000-000000000000' })
      .expect(404);
  });

  test('without ANTEROOM_PUBLIC_URL the issuer is the API address the request came through', async () => {
    const handlers = fixture.container();
    const host = 'abc123.execute-api.eu-west-1.amazonaws.com';
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v1', stage: 'api', host });
    const assigned = await request(server)
      .post('/api/assign_queue_num')
      .send({ event_id: 'derived' })
      .expect(200);
    await handlers.adminHandler(
      restEvent('POST', '/increment_serving_counter', { event_id: 'derived', increment_by: 1 }, ADMIN_KEY),
      context(),
    );
    const tokens = await request(server)
      .post('/api/generate_token')
      .send({ event_id: 'derived', request_id: assigned.body.api_request_id })
      .expect(200);
    assert.equal(decodeJwt(tokens.body.access_token).iss, `https://${host}/api`);
  });

  test('behind CloudFront the issuer is the configured public URL, not the API address', async () => {
    const handlers = fixture.container({
      env: { ANTEROOM_PUBLIC_URL: 'https://d111111abcdef8.cloudfront.net' },
    });
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2', stage: 'prod' });
    const assigned = await request(server)
      .post('/prod/assign_queue_num')
      .send({ event_id: 'cdn' })
      .expect(200);
    await handlers.adminHandler(
      restEvent('POST', '/increment_serving_counter', { event_id: 'cdn', increment_by: 1 }, ADMIN_KEY),
      context(),
    );
    const tokens = await request(server)
      .post('/prod/generate_token')
      .send({ event_id: 'cdn', request_id: assigned.body.api_request_id })
      .expect(200);
    assert.equal(decodeJwt(tokens.body.access_token).iss, 'https://d111111abcdef8.cloudfront.net');
  });

  test("behind CloudFront the per-client limit keys on the distribution's viewer-address header", async () => {
    // The environment the CDK app gives the public function (infra/lib/waiting-room-stack.ts).
    const handlers = fixture.container({
      env: {
        ANTEROOM_CONFIG_JSON: JSON.stringify({ events: EVENTS, limits: { enqueuePerClientPerMinute: 1 } }),
        TRUST_PROXY: '2',
        CLIENT_ADDRESS_HEADER: 'x-anteroom-client-ip',
      },
    });
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2', stage: 'prod' });
    const enqueue = (viewer: string, forwarded: string) =>
      request(server)
        .post('/prod/assign_queue_num')
        .set('x-anteroom-client-ip', viewer)
        .set('X-Forwarded-For', forwarded)
        .send({ event_id: 'cdn' });
    assert.equal((await enqueue('203.0.113.5', '198.51.100.1')).status, 200);
    // A forged X-Forwarded-For does not open a new budget; another viewer has its own.
    const refused = await enqueue('203.0.113.5', '198.51.100.2');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'rate_limited');
    assert.equal((await enqueue('203.0.113.6', '198.51.100.1')).status, 200);
  });

  test('a warm container re-reads the signing keys a minute after it last did, and publishes a rotation', async () => {
    let nowMs = Date.now();
    const handlers = fixture.container({ deps: { nowMs: () => nowMs } });
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2' });
    const kids = async () =>
      ((await request(server).get('/.well-known/jwks.json').expect(200)).body.keys as { kid: string }[]).map(
        (key) => key.kid,
      );
    const before = await kids();
    // An operator rotates (`anteroom keys rotate`) on the same key source.
    const operator = await loadKeyRing({ type: 'file', path: fixture.env.ANTEROOM_KEYS_FILE! });
    await operator.rotate();
    const rotated = operator.summary()[0]!.kid;
    nowMs += KEY_RELOAD_SECONDS * 1000 - 1000;
    assert.deepEqual(await kids(), before, 'not re-read within the minute');
    nowMs += 1000;
    assert.ok((await kids()).includes(rotated), 'published after the reload');
  });

  test('the origin secret is required by the public handler when configured', async () => {
    const secret = 'origin-secret-0123456789abcdef';
    const handlers = fixture.container({ env: { ANTEROOM_ORIGIN_SECRET: secret } });
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v1' });
    const refused = await request(server).get('/serving_num').query({ event_id: 'guarded' }).expect(403);
    assert.deepEqual(Object.keys(refused.body).sort(), ['code', 'error']);
    assert.equal(refused.body.code, 'origin_forbidden');
    await request(server)
      .get('/serving_num')
      .query({ event_id: 'guarded' })
      .set('x-anteroom-origin-secret', `${secret}x`)
      .expect(403);
    await request(server)
      .get('/serving_num')
      .query({ event_id: 'guarded' })
      .set('X-Anteroom-Origin-Secret', secret)
      .expect(200, { serving_counter: 0 });
    // The admin API is not behind the CDN: no origin secret there.
    const admin = await handlers.adminHandler(restEvent('GET', '/healthz', null, null), context());
    assert.equal(admin.statusCode, 200);
  });

  test('an IAM-verified caller of the admin handler needs no bearer key; an anonymous one does', async () => {
    const handlers = fixture.container();
    const body = { event_id: 'guarded', increment_by: 2 };
    const anonymous = await handlers.adminHandler(
      restEvent('POST', '/increment_serving_counter', body, null),
      context(),
    );
    assert.equal(anonymous.statusCode, 401);
    const signed = restEvent('POST', '/increment_serving_counter', body, null);
    signed.requestContext.identity.userArn = 'arn:aws:iam::123456789012:user/operator';
    signed.headers = { ...signed.headers, Authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/…, Signature=…' };
    const result = await handlers.adminHandler(signed, context());
    assert.equal(result.statusCode, 200, result.body);
    assert.deepEqual(JSON.parse(result.body), { serving_num: 2 });
  });
});

describe('the AWS control panel through the CDK private API (HTTP API, IAM authorization)', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;

  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, {
      events: [{ id: 'panel', inlet: { type: 'manual' }, queuePositionExpirySeconds: null }],
      limits: { enqueuePerClientPerMinute: 0 },
    });
  });
  after(async () => {
    await fixture?.close();
    await redis?.stop();
  });

  // What API Gateway passes on after it verified the panel's aws4fetch signature: the panel's
  // own headers (a text/plain JSON body, the SigV4 Authorization) and the verified identity.
  const call = (method: string, path: string, query: string, body: unknown, operator = true) =>
    fixture
      .container()
      .adminHandler(
        httpEvent(method, path, query, body === undefined ? undefined : JSON.stringify(body), operator),
        context(),
      );

  test('increment, active and expired tokens, reset: each answers the keys the panel reads', async () => {
    const moved = await call('POST', '/increment_serving_counter', '', {
      event_id: 'panel',
      increment_by: 100,
    });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.deepEqual(JSON.parse(moved.body ?? ''), { serving_num: 100 });
    const active = await call('GET', '/num_active_tokens', 'event_id=panel', undefined);
    assert.deepEqual(JSON.parse(active.body ?? ''), { active_tokens: 0 });
    const expired = await call('GET', '/expired_tokens', 'event_id=panel', undefined);
    assert.deepEqual(JSON.parse(expired.body ?? ''), []);
    const reset = await call('POST', '/reset_initial_state', '', { event_id: 'panel' });
    assert.equal(reset.statusCode, 200, reset.body);
    assert.equal(typeof JSON.parse(reset.body ?? '').message, 'string');
  });

  test('an OPTIONS request the preflight route forwards gets CORS headers and no data, without IAM', async () => {
    const preflight = await call('OPTIONS', '/increment_serving_counter', '', undefined, false);
    assert.equal(preflight.statusCode, 204);
    const allowed = String(preflight.headers?.['access-control-allow-headers'] ?? '').toLowerCase();
    for (const header of SIGV4_PREFLIGHT_HEADERS) {
      assert.ok(allowed.includes(header), header);
    }
    assert.ok(!preflight.body, 'no body');
    // Without the IAM identity nothing else is served.
    const anonymous = await call('GET', '/num_active_tokens', 'event_id=panel', undefined, false);
    assert.equal(anonymous.statusCode, 401);
  });
});

/** An HTTP API (payload 2.0) event on the `$default` stage, as the CDK private API sends it. */
function httpEvent(
  method: string,
  path: string,
  rawQueryString: string,
  body: string | undefined,
  operator: boolean,
): ApiGatewayEvent {
  const headers: Record<string, string> = {
    host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
    origin: 'https://d111111abcdef8.cloudfront.net',
    'x-amz-date': '20260101T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000',
  };
  if (body !== undefined) headers['content-type'] = 'text/plain;charset=UTF-8';
  return {
    version: '2.0',
    routeKey: method === 'OPTIONS' ? 'OPTIONS /{proxy+}' : '$default',
    rawPath: path,
    rawQueryString,
    headers,
    queryStringParameters: rawQueryString
      ? Object.fromEntries(new URLSearchParams(rawQueryString))
      : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.10', userAgent: 'Mozilla/5.0' },
      requestId: crypto.randomUUID(),
      routeKey: method === 'OPTIONS' ? 'OPTIONS /{proxy+}' : '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
      ...(operator
        ? {
            authorizer: {
              iam: {
                accessKey: 'AKIAIOSFODNN7EXAMPLE',
                accountId: '123456789012',
                callerId: 'AIDAEXAMPLE',
                userArn: 'arn:aws:iam::123456789012:user/operator',
                userId: 'AIDAEXAMPLE',
              },
            },
          }
        : {}),
    },
    body,
    isBase64Encoded: false,
  };
}

function context() {
  return {
    awsRequestId: crypto.randomUUID(),
    functionName: 'anteroom-test',
    getRemainingTimeInMillis: () => 30_000,
  };
}

/** A REST (payload 1.0) event built by hand, for calls that need no bridge. */
function restEvent(
  method: string,
  path: string,
  body: unknown,
  bearer: string | null,
): RestApiEvent & ApiGatewayEvent {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Host: 'admin.example' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'admin',
      domainName: 'admin.example',
      httpMethod: method,
      path: `/prod${path}`,
      requestId: crypto.randomUUID(),
      resourcePath: '/{proxy+}',
      stage: 'prod',
      identity: { sourceIp: '10.0.0.1', userArn: null },
    },
    body: body === null ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}
