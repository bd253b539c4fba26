/**
 * `createOidcMiddleware` opens its own Redis connection (provider state beside the queue). A
 * build that fails after that must close it: a Lambda container retries a failed build on the
 * next invocation, and would otherwise leak one connection per attempt. Counted on a private
 * redis-server with `INFO clients` (connected_clients).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type AppDeps, createAppDeps } from '../../../provider/apps/deps.ts';
import { loadConfig } from '../../../provider/config/server-config.ts';
import { createOidcMiddleware } from '../../../provider/oidc/index.ts';
import { testLogger } from '../../support/logs.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../../support/redis.ts';
import { CLIENTS, COOKIE_KEYS, EVENTS } from './harness.ts';

const skip = redisSkipReason();

describe('OIDC middleware connections', { skip }, () => {
  let redis: RedisServer;
  let probe: Redis;
  let deps: AppDeps;
  let directory: string;

  before(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url);
    directory = mkdtempSync(join(tmpdir(), 'anteroom-oidc-cleanup-'));
    const config = loadConfig({
      raw: {
        publicUrl: 'https://queue.example.test',
        adminKeys: ['oidc-cleanup-admin-key-JRBqeMvHys9Y39FQTDWpMm'],
        events: EVENTS,
        store: { type: 'redis', url: redis.url },
        keys: { type: 'file', path: join(directory, 'keys.json') },
        oidc: { clients: CLIENTS, cookieKeys: COOKIE_KEYS },
      },
      env: {},
    });
    deps = await createAppDeps(config, { logger: testLogger(), defaultMetrics: false });
    await deps.room.getEvent('event-a'); // the queue's own connection is up before counting
  });
  after(async () => {
    deps?.room.close();
    await deps?.store.close();
    probe?.disconnect();
    await redis?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  async function connected(): Promise<number> {
    return Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))![1]);
  }

  /**
   * A connection opened after the ones under test, answered: the server accepts connections in
   * order, so every connection opened before it has been counted by the time it answers.
   */
  async function barrier(): Promise<Redis> {
    const connection = new Redis(redis.url);
    await connection.ping();
    return connection;
  }

  /** Closing is seen by the server a moment later: read until the count is `expected` (bounded). */
  async function settle(expected: number): Promise<number> {
    let count = await connected();
    for (let attempt = 0; attempt < 200 && count !== expected; attempt += 1) {
      await delay(10);
      count = await connected();
    }
    return count;
  }

  test('a build that fails after opening its connection closes it', async () => {
    const baseline = await connected();
    // oidc-provider refuses a non-positive interaction lifetime when the provider is built,
    // which is after the connection was opened.
    await assert.rejects(createOidcMiddleware(deps, { interactionTtlSeconds: 0 }), /ttl\.Interaction/);
    // Invalid client configuration is refused before any connection is opened.
    const badClients = [{ ...CLIENTS[0], redirect_uris: ['http://rp.example.test/cb'] }];
    await assert.rejects(
      createOidcMiddleware({
        ...deps,
        config: { ...deps.config, oidc: { ...deps.config.oidc, clients: badClients } },
      }),
      (error: unknown) => (error as { code?: string }).code === 'invalid_oidc_client',
    );
    const first = await barrier();
    assert.equal(await connected(), baseline + 1, 'no connection left by the failed builds');

    // The same count sees a good build's connection (so it would have seen a leaked one).
    const oidc = await createOidcMiddleware(deps);
    const second = await barrier();
    try {
      assert.equal(await connected(), baseline + 3, 'barriers and the good build');
    } finally {
      await oidc.close();
      first.disconnect();
      second.disconnect();
    }
    assert.equal(await settle(baseline), baseline, 'closing it leaves none');
  });
});
