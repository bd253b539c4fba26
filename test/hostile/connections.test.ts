/**
 * Connection-level attacks on a real `anteroom serve` (public listener, Redis-backed): a
 * slowloris that never finishes its headers, a request whose body never comes, oversized
 * headers and bodies, and a flood of idle connections from one client. Each is bounded by the
 * listener's limits (`provider/server/http-limits.ts`), and the server keeps serving others.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type HostileTarget, startHostileTarget } from '../support/hostile-target.ts';
import { testLogger } from '../support/logs.ts';
import { redisSkipReason } from '../support/redis.ts';

const PER_CLIENT = 12;
const MAX_CONNECTIONS = 40;

function port(target: HostileTarget): number {
  return Number(new URL(target.base).port);
}

/** A raw connection to the public listener; `answer` collects what the server sends. */
async function raw(
  target: HostileTarget,
): Promise<{ socket: Socket; answer: () => string; closed: Promise<void> }> {
  const socket = connect(port(target), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return { socket, answer: () => text, closed };
}

/** A health check on a connection of its own that closes after it (no keep-alive pool left over). */
/**
 * The connections still open once the server has closed those it refuses: it closes them at
 * once, but on a loaded machine "at once" can take a while (polled up to 10 s, never less than
 * 200 ms, so a connection closed late is still seen).
 */
async function stillOpen(flood: Awaited<ReturnType<typeof raw>>[], expected: number) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let waited = 200; waited < 10_000; waited += 50) {
    if (flood.filter((connection) => !connection.socket.destroyed).length <= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return flood.filter((connection) => !connection.socket.destroyed);
}

async function healthy(target: HostileTarget): Promise<boolean> {
  const check = await raw(target);
  check.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await check.closed;
  return check.answer().startsWith('HTTP/1.1 200');
}

describe('connections from a hostile client', { skip: redisSkipReason() }, () => {
  let target: HostileTarget;
  before(async () => {
    target = await startHostileTarget({
      raw: {
        limits: {
          headersTimeoutSeconds: 1,
          requestTimeoutSeconds: 2,
          connectionsPerClient: PER_CLIENT,
          maxConnections: MAX_CONNECTIONS,
        },
      },
      logger: testLogger(),
    });
  });
  after(() => target?.close());

  // Without the limits these would hang for a minute or more: the timeouts make that a failure.
  it('cuts a slowloris that sends a header a while and never ends them', { timeout: 20_000 }, async () => {
    const slow = await raw(target);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write('X-Drip: 1\r\n');
    }, 200);
    await slow.closed; // limits.headersTimeoutSeconds: 1 (the test would time out otherwise)
    clearInterval(drip);
    assert.match(slow.answer(), /^(HTTP\/1\.1 408|)/, 'a 408, or just the close');
    assert.equal(await healthy(target), true);
  });

  it('cuts a request whose body never arrives', { timeout: 20_000 }, async () => {
    const slow = await raw(target);
    slow.socket.write(
      'POST /assign_queue_num HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"event',
    );
    await slow.closed; // limits.requestTimeoutSeconds: 2
    assert.equal(await healthy(target), true);
  });

  it('keeps an idle keep-alive connection (a load balancer) past the headers timeout', async () => {
    const idle = await raw(target);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let wait = 0; wait < 100 && !idle.answer().includes('"ok"'); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Idle for longer than headersTimeoutSeconds (1) and its check interval: a new request still works.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(idle.socket.destroyed, false);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await idle.closed;
    assert.equal(idle.answer().match(/HTTP\/1\.1 200/g)?.length, 2, idle.answer());
  });

  it('refuses oversized headers (431) and bodies (413)', async () => {
    const big = await raw(target);
    big.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
    await big.closed;
    assert.match(big.answer(), /^HTTP\/1\.1 431 /);
    const body = await raw(target);
    const json = JSON.stringify({ event_id: 'sale', pad: 'p'.repeat(17 * 1024) });
    body.socket.write(
      `POST /assign_queue_num HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
    );
    await body.closed;
    assert.match(body.answer(), /^HTTP\/1\.1 413 /);
    assert.equal(await healthy(target), true);
  });

  it("holds at most limits.connectionsPerClient of one client's connections", async () => {
    const flood = await Promise.all(Array.from({ length: PER_CLIENT + 8 }, () => raw(target)));
    // A refused connection is closed by the server at once.
    const alive = await stillOpen(flood, PER_CLIENT);
    assert.equal(alive.length, PER_CLIENT);
    // The connections it holds still work.
    alive[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await alive[0]!.closed;
    assert.match(alive[0]!.answer(), /^HTTP\/1\.1 200/);
    for (const connection of flood) connection.socket.destroy();
    await Promise.all(flood.map((connection) => connection.closed));
    assert.equal(await healthy(target), true);
  });
});

describe('a connection flood behind a proxy', { skip: redisSkipReason() }, () => {
  let target: HostileTarget;
  before(async () => {
    target = await startHostileTarget({
      // Behind a trusted proxy every connection comes from it: no per-peer cap, the listener's holds.
      raw: { limits: { trustProxy: 1, maxConnections: MAX_CONNECTIONS, connectionsPerClient: PER_CLIENT } },
      logger: testLogger(),
    });
  });
  after(() => target?.close());

  it('holds at most limits.maxConnections, and serves again once they close', async () => {
    const flood = await Promise.all(Array.from({ length: MAX_CONNECTIONS + 10 }, () => raw(target)));
    assert.equal((await stillOpen(flood, MAX_CONNECTIONS)).length, MAX_CONNECTIONS);
    for (const connection of flood) connection.socket.destroy();
    await Promise.all(flood.map((connection) => connection.closed));
    let served = false;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      served = await healthy(target).catch(() => false);
      if (!served) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(served, true);
  });
});
