/**
 * Redis time per join, and the joins per second one event can take: `node bench/redis-join.ts`.
 *
 *   node bench/redis-join.ts [--joins 100000] [--workers 1,2,3] [--seconds 5] [--in-flight 256]
 *
 * On a fresh private redis-server:
 * 1. Cost per call from `INFO commandstats` (`CONFIG RESETSTAT`, then `--joins` calls): the
 *    baseline is a bare `HINCRBY` of one event's counter; the floor of any script is that same
 *    `HINCRBY` inside a one-line Lua script (what running a script costs Redis by itself); the
 *    join is the store's enqueue as
 *    `anteroom serve` calls it (a new visitor key each time, and the per-client rate limit at
 *    60 a minute, each join from its own client address), and again without the rate limit.
 *    The ratio is µs per join / µs per HINCRBY.
 * 2. The ceiling for one event: `--workers` processes, each with its own connection, keep
 *    `--in-flight` calls outstanding for `--seconds`; printed are the calls per second and the
 *    share of one core the redis-server process used (INFO cpu), for the baseline HINCRBY and
 *    for joins. Redis runs one thread: when its share nears 100 %, that is the ceiling.
 *    On a machine with few cores the clients compete with Redis for CPU; then the ceiling is
 *    the rate divided by Redis's share (also printed), which `1e6 / µs per call` cross-checks.
 * Not a test: it asserts nothing.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisStore } from '../queue-core/store/redis-store.ts';
import type { EnqueueRateLimit } from '../queue-core/types.ts';
import { startRedis } from '../test/support/redis.ts';

const EVENT = 'bench';
type Kind = 'hincrby' | 'script' | 'join' | 'join-no-limit';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    joins: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '1,2,3' },
    seconds: { type: 'string', default: '5' },
    'in-flight': { type: 'string', default: '256' },
  },
});
const IN_FLIGHT = Number(flags['in-flight']);

/** One call of the kind under test, with fresh arguments (a new visitor, a new client). */
function caller(
  kind: Kind,
  url: string,
  worker: number,
): { call: (n: number) => Promise<unknown>; close: () => Promise<void> } {
  if (kind === 'hincrby' || kind === 'script') {
    const redis = new Redis(url);
    redis.defineCommand('bareHincrby', {
      numberOfKeys: 1,
      lua: "return redis.call('HINCRBY', KEYS[1], 'queue', 1)",
    });
    const key = `ar:{${EVENT}}:c`;
    const scripted = redis as Redis & { bareHincrby(key: string): Promise<number> };
    return {
      call: () => (kind === 'hincrby' ? redis.hincrby(key, 'queue', 1) : scripted.bareHincrby(key)),
      close: async () => void redis.disconnect(),
    };
  }
  const store = new RedisStore({ url });
  const limit = kind === 'join';
  return {
    call(n) {
      const nowMs = Date.now();
      const rateLimit: EnqueueRateLimit | undefined = limit
        ? { client: `10.${worker}.${(n >> 8) & 255}.${n & 255}`, perMinute: 60, nowMs }
        : undefined;
      return store.enqueue(EVENT, {
        visitorKey: `vid:${randomUUID().replaceAll('-', '')}`,
        now: Math.floor(nowMs / 1000),
        rateLimit,
      });
    },
    close: () => store.close(),
  };
}

/** Runs `calls` calls (or until `untilMs`), `IN_FLIGHT` at a time; returns how many completed. */
async function drive(
  call: (n: number) => Promise<unknown>,
  calls: number,
  untilMs = Infinity,
): Promise<number> {
  let issued = 0;
  let done = 0;
  const lane = async () => {
    while (issued < calls && Date.now() < untilMs) {
      await call(issued++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return done;
}

if (positionals[0] === 'worker') {
  // Worker role: [worker, kind, url, index, seconds]
  const [, kind, url, index, seconds] = positionals as [string, Kind, string, string, string];
  const { call, close } = caller(kind, url, Number(index));
  await call(0); // connected and scripts loaded before the clock starts
  process.send?.('ready');
  process.once('message', async () => {
    const done = await drive(call, Infinity, Date.now() + Number(seconds) * 1000);
    process.send?.({ done });
    await close();
    process.exit(0);
  });
} else {
  await main();
}

async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of (await redis.info('commandstats')).matchAll(
    /^cmdstat_(\w+):calls=(\d+),usec=(\d+)/gm,
  )) {
    stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1]);
  const sys = Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1]);
  return user + sys;
}

/**
 * µs per call of the command that carries the work (`evalsha` for scripts), from commandstats,
 * and redis-server's CPU time per call (INFO cpu: parsing, running, answering). Commandstats
 * times each command by the clock, so on a busy machine a command that Redis is descheduled in
 * counts the wait; CPU time does not, and is the steadier figure there.
 */
async function costPerCall(
  kind: Kind,
  url: string,
  inspector: Redis,
  calls: number,
): Promise<{ usec: number; cpu: number; perCall: number }> {
  const { call, close } = caller(kind, url, 0);
  await call(0);
  await inspector.config('RESETSTAT');
  const cpuBefore = await redisCpuSeconds(inspector);
  await drive(call, calls);
  const cpu = ((await redisCpuSeconds(inspector)) - cpuBefore) * 1e6;
  await close();
  const stats = await commandStats(inspector);
  const command = stats.get(kind === 'hincrby' ? 'hincrby' : 'evalsha');
  // The joins of one event-loop turn share one script call (redis-store.ts): the cost is per join.
  const joins = kind === 'join' || kind === 'join-no-limit';
  if (!command || (joins ? command.calls < 1 : command.calls < calls))
    throw new Error(`commandstats: expected ${calls} calls, got ${command?.calls}`);
  return { usec: command.usec / calls, cpu: cpu / calls, perCall: calls / command.calls };
}

/** Calls per second with `workers` processes, and redis-server's CPU share meanwhile. */
async function ceiling(kind: Kind, url: string, inspector: Redis, workers: number, seconds: number) {
  const children = Array.from({ length: workers }, (_, index) =>
    fork(new URL(import.meta.url).pathname, ['worker', kind, url, String(index), String(seconds)]),
  );
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  const cpuBefore = await redisCpuSeconds(inspector);
  const started = process.hrtime.bigint();
  const counts = Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) =>
          child.once('message', (message: { done: number }) => resolve(message.done)),
        ),
    ),
  );
  for (const child of children) child.send('go');
  const total = (await counts).reduce((sum, count) => sum + count, 0);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = (await redisCpuSeconds(inspector)) - cpuBefore;
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  return { perSecond: total / wall, redisShare: cpu / wall };
}

async function main(): Promise<void> {
  const joins = Number(flags.joins);
  const server = await startRedis();
  const inspector = new Redis(server.url);
  try {
    const base = await costPerCall('hincrby', server.url, inspector, joins);
    const floor = await costPerCall('script', server.url, inspector, joins);
    await inspector.flushall();
    const join = await costPerCall('join', server.url, inspector, joins);
    await inspector.flushall();
    const plain = await costPerCall('join-no-limit', server.url, inspector, joins);
    await inspector.flushall();
    const row = (call: string, cost: { usec: number; cpu: number; perCall: number }) => ({
      call,
      'joins per script call': cost.perCall.toFixed(1),
      'µs/call': cost.usec.toFixed(2),
      '× baseline': (cost.usec / base.usec).toFixed(2),
      'ceiling /s': Math.round(1e6 / cost.usec).toLocaleString('en'),
      'Redis CPU µs/call': cost.cpu.toFixed(2),
      'CPU × baseline': (cost.cpu / base.cpu).toFixed(2),
      'CPU ceiling /s': Math.round(1e6 / cost.cpu).toLocaleString('en'),
    });
    console.log(
      `Redis time per join (INFO commandstats and INFO cpu, ${joins.toLocaleString('en')} joins each, ${IN_FLIGHT} in flight; the joins of one event-loop turn share a script call)`,
    );
    console.table([
      row('HINCRBY (baseline)', base),
      row('HINCRBY in a Lua script (the floor of any script)', floor),
      row('join (visitor key, rate limit)', join),
      row('join (visitor key, no rate limit)', plain),
    ]);

    const rows: Record<string, string>[] = [];
    for (const workers of flags.workers.split(',').map(Number)) {
      for (const kind of ['hincrby', 'join'] as const) {
        const { perSecond, redisShare } = await ceiling(
          kind,
          server.url,
          inspector,
          workers,
          Number(flags.seconds),
        );
        await inspector.flushall();
        rows.push({
          call: kind === 'hincrby' ? 'HINCRBY (baseline)' : 'join (visitor key, rate limit)',
          workers: String(workers),
          'calls/s': Math.round(perSecond).toLocaleString('en'),
          'redis CPU': `${(redisShare * 100).toFixed(0)} %`,
          'calls/s at 100 % redis CPU': Math.round(perSecond / redisShare).toLocaleString('en'),
        });
      }
    }
    console.log(
      `\nOne event's ceiling: worker processes × ${IN_FLIGHT} calls in flight, ${flags.seconds} s each`,
    );
    console.table(rows);
  } finally {
    inspector.disconnect();
    await server.stop();
  }
}
