/**
 * Server throughput against a bare baseline, in one run on this machine (loopback only).
 *
 *   node bench/server.ts [seconds per run, default 5] [connections, default 50] [rounds, default 5]
 *
 * Starts a private redis-server, then, each in its own child process:
 *   (a) baseline: a bare `node:http` server doing one Redis INCR per request;
 *   (b) `anteroom serve`'s apps on the Redis store (enqueue rate limit off).
 * autocannon drives, in turn: `POST /assign_queue_num`, `GET /status` (a waiting visitor) and
 * `GET /serving_num`, each between two baseline runs, and prints req/s and the ratio to the
 * mean of the surrounding baselines; it repeats that for several rounds and reports each
 * target's median ratio with its range (targets: enqueue ≥ 0.6, status ≥ 0.8). Other work on
 * a small shared machine moves single runs by ±20%; the median of interleaved rounds is what
 * to quote.
 *
 * On a small shared machine the load generator itself can be the limit (autocannon parses
 * every response in JavaScript, and our answers carry more headers than the baseline's), so
 * the bench also reports the server process's CPU time per request, read from the child with
 * `process.cpuUsage()`: the CPU-cost ratio is what bounds capacity when the server is the limit.
 * Not a test: it asserts nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { loadConfig } from '../provider/config/server-config.ts';
import { startServer } from '../provider/server/server.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { freePort, startRedis } from '../test/support/redis.ts';
import { answerCpuQueries, cpuOf } from './support/child-cpu.ts';
import { median } from './support/stats.ts';

const [role, redisUrl, portText] = process.argv.slice(2);

/** Child role (a): the baseline. */
async function serveBaseline(url: string, port: number): Promise<void> {
  const redis = new Redis(url);
  const server = createServer((_req, res) => {
    redis.incr('baseline:counter').then(
      (value) => {
        const body = JSON.stringify({ value });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      },
      () => {
        res.writeHead(503).end();
      },
    );
  });
  answerCpuQueries();
  server.listen(port, '127.0.0.1', () => process.send?.('ready'));
}

/** Child role (b): Anteroom's public and admin apps on the Redis store. */
async function serveAnteroom(url: string, port: number): Promise<void> {
  const config = loadConfig({
    raw: {
      publicUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1', adminPort: await freePort(), adminHost: '127.0.0.1' },
      adminKeys: ['bench-admin-key-aXRDjj7KNmZ8pAjW22BHiu'],
      store: { type: 'redis', url },
      keys: { type: 'env' },
      limits: { enqueuePerClientPerMinute: 0 },
      events: [{ id: 'bench', inlet: { type: 'manual' } }],
      log: { level: 'warn' },
    },
    env: {},
    cwd: tmpdir(),
  });
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  await startServer(config, { keys, defaultMetrics: false });
  answerCpuQueries();
  process.send?.('ready');
}

function startChild(kind: 'baseline' | 'anteroom', url: string, port: number): Promise<ChildProcess> {
  const child = fork(new URL(import.meta.url).pathname, [kind, url, String(port)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
}

interface Measured {
  rate: number;
  /** Server CPU µs per answered request. */
  cpuPerRequest: number;
}

async function load(
  title: string,
  server: ChildProcess,
  options: { url: string; method?: 'GET' | 'POST'; body?: string; seconds: number; connections: number },
): Promise<Measured> {
  const cpuBefore = await cpuOf(server);
  const result = await autocannon({
    title,
    url: options.url,
    method: options.method ?? 'GET',
    body: options.body,
    headers: options.body ? { 'content-type': 'application/json' } : {},
    connections: options.connections,
    duration: options.seconds,
  });
  const cpu = (await cpuOf(server)) - cpuBefore;
  const ok = result['2xx'];
  const failed = result.non2xx + result.errors;
  const cpuPerRequest = cpu / Math.max(1, ok + result.non2xx);
  console.log(
    `${title.padEnd(24)} ${result.requests.average.toFixed(0).padStart(7)} req/s  p99 ${String(result.latency.p99).padStart(4)} ms` +
      `  server CPU ${cpuPerRequest.toFixed(0).padStart(4)} µs/req  ${ok} ok, ${failed} failed`,
  );
  return { rate: result.requests.average, cpuPerRequest };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 50);
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  try {
    const basePort = await freePort();
    const appPort = await freePort();
    const baselineServer = await startChild('baseline', redis.url, basePort);
    const appServer = await startChild('anteroom', redis.url, appPort);
    children.push(baselineServer, appServer);
    const app = `http://127.0.0.1:${appPort}`;

    // A visitor who waits (the counter stays at 0): the common /status poll.
    const first = await fetch(`${app}/assign_queue_num`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_id: 'bench' }),
    });
    const { api_request_id: requestId } = (await first.json()) as { api_request_id: string };

    console.log(`node ${process.version}, ${seconds} s per run, ${connections} connections, loopback\n`);
    const baselineUrl = `http://127.0.0.1:${basePort}/`;
    await load('warm-up baseline', baselineServer, { url: baselineUrl, seconds: 1, connections });
    // Other work on the machine drifts during a run, so every target is measured between two
    // baseline runs and compared with their mean.
    const baselineRun = () =>
      load('baseline (http + INCR)', baselineServer, { url: baselineUrl, seconds, connections });
    const targets: [string, Parameters<typeof load>[2]][] = [
      [
        'POST /assign_queue_num',
        {
          url: `${app}/assign_queue_num`,
          method: 'POST',
          body: JSON.stringify({ event_id: 'bench' }),
          seconds,
          connections,
        },
      ],
      ['GET /status', { url: `${app}/status?event_id=bench&request_id=${requestId}`, seconds, connections }],
      ['GET /serving_num', { url: `${app}/serving_num?event_id=bench`, seconds, connections }],
    ];
    // Every path is warmed as the baseline's is: otherwise the first round measures the JIT
    // compiling whichever path comes first (it made round 1's enqueue cost 1.4–1.9× rounds 2–3).
    for (const [title, options] of targets) {
      await load(`warm-up ${title}`, appServer, { ...options, seconds: 1 });
    }
    const ratios = new Map<string, { rate: number[]; cpu: number[] }>(
      targets.map(([title]) => [title, { rate: [], cpu: [] }]),
    );
    const rounds = Number(process.argv[4] ?? 5);
    let before = await baselineRun();
    for (let round = 1; round <= rounds; round++) {
      console.log(`\nround ${round} of ${rounds}`);
      for (const [title, options] of targets) {
        const measured = await load(title, appServer, options);
        const afterwards = await baselineRun();
        const ratio = ratios.get(title) as { rate: number[]; cpu: number[] };
        ratio.rate.push(measured.rate / ((before.rate + afterwards.rate) / 2));
        ratio.cpu.push((before.cpuPerRequest + afterwards.cpuPerRequest) / 2 / measured.cpuPerRequest);
        before = afterwards;
      }
    }
    const summary = (values: number[]) =>
      `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
    console.log(
      `\nratios to the surrounding baselines, median (range) of ${rounds} rounds` +
        ` (targets: enqueue ≥ 0.6, status ≥ 0.8):`,
    );
    for (const [title, { rate, cpu }] of ratios) {
      console.log(`  ${title.padEnd(24)} throughput ${summary(rate)}   CPU-cost ratio ${summary(cpu)}`);
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await redis.stop();
  }
}

if (role === 'baseline' && redisUrl && portText) await serveBaseline(redisUrl, Number(portText));
else if (role === 'anteroom' && redisUrl && portText) await serveAnteroom(redisUrl, Number(portText));
else await main();
