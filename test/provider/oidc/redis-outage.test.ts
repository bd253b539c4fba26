/**
 * The provider's own Redis connection during an outage: ioredis reports every failed
 * reconnection attempt, the log says so once per outage (and once when it is over), and the
 * provider serves again without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type AppDeps, createAppDeps } from '../../../provider/apps/deps.ts';
import { loadConfig } from '../../../provider/config/server-config.ts';
import { createOidcMiddleware, type OidcMiddleware } from '../../../provider/oidc/index.ts';
import { createKeysDocument } from '../../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../../queue-core/signing-keys/key-ring.ts';
import { testLogger } from '../../support/logs.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../../support/redis.ts';
import { CLIENTS, COOKIE_KEYS, EVENTS } from './harness.ts';

const skip = redisSkipReason();
let redis: RedisServer;
let deps: AppDeps;
let oidc: OidcMiddleware;
const lines: { msg: string }[] = [];

before(async () => {
  if (skip) return;
  redis = await startRedis();
  const config = loadConfig({
    raw: {
      publicUrl: 'http://127.0.0.1:1',
      adminKeys: ['oidc-outage-admin-key-DvWqXSMbV28siKT5TtvMdD'],
      store: { type: 'redis', url: redis.url },
      events: EVENTS,
      keys: { type: 'env' },
      oidc: { clients: CLIENTS, cookieKeys: COOKIE_KEYS },
    },
    env: {},
  });
  const logger = testLogger({ level: 'info', lines: lines });
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  deps = await createAppDeps(config, { keys, logger, defaultMetrics: false });
  oidc = await createOidcMiddleware(deps);
});
after(async () => {
  await oidc?.close();
  deps?.room.close();
  await deps?.store.close();
  await redis?.stop();
});

const count = (prefix: string) => lines.filter((line) => line.msg.startsWith(prefix)).length;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await delay(50);
  assert.ok(condition(), what);
}

test('an outage of the provider connection is logged once, and its end once', { skip }, async () => {
  // The provider's connection is open (a lookup through it answers).
  assert.equal(await oidc.provider.Client.find('nobody'), undefined);

  for (const outage of [1, 2]) {
    await redis.kill();
    await until(() => count('oidc redis connection error') === outage, `outage ${outage} is logged`);
    // Several reconnection attempts fail meanwhile (the first ones 50, 100, 150 ms apart).
    await delay(1000);
    assert.equal(count('oidc redis connection error'), outage, 'not once per reconnection attempt');
    await redis.restart();
    await until(() => count('oidc redis connection restored') === outage, `recovery ${outage} is logged`);
  }
});
