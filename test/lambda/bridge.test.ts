/**
 * The Lambda bridge builds the events API Gateway really sends and writes results back the
 * way API Gateway does, so suites run through it prove what a deployment would see.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, describe, test } from 'node:test';
import request from 'supertest';
import type {
  ApiGatewayEvent,
  ApiGatewayResult,
  HttpApiEvent,
  LambdaContext,
  RestApiEvent,
} from '../../provider/lambda/types.ts';
import { type LambdaBridgeOptions, lambdaBridge } from '../support/lambda-bridge.ts';

interface Seen {
  event: ApiGatewayEvent;
  context: LambdaContext;
}

function recorder(result: (event: ApiGatewayEvent) => ApiGatewayResult = () => ok()) {
  const seen: Seen[] = [];
  const handler = async (event: ApiGatewayEvent, context: LambdaContext) => {
    seen.push({ event, context });
    return result(event);
  };
  return { seen, handler };
}

function ok(body = '{"ok":true}'): ApiGatewayResult {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false };
}

const servers: Server[] = [];
function bridge(handler: Parameters<typeof lambdaBridge>[0], options: LambdaBridgeOptions): Server {
  const server = lambdaBridge(handler, options);
  servers.push(server);
  return server;
}
after(() => {
  for (const server of servers) server.close();
});

describe('REST API (payload 1.0) events', () => {
  test('carry the stage in requestContext.path only, multi-value headers and decoded query values', async () => {
    const { seen, handler } = recorder();
    const server = bridge(handler, {
      format: 'v1',
      stage: 'api',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    });
    await request(server)
      .post('/api/assign_queue_num?tag=a%20b&tag=c')
      .set('X-Custom', 'one')
      .set('Content-Type', 'application/json')
      .send({ event_id: 'sale' })
      .expect(200);
    const event = seen[0]!.event as RestApiEvent;
    assert.equal(event.resource, '/{proxy+}');
    assert.equal(event.path, '/assign_queue_num');
    assert.equal(event.httpMethod, 'POST');
    assert.deepEqual(event.pathParameters, { proxy: 'assign_queue_num' });
    assert.equal(event.requestContext.path, '/api/assign_queue_num');
    assert.equal(event.requestContext.stage, 'api');
    assert.equal(event.requestContext.domainName, 'abc123.execute-api.eu-west-1.amazonaws.com');
    assert.equal(event.requestContext.httpMethod, 'POST');
    assert.match(event.requestContext.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(event.requestContext.identity.sourceIp, '127.0.0.1');
    assert.deepEqual(event.multiValueQueryStringParameters, { tag: ['a b', 'c'] });
    assert.deepEqual(event.queryStringParameters, { tag: 'c' });
    assert.deepEqual(event.headers?.['X-Custom'], 'one');
    assert.deepEqual(event.multiValueHeaders?.['X-Custom'], ['one']);
    assert.equal(event.headers?.Host, 'abc123.execute-api.eu-west-1.amazonaws.com');
    assert.equal(event.headers?.['X-Forwarded-Proto'], 'https');
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.body, '{"event_id":"sale"}');
    assert.ok(seen[0]!.context.getRemainingTimeInMillis() > 0);
  });

  test('keep the path percent-encoded, as REST APIs do', async () => {
    const { seen, handler } = recorder();
    await request(bridge(handler, { format: 'v1', stage: 'api' }))
      .get('/api/events/a%20b/stream')
      .expect(200);
    const event = seen[0]!.event as RestApiEvent;
    assert.equal(event.path, '/events/a%20b/stream');
    assert.equal(event.requestContext.path, '/api/events/a%20b/stream');
  });

  test('a path outside the stage never reaches the function', async () => {
    const { seen, handler } = recorder();
    const server = bridge(handler, { format: 'v1', stage: 'api' });
    const response = await request(server).get('/serving_num?event_id=sale').expect(403);
    assert.deepEqual(response.body, { message: 'Missing Authentication Token' });
    assert.equal(seen.length, 0);
  });

  test('without a stage the root resource and null collections look like API Gateway', async () => {
    const { seen, handler } = recorder();
    const server = bridge(handler, { format: 'v1' });
    await request(server).get('/').expect(200);
    const event = seen[0]!.event as RestApiEvent;
    assert.equal(event.resource, '/');
    assert.equal(event.path, '/');
    assert.equal(event.pathParameters, null);
    assert.equal(event.queryStringParameters, null);
    assert.equal(event.multiValueQueryStringParameters, null);
    assert.equal(event.body, null);
  });

  test('results: headers and multiValueHeaders are merged, Set-Cookie kept whole', async () => {
    const { handler } = recorder(() => ({
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'x-one': '1' },
      multiValueHeaders: { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] },
      body: 'created',
      isBase64Encoded: false,
    }));
    const response = await request(bridge(handler, { format: 'v1' }))
      .get('/x')
      .expect(201);
    assert.equal(response.text, 'created');
    assert.equal(response.headers['x-one'], '1');
    assert.deepEqual(response.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
  });

  test('a handler that throws is a 502, as API Gateway answers', async () => {
    const handler = async (): Promise<ApiGatewayResult> => {
      throw new Error('boom');
    };
    const response = await request(bridge(handler, { format: 'v1' }))
      .get('/x')
      .expect(502);
    assert.deepEqual(response.body, { message: 'Internal server error' });
  });
});

describe('HTTP API (payload 2.0) events', () => {
  test('keep a named stage in rawPath, lower-case comma-joined headers, cookies apart', async () => {
    const { seen, handler } = recorder();
    const server = bridge(handler, {
      format: 'v2',
      stage: 'api',
      host: 'xyz.execute-api.eu-west-1.amazonaws.com',
    });
    await request(server)
      .get('/api/queue_num?event_id=sale&request_id=r%201')
      .set('Cookie', 'anteroom_visitor=v1; other=2')
      .set('X-Multi', 'a')
      .expect(200);
    const event = seen[0]!.event as HttpApiEvent;
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, '$default');
    assert.equal(event.rawPath, '/api/queue_num');
    assert.equal(event.rawQueryString, 'event_id=sale&request_id=r%201');
    assert.deepEqual(event.queryStringParameters, { event_id: 'sale', request_id: 'r 1' });
    assert.deepEqual(event.cookies, ['anteroom_visitor=v1', 'other=2']);
    assert.equal(event.headers.cookie, undefined);
    assert.equal(event.headers['x-multi'], 'a');
    assert.equal(event.headers.host, 'xyz.execute-api.eu-west-1.amazonaws.com');
    assert.equal(event.requestContext.stage, 'api');
    assert.equal(event.requestContext.http.method, 'GET');
    assert.equal(event.requestContext.http.path, '/api/queue_num');
    assert.equal(event.requestContext.http.sourceIp, '127.0.0.1');
    assert.equal(event.body, undefined);
    assert.equal(event.isBase64Encoded, false);
  });

  test('form bodies arrive base64-encoded, JSON bodies as text', async () => {
    const { seen, handler } = recorder();
    const server = bridge(handler, { format: 'v2' });
    await request(server).post('/token').type('form').send({ code: 'abc', grant_type: 'authorization_code' });
    await request(server).post('/generate_token').send({ event_id: 'sale' });
    const form = seen[0]!.event as HttpApiEvent;
    assert.equal(form.requestContext.stage, '$default');
    assert.equal(form.isBase64Encoded, true);
    assert.equal(Buffer.from(form.body!, 'base64').toString(), 'code=abc&grant_type=authorization_code');
    const json = seen[1]!.event as HttpApiEvent;
    assert.equal(json.isBase64Encoded, false);
    assert.equal(json.body, '{"event_id":"sale"}');
  });

  test('hand the path over percent-decoded, as HTTP APIs do', async () => {
    const { seen, handler } = recorder();
    await request(bridge(handler, { format: 'v2', stage: 'api' }))
      .get('/api/events/a%20b/stream')
      .expect(200);
    assert.equal((seen[0]!.event as HttpApiEvent).rawPath, '/api/events/a b/stream');
  });

  test('a path outside the stage answers 404 Not Found', async () => {
    const { seen, handler } = recorder();
    await request(bridge(handler, { format: 'v2', stage: 'api' }))
      .get('/status')
      .expect(404, { message: 'Not Found' });
    assert.equal(seen.length, 0);
  });

  test('results: cookies become Set-Cookie headers, base64 bodies are decoded', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const { handler } = recorder(() => ({
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      cookies: ['a=1; Path=/; HttpOnly'],
      body: png.toString('base64'),
      isBase64Encoded: true,
    }));
    const response = await request(bridge(handler, { format: 'v2' }))
      .get('/favicon.png')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    assert.deepEqual(response.body, png);
    assert.deepEqual(response.headers['set-cookie'], ['a=1; Path=/; HttpOnly']);
  });
});
