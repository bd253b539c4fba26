/**
 * The store contract against a real Redis, plus what only Redis has: the `{eventId}`
 * hash tag on every key of an event, and behaviour across a server outage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../queue-core/errors.ts';
import { RedisStore } from '../../queue-core/redis-store.ts';
import { createStore } from '../../queue-core/store.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { rid, storeContract } from './store-contract.ts';

const skip = redisSkipReason();
const T0 = 1_700_000_000;

let server: RedisServer | undefined;
async function sharedServer(): Promise<RedisServer> {
  server ??= await startRedis();
  return server;
}
after(async () => {
  await server?.stop();
});

storeContract(
  'redis',
  async () => {
    const store = createStore({ type: 'redis', url: (await sharedServer()).url });
    return { store, cleanup: () => store.close() };
  },
  { skip },
);

async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

describe('redis store: key layout', { skip }, () => {
  it('puts every key of an event under the {eventId} hash tag (one cluster slot)', async () => {
    const { url } = await sharedServer();
    const store = new RedisStore({ url, keyPrefix: 'layout:' });
    const inspector = new Redis(url);
    try {
      for (const event of ['alpha', 'beta.2']) {
        await store.enqueue(event, { requestId: rid(1), visitorKey: 'v1', now: T0 });
        await store.enqueue(event, { requestId: rid(2), now: T0 + 1 });
        await store.incrementServingCounter(event, 2, T0);
        const input = { now: T0, validitySeconds: 10, issuer: 'i', expirySeconds: 60 };
        await store.issueToken(event, { ...input, requestId: rid(1) });
        await store.issueToken(event, { ...input, requestId: rid(2) });
        await store.updateSession(event, rid(2), 'completed');
        await store.expirePositions(event, T0 + 100, 60, true);
        await store.putEventOverride({
          id: event,
          mode: 'queue',
          inlet: { type: 'manual' },
          tokenValiditySeconds: 10,
          queuePositionExpirySeconds: 60,
          incrementServingOnExpiry: true,
        });
      }
      const keys = await scanAll(inspector, 'layout:*');
      const eventKeys = keys.filter((key) => key !== 'layout:audit' && !/^layout:(lease|tick):/.test(key));
      assert.equal(eventKeys.length, 20, `two events × ten keys, got ${keys.join(' ')}`);
      for (const key of eventKeys) assert.match(key, /^layout:\{(alpha|beta\.2)\}:[a-z]+$/);
      await store.reset('alpha');
      const left = await scanAll(inspector, 'layout:{alpha}:*');
      assert.deepEqual(left, ['layout:{alpha}:o'], 'reset keeps only the settings override');
    } finally {
      await store.close();
      inspector.disconnect();
    }
  });
});

describe('redis store: outage', { skip }, () => {
  let faulty: RedisServer;
  let store: RedisStore;
  before(async () => {
    // Its own server, with every write on disk before it is acknowledged, so a killed
    // and restarted server still holds every position it handed out.
    faulty = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    store = new RedisStore({ url: faulty.url, connectTimeoutMs: 500 });
  });
  after(async () => {
    await store?.close();
    await faulty?.stop();
  });

  it('rejects with StoreUnavailableError while Redis is down and resumes after it returns', async () => {
    const event = 'outage';
    for (let i = 1; i <= 5; i++) await store.enqueue(event, { requestId: rid(i), now: T0 });
    await faulty.kill();

    const unavailable = (error: unknown) => error instanceof StoreUnavailableError && error.status === 503;
    await assert.rejects(store.enqueue(event, { requestId: rid(6), now: T0 }), unavailable);
    await assert.rejects(store.getServingCounter(event), unavailable);
    await assert.rejects(store.incrementServingCounter(event, 1, T0), unavailable);
    await assert.rejects(
      store.issueToken(event, {
        requestId: rid(1),
        now: T0,
        validitySeconds: 1,
        issuer: 'i',
        expirySeconds: null,
      }),
      unavailable,
    );
    assert.equal(await store.ping(), false);

    await faulty.restart();
    // Reconnection is the client's own back-off; wait for it (bounded), not for a fixed time.
    const deadline = Date.now() + 15_000;
    while (!(await store.ping())) {
      assert.ok(Date.now() < deadline, 'the store did not reconnect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const next = await store.enqueue(event, { requestId: rid(6), now: T0 + 1 });
    assert.equal(next.position, 6, 'no position lost or handed out twice');
    for (let i = 1; i <= 5; i++) assert.equal((await store.getEntry(event, rid(i)))?.position, i);
    assert.equal((await store.getCounters(event)).queue, 6);
    assert.equal(await store.getServingCounter(event), 0, 'the failed increment was not applied');
  });
});
