/**
 * Once per container: one Redis connection however many invocations, a failed cold start is
 * retried by the next invocation, a Redis outage is a 503 with Retry-After and the first
 * invocation after Redis is back succeeds. Secrets come from Secrets Manager (a fake client:
 * AWS is unreachable from the test machine) exactly as the CDK stack wires them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import type { SecretsManagerLike } from '../../provider/lambda/secrets.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { ADMIN_KEY, createFixture, type Fixture } from './fixture.ts';

const skip = redisSkipReason();
const CONFIG = {
  events: [{ id: 'sale', inlet: { type: 'manual' }, queuePositionExpirySeconds: null }],
  limits: { enqueuePerClientPerMinute: 0 },
};

/** A Secrets Manager stand-in: answers from a map, optionally failing the first N reads. */
function fakeSecrets(values: Record<string, string>, failFirst = 0) {
  const reads: string[] = [];
  let failures = failFirst;
  const client = {
    async send(command: GetSecretValueCommand) {
      const id = command.input.SecretId ?? '';
      reads.push(id);
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      const value = values[id];
      if (value === undefined)
        throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
      return { SecretString: value, $metadata: {} };
    },
  } as unknown as SecretsManagerLike;
  return { client, reads };
}

async function connectionsReceived(probe: Redis): Promise<number> {
  const info = await probe.info('stats');
  return Number(/total_connections_received:(\d+)/.exec(info)![1]);
}

async function clientCount(probe: Redis): Promise<number> {
  const list = (await probe.client('LIST')) as string;
  return list.trim().split('\n').length - 1; // minus the probe itself
}

describe('Lambda container lifecycle', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;
  let probe: Redis;

  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, CONFIG);
    probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => {});
  });
  after(async () => {
    probe?.disconnect();
    await fixture?.close();
    await redis?.stop();
  });

  test('a cold start builds once and opens one Redis connection, reused by every invocation', async () => {
    const handlers = fixture.container();
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2' });
    const before = await connectionsReceived(probe);
    // Concurrent first invocations share the one build.
    const first = await Promise.all(
      Array.from({ length: 5 }, () => request(server).post('/assign_queue_num').send({ event_id: 'sale' })),
    );
    for (const response of first) assert.equal(response.status, 200);
    assert.equal(handlers.container.builds, 1);
    const afterColdStart = await connectionsReceived(probe);
    assert.equal(afterColdStart - before, 1, 'one connection opened by the cold start');
    assert.equal(await clientCount(probe), 1);

    for (let index = 0; index < 20; index += 1) {
      await request(server).get('/serving_num').query({ event_id: 'sale' }).expect(200);
    }
    assert.equal(await connectionsReceived(probe), afterColdStart, 'warm invocations open no connection');
    assert.equal(handlers.container.builds, 1);
    await handlers.container.close();
  });

  test('public and admin answers count without a metrics registry; the first scrape builds it, with their counts', async () => {
    const handlers = fixture.container();
    const visitor = (await fixture.bridge(handlers.publicHandler, { format: 'v2' })).server;
    for (let index = 0; index < 3; index += 1) {
      await request(visitor).post('/assign_queue_num').send({ event_id: 'sale' }).expect(200);
    }
    await request(visitor).get('/serving_num').query({ event_id: 'sale' }).expect(200);
    const { deps } = await handlers.container.get();
    assert.throws(() => deps.metrics.registry, /built by ready\(\)/, 'the public answers built no registry');

    const operator = (await fixture.bridge(handlers.adminHandler, { format: 'v1' })).server;
    await request(operator).get('/events/sale').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200);
    assert.throws(() => deps.metrics.registry, /built by ready\(\)/, 'an admin answer built no registry');
    const scrape = await request(operator)
      .get('/metrics')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.match(scrape.text, /\nanteroom_process_positions_assigned_total\{event="sale"\} 3\n/);
    assert.match(scrape.text, /\nanteroom_store_wait_timeouts_total 0\n/);
    assert.match(
      scrape.text,
      /\nanteroom_http_request_duration_seconds_count\{app="public",method="POST",route="\/assign_queue_num",status="200"\} 3\n/,
    );
    assert.match(
      scrape.text,
      /\nanteroom_positions_issued\{event="sale"\} \d+\n/,
      'the store gauges are there',
    );
    assert.strictEqual(deps.metrics.registry, await deps.metrics.ready(), 'one registry');

    await request(visitor).post('/assign_queue_num').send({ event_id: 'sale' }).expect(200);
    const again = await request(operator)
      .get('/metrics')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.match(again.text, /\nanteroom_process_positions_assigned_total\{event="sale"\} 4\n/);
    await handlers.container.close();
  });

  test('warmed for the handler Lambda names, a container is built before its first event, which uses it', async () => {
    const before = await connectionsReceived(probe);
    // Without ANTEROOM_PUBLIC_URL the public URL comes from the first request: nothing is built early.
    const unnamed = fixture.container();
    await unnamed.warm('index.publicHandler');
    assert.equal(unnamed.container.builds, 0);

    const handlers = fixture.container({ env: { ANTEROOM_PUBLIC_URL: 'https://queue.example' } });
    await handlers.warm('index.publicHandler');
    assert.equal(handlers.container.builds, 1);
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2' });
    await request(server).post('/assign_queue_num').send({ event_id: 'sale' }).expect(200);
    assert.equal(handlers.container.builds, 1, 'the first event used the warmed container');
    assert.equal((await connectionsReceived(probe)) - before, 1, 'and its one connection');
    await handlers.container.close();
  });

  test('a failed cold start answers 503 and the next invocation builds again', async () => {
    const secrets = fakeSecrets({ 'arn:origin': 'origin-secret-0123456789' }, 1);
    const handlers = fixture.container({
      env: { ANTEROOM_ORIGIN_SECRET_ARN: 'arn:origin' },
      secretsManager: secrets.client,
    });
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v1' });
    const failed = await request(server).get('/serving_num').query({ event_id: 'sale' }).expect(503);
    assert.equal(failed.headers['retry-after'], '2');
    assert.equal(failed.body.code, 'service_unavailable');
    await request(server)
      .get('/serving_num')
      .query({ event_id: 'sale' })
      .set('x-anteroom-origin-secret', 'origin-secret-0123456789')
      .expect(200);
    assert.equal(handlers.container.builds, 2);
    assert.deepEqual(secrets.reads, ['arn:origin', 'arn:origin']);
    await handlers.container.close();
  });

  test('signing keys, cookie keys and the Redis AUTH token come from Secrets Manager', async () => {
    const authed = await startRedis(['--requirepass', 'redis-auth-token-123']);
    try {
      const document = await createKeysDocument('ES256');
      const secrets = fakeSecrets({
        'arn:keys': JSON.stringify(document),
        'arn:cookies': JSON.stringify([
          'cookie-key-one-0123456789abcdefghijkl',
          'cookie-key-two-0123456789abcdefghijkl',
        ]),
        'arn:redis': JSON.stringify({ username: 'default', password: 'redis-auth-token-123' }),
      });
      const env: Record<string, string> = {
        REDIS_URL: '',
        ANTEROOM_REDIS_HOST: '127.0.0.1',
        ANTEROOM_REDIS_PORT: String(authed.port),
        ANTEROOM_REDIS_TLS: 'false',
        ANTEROOM_REDIS_AUTH_SECRET_ARN: 'arn:redis',
        ANTEROOM_KEYS_SECRET_ARN: 'arn:keys',
        ANTEROOM_COOKIE_KEYS_SECRET_ARN: 'arn:cookies',
        ANTEROOM_PUBLIC_URL: 'https://waiting.example.com',
      };
      const handlers = fixture.container({ env, secretsManager: secrets.client });
      const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v1' });
      const assigned = await request(server).post('/assign_queue_num').send({ event_id: 'sale' }).expect(200);
      const admin = await fixture.bridge(handlers.adminHandler, { format: 'v1' });
      await request(admin.server)
        .post('/increment_serving_counter')
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .send({ event_id: 'sale', increment_by: 1 })
        .expect(200);
      const tokens = await request(server)
        .post('/generate_token')
        .send({ event_id: 'sale', request_id: assigned.body.api_request_id })
        .expect(200);
      const es256 = document.keys.find((key) => key.alg === 'ES256')!;
      assert.equal(decodeProtectedHeader(tokens.body.access_token).kid, es256.kid);
      assert.equal(decodeJwt(tokens.body.access_token).iss, 'https://waiting.example.com');
      const container = await handlers.container.get();
      assert.deepEqual(container.settings.config.oidc.cookieKeys, [
        'cookie-key-one-0123456789abcdefghijkl',
        'cookie-key-two-0123456789abcdefghijkl',
      ]);
      assert.deepEqual([...secrets.reads].sort(), ['arn:cookies', 'arn:keys', 'arn:redis']);
      await handlers.container.close();
    } finally {
      await authed.stop();
    }
  });

  test('a Redis outage answers 503 with Retry-After; the first invocation after recovery succeeds', async () => {
    const handlers = fixture.container();
    const { server } = await fixture.bridge(handlers.publicHandler, { format: 'v2', stage: 'api' });
    await request(server).get('/api/serving_num').query({ event_id: 'sale' }).expect(200);

    await redis.kill();
    const down = await request(server).get('/api/serving_num').query({ event_id: 'sale' }).expect(503);
    assert.ok(Number(down.headers['retry-after']) > 0);
    assert.equal(down.body.code, 'store_unavailable');
    const enqueue = await request(server)
      .post('/api/assign_queue_num')
      .send({ event_id: 'sale' })
      .expect(503);
    assert.ok(enqueue.headers['retry-after']);

    await redis.restart();
    // Recovery = the container's own client answers again (it reconnects on its own; a
    // socket in CLIENT LIST is not enough: ioredis runs its ready check after the accept).
    // Wait for that, then the very next invocation must succeed.
    const { store } = (await handlers.container.get()).deps;
    for (let attempt = 0; !(await store.ping()); attempt += 1) {
      assert.ok(attempt < 200, 'the store reconnects after Redis is back');
      await delay(50);
    }
    await request(server).get('/api/serving_num').query({ event_id: 'sale' }).expect(200);
    await request(server).post('/api/assign_queue_num').send({ event_id: 'sale' }).expect(200);
    assert.equal(handlers.container.builds, 1, 'the outage did not cost a rebuild');
    await handlers.container.close();
  });
});
