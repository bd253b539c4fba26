/**
 * A waiting crowd on status streams: what one serving-counter move costs as the crowd grows.
 *
 *   node bench/crowd.ts [sizes, default 1000,10000,max] [moves per size, default 3]
 *
 * Starts a private redis-server, then for each size, each in its own child process:
 *   (a) baseline: a bare `node:http` Server-Sent Events server that writes one frame to every
 *       open response when told to (the floor: sockets and a loop, no queue);
 *   (b) `anteroom serve` on the Redis store (enqueue rate limit off, manual inlet).
 * N visitors join (`POST /assign_queue_num`), then N status streams open, spread over many
 * loopback addresses (127.1.x.y, 32 streams per address) so neither the per-client stream cap
 * nor the per-client connection cap interferes. The bench then reads, from the server:
 *   - Redis commands (INFO commandstats, calls summed over every command but INFO itself;
 *     commands run inside a Lua script are counted too) in 5 idle seconds, and for each move
 *     of the serving counter (admin `POST /increment_serving_counter`) from the move until
 *     every stream has its new status plus one watch period;
 *   - bytes per stream: the growth of the server's RSS and V8 heap (after a full GC) from
 *     before the streams opened to after, divided by N;
 *   - fan-out latency: from sending the move to each stream receiving its new status frame
 *     (p50, p99, max, pooled over the moves), and streams reached;
 *   - the server's event-loop delay while it fans out (perf_hooks monitorEventLoopDelay).
 * "max" opens as many streams as the open-file limit leaves room for (both ends hold a socket
 * per stream). Ratios are against the baseline of the same run. Not a test: asserts nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, request, type ServerResponse } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { loadConfig } from '../provider/config/server-config.ts';
import { startServer } from '../provider/server/server.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { freePort, startRedis } from '../test/support/redis.ts';

const EVENT = 'crowd';
const ADMIN_KEY = 'bench-admin-key-aXRDjj7KNmZ8pAjW22BHiu';
const STREAMS_PER_ADDRESS = 32;
/** How long a move's Redis commands are counted after the last stream got it (one watch period). */
const SETTLE_MS = 1000;
/** Streams that have not got a move after this long count as not reached. */
const REACH_TIMEOUT_MS = 20_000;

type Role = 'baseline' | 'anteroom';
const [role, redisUrl] = process.argv.slice(2) as [Role | undefined, string | undefined];

// ---------------------------------------------------------------------------------------------
// Children

interface ChildReady {
  port: number;
  adminPort: number;
}

/** Children answer memory and event-loop-delay questions over IPC. */
function answerQuestions(): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('message', (message: { ask: string }) => {
    if (message.ask === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      (globalThis as { gc?: () => void }).gc?.();
      const usage = process.memoryUsage();
      process.send?.({ rss: usage.rss, heap: usage.heapUsed, external: usage.external });
    } else if (message.ask === 'delay-reset') {
      delay.reset();
      process.send?.({ ok: true });
    } else if (message.ask === 'delay') {
      process.send?.({
        p50: delay.percentile(50) / 1e6,
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
      });
    }
  });
}

async function serveBaseline(): Promise<void> {
  const open = new Set<ServerResponse>();
  let serving = 0;
  const frame = () => `event: status\ndata: ${JSON.stringify({ serving_counter: serving })}\n\n`;
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.end('{"ok":true}');
      return;
    }
    if (req.method === 'POST') {
      serving += 1;
      const text = frame();
      for (const stream of open) stream.write(text);
      res.end(JSON.stringify({ serving_counter: serving }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.write(`retry: 3000\n\n${frame()}`);
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  server.maxConnections = 30_000;
  answerQuestions();
  server.listen(0, '0.0.0.0', () => {
    const { port } = server.address() as { port: number };
    process.send?.({ port, adminPort: port } satisfies ChildReady);
  });
}

async function serveAnteroom(url: string): Promise<void> {
  const port = await freePort();
  const adminPort = await freePort();
  const config = loadConfig({
    raw: {
      publicUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '0.0.0.0', adminPort, adminHost: '127.0.0.1' },
      adminKeys: [ADMIN_KEY],
      store: { type: 'redis', url },
      keys: { type: 'env' },
      limits: { enqueuePerClientPerMinute: 0, maxConnections: 30_000 },
      events: [{ id: EVENT, inlet: { type: 'manual' } }],
      log: { level: 'warn' },
    },
    env: {},
    cwd: tmpdir(),
  });
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  await startServer(config, { keys, defaultMetrics: false });
  answerQuestions();
  process.send?.({ port, adminPort } satisfies ChildReady);
}

// ---------------------------------------------------------------------------------------------
// The load generator

function startChild(kind: Role, url: string): Promise<{ child: ChildProcess; ready: ChildReady }> {
  const child = fork(new URL(import.meta.url).pathname, [kind, url], {
    stdio: 'inherit',
    execArgv: [...process.execArgv, '--expose-gc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (ready: ChildReady) => resolve({ child, ready }));
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
}

function ask<T>(child: ChildProcess, question: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer: T) => resolve(answer));
    child.send({ ask: question });
  });
}

/** Redis commands so far: calls summed over INFO commandstats, INFO itself left out. */
async function redisCommands(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match && match[1] !== 'info') calls += Number(match[2]);
  }
  return calls;
}

/** Run `task` over `count` items with at most `width` at once. */
async function pool(count: number, width: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function loopbackAddress(index: number): string {
  const n = Math.floor(index / STREAMS_PER_ADDRESS) + 1;
  return `127.1.${(n >> 8) & 255}.${n & 255}`;
}

interface Stream {
  /** When the frame carrying each serving value arrived (ms, performance.now()). */
  seen: Map<number, number>;
  close(): void;
}

/** Streams that have seen each serving value (counted as frames arrive: no scan of every stream). */
const reachedBy = new Map<number, number>();

function openStream(port: number, path: string, localAddress: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const seen = new Map<number, number>();
    const req = request({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let first = true;
      res.on('data', (chunk: string) => {
        const at = performance.now();
        for (const match of chunk.matchAll(/"serving_counter":(\d+)/g)) {
          const value = Number(match[1]);
          if (!seen.has(value)) {
            seen.set(value, at);
            reachedBy.set(value, (reachedBy.get(value) ?? 0) + 1);
          }
        }
        if (first) {
          first = false;
          resolve({ seen, close: () => req.destroy() });
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (error) => reject(error));
    req.end();
  });
}

async function joinAll(port: number, count: number): Promise<string[]> {
  const ids: string[] = new Array(count);
  await pool(count, 32, async (index) => {
    const answer = await fetch(`http://127.0.0.1:${port}/assign_queue_num`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_id: EVENT }),
    });
    const body = (await answer.json()) as { api_request_id: string };
    ids[index] = body.api_request_id;
  });
  return ids;
}

/** Move the serving counter to `serving`; false when the server could not (a 503 under load). */
async function move(kind: Role, ready: ChildReady, serving: number): Promise<boolean> {
  if (kind === 'baseline') {
    await fetch(`http://127.0.0.1:${ready.port}/move`, { method: 'POST' });
    return true;
  }
  const answer = await fetch(`http://127.0.0.1:${ready.adminPort}/increment_serving_counter`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ event_id: EVENT, increment_by: 1 }),
  });
  const body = (await answer.json()) as { serving_num?: number; code?: string };
  if (body.serving_num === serving) return true;
  console.error(`the move to ${serving} answered ${answer.status} ${body.code ?? JSON.stringify(body)}`);
  return false;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface Figures {
  opened: number;
  rssPerStream: number;
  heapPerStream: number;
  idleCommandsPerSecond: number;
  commandsPerMove: number[];
  p50: number;
  p99: number;
  max: number;
  reached: number;
  expected: number;
  loopDelay: { p50: number; p99: number; max: number };
}

async function measure(kind: Role, url: string, size: number, moves: number, redis: Redis): Promise<Figures> {
  await redis.flushall();
  const { child, ready } = await startChild(kind, url);
  const streams: Stream[] = [];
  try {
    reachedBy.clear();
    const ids = kind === 'anteroom' ? await joinAll(ready.port, size) : [];
    const before = await ask<{ rss: number; heap: number }>(child, 'memory');
    await pool(size, 128, async (index) => {
      const path =
        kind === 'anteroom' ? `/events/${EVENT}/stream?request_id=${ids[index]}` : `/stream?i=${index}`;
      try {
        streams.push(await openStream(ready.port, path, loopbackAddress(index)));
      } catch (error) {
        if (streams.length === index) console.error(`stream ${index}: ${(error as Error).message}`);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await ask<{ rss: number; heap: number }>(child, 'memory');

    const idleStart = await redisCommands(redis);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idle = ((await redisCommands(redis)) - idleStart) / 5;

    // The first request of a process pays for the HTTP client's set-up: not part of a move.
    await (await fetch(`http://127.0.0.1:${ready.port}/healthz`)).text();
    const latencies: number[] = [];
    const commandsPerMove: number[] = [];
    let reached = 0;
    let moved = 0;
    for (let m = 1; m <= moves; m++) {
      await ask(child, 'delay-reset');
      const commandsBefore = await redisCommands(redis);
      const sent = performance.now();
      if (!(await move(kind, ready, moved + 1))) continue;
      moved += 1;
      const deadline = sent + REACH_TIMEOUT_MS;
      while ((reachedBy.get(moved) ?? 0) < streams.length && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      commandsPerMove.push((await redisCommands(redis)) - commandsBefore);
      for (const stream of streams) {
        const at = stream.seen.get(moved);
        if (at !== undefined) {
          latencies.push(at - sent);
          reached += 1;
        }
      }
    }
    const loopDelay = await ask<Figures['loopDelay']>(child, 'delay');
    latencies.sort((a, b) => a - b);
    return {
      opened: streams.length,
      rssPerStream: (after.rss - before.rss) / Math.max(1, streams.length),
      heapPerStream: (after.heap - before.heap) / Math.max(1, streams.length),
      idleCommandsPerSecond: idle,
      commandsPerMove,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      reached,
      expected: streams.length * moved,
      loopDelay,
    };
  } finally {
    for (const stream of streams) stream.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function print(kind: Role, size: number, f: Figures): void {
  console.log(
    `${kind.padEnd(8)} ${String(f.opened).padStart(6)} streams (asked ${size})` +
      `  RSS ${kb(f.rssPerStream).padStart(8)}/stream  heap ${kb(f.heapPerStream).padStart(8)}/stream` +
      `  Redis idle ${f.idleCommandsPerSecond.toFixed(1)}/s  per move ${f.commandsPerMove.join(', ')}` +
      `\n${' '.repeat(9)}fan-out p50 ${f.p50.toFixed(0)} ms  p99 ${f.p99.toFixed(0)} ms  max ${f.max.toFixed(0)} ms` +
      `  reached ${f.reached}/${f.expected}` +
      `  event-loop delay p50 ${f.loopDelay.p50.toFixed(1)} ms  p99 ${f.loopDelay.p99.toFixed(1)} ms  max ${f.loopDelay.max.toFixed(0)} ms`,
  );
}

async function main(): Promise<void> {
  const limit = Number(
    (await import('node:child_process')).execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim(),
  );
  // Both ends hold one socket per stream; leave room for Redis, listeners and node itself.
  const most = Math.max(1000, (Number.isFinite(limit) ? limit : 20_000) - 500);
  const sizes = (process.argv[2] ?? '1000,10000,max')
    .split(',')
    .map((size) => (size === 'max' ? most : Math.min(most, Number(size))));
  const moves = Number(process.argv[3] ?? 3);
  const server = await startRedis();
  const redis = new Redis(server.url);
  try {
    console.log(
      `node ${process.version}, open-file limit ${limit}, ${moves} moves per size, loopback, ${STREAMS_PER_ADDRESS} streams per address\n`,
    );
    for (const size of sizes) {
      const base = await measure('baseline', server.url, size, moves, redis);
      print('baseline', size, base);
      const room = await measure('anteroom', server.url, size, moves, redis);
      print('anteroom', size, room);
      const sortedMoves = [...room.commandsPerMove].sort((a, b) => a - b);
      console.log(
        `${' '.repeat(9)}ratios to the baseline: RSS/stream ${(room.rssPerStream / base.rssPerStream).toFixed(2)}` +
          `  fan-out p99 ${(room.p99 / base.p99).toFixed(2)}` +
          `  Redis commands per move (median) ${percentile(sortedMoves, 50)} = ${(percentile(sortedMoves, 50) / room.opened).toFixed(3)} per stream` +
          `  (machine load average ${loadavg()[0]!.toFixed(1)})\n`,
      );
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if (role === 'baseline' && redisUrl) await serveBaseline();
else if (role === 'anteroom' && redisUrl) await serveAnteroom(redisUrl);
else await main();
