/**
 * A waiting crowd on AWS Lambda, where API Gateway cannot hold a stream: what one waiting
 * visitor costs per minute in Redis commands and Lambda time.
 *
 *   node bench/lambda-poll.ts [visitors, default 300] [seconds, default 20]
 *
 * On Lambda the waiting page's EventSource gets one `status` snapshot per request
 * (`provider/lambda/sse-snapshot.ts`) with `retry: 5000`, and reconnects: every waiting
 * visitor makes one request every 5 s, 12 a minute, each answered like `GET /status` (one
 * Redis read for the visitor's entry; the event's snapshot is shared by the container for 1 s).
 * This bench runs the public Lambda handler in-process (one warm container, API Gateway HTTP API
 * events through `test/support/lambda-bridge.ts`) on a private redis-server, has N visitors
 * reconnect every 5 s, staggered, for the given time, and reports:
 *   - Redis commands per visitor and minute (INFO commandstats, INFO itself left out), and per
 *     request;
 *   - handler time per invocation (p50, mean, p99), billed as 1 ms steps, and the Lambda and API
 *     Gateway cost per waiting visitor and minute at the list prices of docs/deploy-aws.md
 *     (arm64 $0.0000133334 per GB-second at the stack's 1024 MB, $0.20 per million requests;
 *     HTTP API $1.00 per million);
 * against a baseline measured in the same run: the same requests answered by a bare handler
 * doing one Redis HGET (the floor of a per-visitor read on Lambda). Not a test: asserts nothing.
 */
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { createAppDeps } from '../provider/apps/deps.ts';
import { createPublicApp } from '../provider/apps/public-app.ts';
import { loadConfig } from '../provider/config/server-config.ts';
import { lambdaHandlerForApp } from '../provider/lambda/app-handler.ts';
import { SNAPSHOT_RETRY_MS } from '../provider/lambda/sse-snapshot.ts';
import type { ApiGatewayEvent, ApiGatewayResult } from '../provider/lambda/types.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { RedisStore } from '../queue-core/store/redis-store.ts';
import { lambdaBridge } from '../test/support/lambda-bridge.ts';
import { testLogger } from '../test/support/logs.ts';
import { startRedis } from '../test/support/redis.ts';

const EVENT = 'crowd';
const MEMORY_GB = 1024 / 1024;
const PRICE = { gbSecond: 0.0000133334, lambdaRequest: 0.2 / 1e6, httpApiRequest: 1 / 1e6 };

async function redisCommands(redis: Redis): Promise<number> {
  let calls = 0;
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match && match[1] !== 'info') calls += Number(match[2]);
  }
  return calls;
}

type Handler = (event: ApiGatewayEvent, context: never) => Promise<ApiGatewayResult>;

interface Run {
  requests: number;
  failed: number;
  commands: number;
  durations: number[];
}

/** N visitors, each reconnecting every SNAPSHOT_RETRY_MS, staggered, for `seconds`. */
async function crowd(handler: Handler, ids: string[], seconds: number, redis: Redis): Promise<Run> {
  const durations: number[] = [];
  const timed: Handler = async (event, context) => {
    const start = performance.now();
    const result = await handler(event, context);
    durations.push(performance.now() - start);
    return result;
  };
  const bridge = lambdaBridge(timed as never, { format: 'v2' });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
  let requests = 0;
  let failed = 0;
  const before = await redisCommands(redis);
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    ids.map(async (id, index) => {
      await new Promise((resolve) => setTimeout(resolve, (index / ids.length) * SNAPSHOT_RETRY_MS));
      while (performance.now() < until) {
        const started = performance.now();
        requests += 1;
        try {
          const answer = await fetch(`${base}/events/${EVENT}/stream?request_id=${id}`);
          await answer.text();
          if (answer.status !== 200) failed += 1;
        } catch {
          failed += 1; // the load generator's own connection gave up (a loaded machine)
        }
        const wait = SNAPSHOT_RETRY_MS - (performance.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }),
  );
  const commands = (await redisCommands(redis)) - before;
  bridge.closeAllConnections();
  await new Promise((resolve) => bridge.close(resolve));
  return { requests, failed, commands, durations };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function report(title: string, run: Run, visitors: number, seconds: number): number {
  const sorted = [...run.durations].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  const billedMs =
    sorted.reduce((sum, value) => sum + Math.max(1, Math.ceil(value)), 0) / Math.max(1, sorted.length);
  const minutes = seconds / 60;
  const perVisitorMinute = run.requests / visitors / minutes;
  const commandsPerVisitorMinute = run.commands / visitors / minutes;
  const dollars =
    perVisitorMinute *
    ((billedMs / 1000) * MEMORY_GB * PRICE.gbSecond + PRICE.lambdaRequest + PRICE.httpApiRequest);
  console.log(
    `${title.padEnd(22)} ${run.requests} requests (${run.failed} failed), ${perVisitorMinute.toFixed(1)} per visitor-minute` +
      `\n${' '.repeat(23)}Redis ${commandsPerVisitorMinute.toFixed(1)} commands per visitor-minute (${(run.commands / Math.max(1, run.requests)).toFixed(2)} per request)` +
      `\n${' '.repeat(23)}handler p50 ${quantile(sorted, 0.5).toFixed(2)} ms, mean ${mean.toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms, billed mean ${billedMs.toFixed(2)} ms` +
      `\n${' '.repeat(23)}Lambda + HTTP API $${(dollars * 1e6).toFixed(2)} per million visitor-minutes`,
  );
  return billedMs;
}

async function main(): Promise<void> {
  const visitors = Number(process.argv[2] ?? 300);
  const seconds = Number(process.argv[3] ?? 20);
  const server = await startRedis();
  const redis = new Redis(server.url);
  const store = new RedisStore({ url: server.url });
  try {
    const config = loadConfig({
      raw: {
        publicUrl: 'https://queue.example.test',
        adminKeys: ['bench-admin-key-aXRDjj7KNmZ8pAjW22BHiu'],
        store: { type: 'redis', url: server.url },
        keys: { type: 'env' },
        limits: { enqueuePerClientPerMinute: 0 },
        events: [{ id: EVENT, inlet: { type: 'manual' } }],
      },
      env: {},
      cwd: tmpdir(),
    });
    const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
    const deps = await createAppDeps(config, {
      store,
      keys,
      logger: testLogger({ level: 'warn' }),
      defaultMetrics: false,
    });
    const handler = lambdaHandlerForApp(createPublicApp(deps), deps, {
      kind: 'public',
    }) as unknown as Handler;
    const ids: string[] = [];
    for (let i = 0; i < visitors; i++) {
      const entry = await store.enqueue(EVENT, {
        now: Math.floor(Date.now() / 1000),
      });
      ids.push(entry.requestId);
    }
    // The floor: a handler that reads one hash field per request and answers the same shape.
    const bare: Handler = async (event) => {
      const id = new URLSearchParams((event as { rawQueryString?: string }).rawQueryString ?? '').get(
        'request_id',
      );
      const entry = await redis.hget('bare', id ?? '');
      return {
        statusCode: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `data: ${entry}\n\n`,
        isBase64Encoded: false,
      };
    };

    console.log(
      `node ${process.version}, ${visitors} waiting visitors, one request each per ${SNAPSHOT_RETRY_MS / 1000} s, ${seconds} s, one warm container\n`,
    );
    await crowd(handler, ids.slice(0, 50), 2, redis); // warm-up
    const baseline = report('baseline (one HGET)', await crowd(bare, ids, seconds, redis), visitors, seconds);
    const room = report('anteroom on Lambda', await crowd(handler, ids, seconds, redis), visitors, seconds);
    console.log(`\nratio of billed handler time to the baseline: ${(room / baseline).toFixed(2)}`);
    deps.room.close();
  } finally {
    redis.disconnect();
    await store.close();
    await server.stop();
  }
}

await main();
