/**
 * `startServer` in-process: both listeners, the inlet loop moving a periodic event, and a
 * graceful stop that ends open status streams and closes everything.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openStreamCount } from '../../provider/api/status-stream.ts';
import { loadConfig } from '../../provider/config/server-config.ts';
import { type RunningServer, startServer } from '../../provider/server/server.ts';
import { testLogger } from '../support/logs.ts';
import { redisSkipReason, startRedis } from '../support/redis.ts';
import { testKeys } from './support.ts';

describe('startServer', () => {
  let server: RunningServer;
  before(async () => {
    const config = loadConfig({
      raw: {
        listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
        adminKeys: ['server-test-key-XkCcSiUj9cbtMVnZboBVnp'],
        keys: { type: 'env' },
        events: [{ id: 'tick', inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 1 } }],
      },
      env: {},
    });
    server = await startServer(config, {
      keys: await testKeys(),
      logger: testLogger(),
      tickMs: 50,
    });
  });
  after(() => server.close());

  it('runs the inlet loop: a periodic event admits queued visitors without an operator', async () => {
    // Six visitors queue; the loop alone then admits them, two a tick.
    for (let visitor = 0; visitor < 6; visitor++) {
      const res = await fetch(`${server.publicListenUrl}/assign_queue_num`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ event_id: 'tick' }),
      });
      assert.equal(res.status, 200);
    }
    let serving = 0;
    for (let attempt = 0; attempt < 60 && serving < 2; attempt++) {
      const res = await fetch(`${server.publicListenUrl}/serving_num?event_id=tick`);
      serving = ((await res.json()) as { serving_counter: number }).serving_counter;
      if (serving < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A tick may fall between two arrivals, so the value need not be a multiple of 2.
    assert.ok(serving >= 2 && serving <= 6, `serving ${serving} moved, never past the queue`);
    const admin = await fetch(`${server.adminUrl}/events/tick`, {
      headers: { Authorization: 'Bearer server-test-key-XkCcSiUj9cbtMVnZboBVnp' },
    });
    assert.equal(admin.status, 200);
  });

  it('finishes a request in flight when asked to stop', async () => {
    // A second server, so the first one's streams test stays independent.
    const config = loadConfig({
      raw: {
        listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
        adminKeys: ['server-test-key-XkCcSiUj9cbtMVnZboBVnp'],
        keys: { type: 'env' },
        events: [{ id: 'slow' }],
      },
      env: {},
    });
    const other = await startServer(config, { keys: await testKeys(), logger: testLogger() });
    const { port } = new URL(other.publicListenUrl);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = '{"event_id":"slow"}';
    // Headers now, body later: the request is in flight when the stop begins.
    socket.write(
      `POST /assign_queue_num HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await new Promise((resolve) => setImmediate(resolve));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    const ended = new Promise((resolve) => socket.once('close', resolve));
    const stopping = other.close();
    socket.write(body);
    await stopping;
    await ended;
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /"queue_number":1/);
  });

  it('stops gracefully: open status streams end, listeners close, close() is idempotent', async () => {
    const joined = await fetch(`${server.publicListenUrl}/assign_queue_num`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"event_id":"tick"}',
    });
    const { api_request_id: id } = (await joined.json()) as { api_request_id: string };
    const stream = await fetch(`${server.publicListenUrl}/events/tick/stream?request_id=${id}`);
    assert.equal(stream.status, 200);
    assert.equal(openStreamCount(), 1);
    const drained = (async () => {
      const reader = stream.body!.getReader();
      for (;;) if ((await reader.read()).done) return true;
    })();
    await Promise.all([server.close(), server.close()]);
    assert.equal(await drained, true);
    assert.equal(openStreamCount(), 0);
    assert.equal(server.publicServer.listening, false);
    assert.equal(server.adminServer.listening, false);
  });
});

/** A server on its own ports and the given Redis. */
function redisConfig(url: string, events: unknown[]) {
  return loadConfig({
    raw: {
      listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: ['server-test-key-XkCcSiUj9cbtMVnZboBVnp'],
      keys: { type: 'env' },
      store: { type: 'redis', url },
      events,
    },
    env: {},
  });
}

describe('startServer on Redis: stopping hands the inlet over', { skip: redisSkipReason() }, () => {
  it('releases the max-size lease it held, so another process steers at once', async () => {
    const redis = await startRedis();
    const inspector = new Redis(redis.url);
    try {
      const config = redisConfig(redis.url, [{ id: 'steered', inlet: { type: 'max-size', maxActive: 5 } }]);
      const server = await startServer(config, {
        keys: await testKeys(),
        logger: testLogger(),
        tickMs: 50,
      });
      const lease = 'ar:lease:inlet:steered';
      let holder: string | null = null;
      for (let attempt = 0; attempt < 100 && holder === null; attempt++) {
        holder = await inspector.get(lease);
        if (holder === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(holder, 'the running server took the max-size lease');
      assert.ok((await inspector.pttl(lease)) > 1000, 'held for seconds after the last tick');
      await server.close();
      assert.equal(await inspector.get(lease), null, 'released on stop, not left to expire');
    } finally {
      inspector.disconnect();
      await redis.stop();
    }
  });
});

describe('startServer on a Redis that may evict any key', { skip: redisSkipReason() }, () => {
  it('warns the operator at start', async () => {
    const redis = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    const lines: { msg: string; store_warning?: boolean }[] = [];
    try {
      const config = redisConfig(redis.url, [{ id: 'main' }]);
      const logger = testLogger({ level: 'warn', lines: lines });
      const server = await startServer(config, { keys: await testKeys(), logger });
      await server.close();
      const warning = lines.find((line) => line.store_warning);
      assert.match(warning?.msg ?? '', /maxmemory-policy is allkeys-lru/);
    } finally {
      await redis.stop();
    }
  });
});
