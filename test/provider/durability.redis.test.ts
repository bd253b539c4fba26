/**
 * `store.durability` (API.md section 5) on a real primary with a real `--replicaof` replica:
 * with `replica`, a write is answered only once a replica confirmed it, so a replica that stops
 * answering (SIGSTOP) turns every write into a 503 `store_unavailable` with Retry-After, while
 * reads still answer; one WAIT covers a whole event-loop turn of writes. `aof` is refused at
 * start-up on a Redis that cannot confirm an append-only write, naming the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../provider/config/server-config.ts';
import { redisAdapter } from '../../provider/oidc/adapters/redis.ts';
import { type RunningServer, startServer } from '../../provider/server/server.ts';
import { StoreUnavailableError } from '../../queue-core/errors.ts';
import { testLogger } from '../support/logs.ts';
import { type RedisServer, redisSkipReason, startRedis, startReplicated } from '../support/redis.ts';
import { testKeys } from './support.ts';

const skip = redisSkipReason();
const ADMIN_KEY = 'durability-test-key-Vq8fLm2RtXw9KpZcYh4NbE';
const AUTH = { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' };

/** Every log line of the servers these tests start. */
const lines: { msg?: string; store_wait_timeout?: boolean; wait_timeouts?: number }[] = [];

async function serve(url: string, store: Record<string, unknown>): Promise<RunningServer> {
  const config = loadConfig({
    raw: {
      listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: [ADMIN_KEY],
      keys: { type: 'env' },
      store: { type: 'redis', url, ...store },
      limits: { enqueuePerClientPerMinute: 0 },
      events: [{ id: 'main', inlet: { type: 'manual' } }],
    },
    env: {},
  });
  return startServer(config, { keys: await testKeys(), logger: testLogger({ lines }) });
}

async function enqueue(server: RunningServer): Promise<Response> {
  return fetch(`${server.publicListenUrl}/assign_queue_num`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"event_id":"main"}',
  });
}

async function positionOf(server: RunningServer, response: Response): Promise<number> {
  const { api_request_id: id } = (await response.json()) as { api_request_id: string };
  const answer = await fetch(`${server.publicListenUrl}/queue_num?event_id=main&request_id=${id}`);
  return ((await answer.json()) as { queue_number: number }).queue_number;
}

async function waitCalls(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const stats = await client.info('commandstats');
    return Number(/^cmdstat_wait:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

describe('store.durability "replica"', { skip }, () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let server: RunningServer;
  before(async () => {
    ({ primary, replica } = await startReplicated());
    server = await serve(primary.url, { durability: 'replica', waitTimeoutMs: 1000 });
  });
  after(async () => {
    await server?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it('acknowledges writes a replica confirmed, and answers 503 with Retry-After while none can', async () => {
    const first = await enqueue(server);
    assert.equal(first.status, 200);
    const before = await positionOf(server, first);

    replica.pause();
    try {
      const refused = await enqueue(server);
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { code: string }).code, 'store_unavailable');
      assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After');
      const increment = await fetch(`${server.adminUrl}/increment_serving_counter`, {
        method: 'POST',
        headers: AUTH,
        body: '{"event_id":"main","increment_by":1}',
      });
      assert.equal(increment.status, 503);
      assert.ok(Number(increment.headers.get('retry-after')) >= 1, 'Retry-After on the admin write');
      // Reads do not wait for a replica.
      const serving = await fetch(`${server.publicListenUrl}/serving_num?event_id=main`);
      assert.equal(serving.status, 200);
      const metrics = await (await fetch(`${server.adminUrl}/metrics`, { headers: AUTH })).text();
      const timeouts = Number(/^anteroom_store_wait_timeouts_total (\d+)/m.exec(metrics)?.[1]);
      assert.ok(timeouts >= 2, `wait timeouts counted: ${timeouts}`);
      // And logged once for the burst, which a log metric filter counts (the CDK app's alarm).
      const logged = lines.filter((line) => line.store_wait_timeout === true);
      assert.equal(logged.length, 1, 'one line for the burst');
      assert.equal(logged[0]?.wait_timeouts, 1);
      assert.match(String(logged[0]?.msg), /^store_wait_timeout: /);
    } finally {
      replica.resume();
    }

    // Back: a new place comes after the unconfirmed one (a gap, never a duplicate).
    let again: Response | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      again = await enqueue(server);
      if (again.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(again?.status, 200);
    assert.ok((await positionOf(server, again!)) > before + 1);
  });

  it('an admin write retried with its Idempotency-Key after a 503 is not applied twice', async () => {
    const serving = async () =>
      (
        (await (await fetch(`${server.publicListenUrl}/serving_num?event_id=main`)).json()) as {
          serving_counter: number;
        }
      ).serving_counter;
    const increment = (key: string) =>
      fetch(`${server.adminUrl}/increment_serving_counter`, {
        method: 'POST',
        headers: { ...AUTH, 'Idempotency-Key': key },
        body: '{"event_id":"main","increment_by":3}',
      });
    const start = await serving();
    // The key is claimed, then the increment is applied by the primary but confirmed by no replica.
    replica.pause();
    let first: Response;
    try {
      first = await increment('after-a-503-0123456789abcdef');
    } finally {
      replica.resume();
    }
    assert.equal(first.status, 503);
    // The primary applied it, nobody was told: in doubt, so the retry does not run it again.
    const retry = await increment('after-a-503-0123456789abcdef');
    assert.equal(retry.status, 409);
    assert.equal(((await retry.json()) as { code: string }).code, 'idempotency_key_in_use');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the serving micro-cache
    assert.equal((await serving()) - start, 3, 'moved once');
    const fresh = await increment('a-new-key-0123456789abcdefghij');
    assert.equal(fresh.status, 200);
  });

  it('sends one WAIT for the writes of one event-loop turn', async () => {
    const waitsBefore = await waitCalls(primary.url);
    const answers = await Promise.all(Array.from({ length: 40 }, () => enqueue(server)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      answers.map(() => 200),
    );
    const waits = (await waitCalls(primary.url)) - waitsBefore;
    assert.ok(waits >= 1 && waits < 40, `${waits} WAITs for 40 enqueues`);
  });
});

describe('store.durability "none"', { skip }, () => {
  it('acknowledges writes the primary applied, whatever the replica does', async () => {
    const { primary, replica } = await startReplicated();
    const server = await serve(primary.url, {});
    try {
      replica.pause();
      assert.equal((await enqueue(server)).status, 200);
      assert.equal(await waitCalls(primary.url), 0);
    } finally {
      replica.resume();
      await server.close();
      await replica.stop();
      await primary.stop();
    }
  });
});

describe('store.durability "aof" at start-up', { skip }, () => {
  for (const [label, args, reason] of [
    ['append-only file off', [], /needs the append-only file on \(appendonly yes\)/],
    [
      'Redis before 7.2 (no WAITAOF)',
      ['--appendonly', 'yes'],
      /needs Redis 7\.2 or later \(WAITAOF\); this server is Redis 7\.0/,
    ],
  ] as const) {
    it(`is refused, naming the reason: ${label}`, async (t) => {
      const redis = await startRedis([...args]);
      try {
        const version = /^redis_version:(\S+)/m.exec(await infoOf(redis.url))?.[1] ?? '';
        if (label.startsWith('Redis before') && !version.startsWith('7.0') && !version.startsWith('7.1')) {
          t.skip(`this Redis is ${version}: WAITAOF exists`);
          return;
        }
        await assert.rejects(serve(redis.url, { durability: 'aof' }), (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, reason);
          return true;
        });
      } finally {
        await redis.stop();
      }
    });
  }

  it('REDIS_DURABILITY sets it, and an unknown value is refused', () => {
    const config = loadConfig({
      raw: { adminKeys: [ADMIN_KEY], keys: { type: 'env' }, events: [{ id: 'main' }] },
      env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_DURABILITY: 'replica' },
    });
    assert.equal(config.store.type === 'redis' && config.store.durability, 'replica');
    assert.throws(
      () =>
        loadConfig({
          raw: { adminKeys: [ADMIN_KEY], keys: { type: 'env' }, events: [{ id: 'main' }] },
          env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_DURABILITY: 'always' },
        }),
      /REDIS_DURABILITY must be one of "none", "replica", "aof"/,
    );
  });
});

describe('the OIDC adapter with store.durability "replica"', { skip }, () => {
  it('answers a write only once a replica holds it', async () => {
    const { primary, replica } = await startReplicated();
    const client = new Redis(primary.url, { maxRetriesPerRequest: 0 });
    try {
      const adapter = redisAdapter(client, { durability: 'replica', waitTimeoutMs: 1000 })(
        'AuthorizationCode',
      );
      await adapter.upsert('code-1', { accountId: 'a' }, 60);
      replica.pause();
      await assert.rejects(adapter.upsert('code-2', { accountId: 'b' }, 60), StoreUnavailableError);
      await assert.rejects(adapter.consume('code-1'), StoreUnavailableError);
    } finally {
      replica.resume();
      client.disconnect();
      await replica.stop();
      await primary.stop();
    }
  });
});

async function infoOf(url: string): Promise<string> {
  const client = new Redis(url);
  try {
    return await client.info('server');
  } finally {
    client.disconnect();
  }
}
