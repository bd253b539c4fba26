/**
 * Builds the public and admin apps for HTTP tests around a given store, with a controllable
 * clock (epoch seconds, starting at the real time so jose's own clock agrees) and one key
 * ring generated per test process.
 */

import type { RequestListener } from 'node:http';
import type pino from 'pino';
import { createAdminApp } from '../../provider/apps/admin-app.ts';
import { type AppDeps, createAppDeps } from '../../provider/apps/deps.ts';
import { createPublicApp } from '../../provider/apps/public-app.ts';
import { loadConfig } from '../../provider/config/server-config.ts';
import { lambdaHandlerForApp } from '../../provider/lambda/app-handler.ts';
import { withHotPaths } from '../../provider/server/hot-path.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import { lambdaListener } from '../support/lambda-bridge.ts';
import { testLogger } from '../support/logs.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';

export const ADMIN_KEY = 'test-admin-key-mkjdzujdFFeYGd2bD6NiRb';
export const PUBLIC_URL = 'https://queue.example.test';

let ring: Promise<KeyRing> | undefined;
export function testKeys(): Promise<KeyRing> {
  ring ??= createKeysDocument('ES256').then((document) =>
    KeyRing.fromDocument(document, { algorithm: 'ES256' }),
  );
  return ring;
}

export interface Clock {
  seconds: number;
  /** Sub-second part, for the micro-caches. */
  ms: number;
  advance(seconds: number): void;
}

export function createClock(): Clock {
  return {
    seconds: Math.floor(Date.now() / 1000),
    ms: 0,
    advance(seconds) {
      this.seconds += seconds;
    },
  };
}

/** The events every HTTP suite uses. */
export const TEST_EVENTS = [
  { id: 'main', inlet: { type: 'manual' }, queuePositionExpirySeconds: 900 },
  { id: 'noexp', inlet: { type: 'manual' }, queuePositionExpirySeconds: null },
  { id: 'shut', mode: 'closed' },
  { id: 'open', mode: 'passthrough' },
  { id: 'max', inlet: { type: 'max-size', maxActive: 1 } },
];

export interface TestApp {
  deps: AppDeps;
  clock: Clock;
  publicApp: ReturnType<typeof createPublicApp>;
  adminApp: ReturnType<typeof createAdminApp>;
  /** What `anteroom serve` runs: the hot read paths in front of the Koa public app. */
  publicHandler: RequestListener;
  adminHandler: RequestListener;
}

/** API Gateway payload formats: REST API (v1) and HTTP API (v2). */
export type LambdaFormat = 'v1' | 'v2';

export async function buildTestApp(
  store: QueueStore,
  raw: Record<string, unknown> = {},
  options: { logger?: pino.Logger; lambda?: LambdaFormat | undefined; keys?: KeyRing } = {},
): Promise<TestApp> {
  const clock = createClock();
  const config = loadConfig({
    raw: {
      publicUrl: PUBLIC_URL,
      adminKeys: [ADMIN_KEY],
      events: TEST_EVENTS,
      limits: { enqueuePerClientPerMinute: 0 },
      keys: { type: 'env' },
      ...raw,
    },
    env: {},
  });
  const deps = await createAppDeps(config, {
    store,
    keys: options.keys ?? (await testKeys()),
    logger: options.logger ?? testLogger(),
    now: () => clock.seconds,
    nowMs: () => clock.seconds * 1000 + clock.ms,
    defaultMetrics: false,
    sseHeartbeatMs: 50,
  });
  const publicApp = createPublicApp(deps);
  const adminApp = createAdminApp(deps);
  if (options.lambda) {
    // The same apps behind the Lambda handlers, each request translated into an API Gateway
    // event of that format and the handler's result back: "works on Lambda" by the same assertions.
    const format = options.lambda;
    return {
      deps,
      clock,
      publicApp,
      adminApp,
      publicHandler: lambdaListener(lambdaHandlerForApp(publicApp, deps, { kind: 'public' }), { format }),
      adminHandler: lambdaListener(lambdaHandlerForApp(adminApp, deps, { kind: 'admin' }), { format }),
    };
  }
  return {
    deps,
    clock,
    publicApp,
    adminApp,
    publicHandler: withHotPaths(deps, publicApp.callback()),
    adminHandler: adminApp.callback(),
  };
}

/** A store kind the suites run against: `create()` gives a fresh, empty store. */
export interface StoreKind {
  name: 'memory' | 'redis';
  skip: string | false;
  create(): Promise<QueueStore>;
  /** Stops what `create` started (the test Redis). */
  stop(): Promise<void>;
  redis?: () => RedisServer | undefined;
}

export function memoryKind(): StoreKind {
  return { name: 'memory', skip: false, create: async () => new MemoryStore(), stop: async () => {} };
}

export function redisKind(): StoreKind {
  const skip = redisSkipReason();
  let server: RedisServer | undefined;
  let prefixes = 0;
  return {
    name: 'redis',
    skip,
    async create() {
      server ??= await startRedis();
      prefixes += 1;
      return new RedisStore({ url: server.url, keyPrefix: `t${prefixes}:` });
    },
    async stop() {
      await server?.stop();
    },
    redis: () => server,
  };
}
