/**
 * The pre-queue's draw: `node bench/draw.ts [visitors …]` (default 100000 1000000).
 *
 * For each size, on a fresh private redis-server:
 *   - baseline: ordinary joins (positions at once) in one event: time and Redis bytes per
 *     visitor (at most 100,000 measured, the time scaled to the size);
 *   - pre-queue: that many joins into a pre-queue in another event: time and bytes per visitor;
 *   - draw: `runDraw` with `draw: "shuffle"` (close; the participants' request ids derived from
 *     their arrival numbers, HMAC and sort in Node; the order written in slices of 10,000
 *     participants, 4 + 4 bytes each): its time, the Redis bytes after it, Node's heap growth,
 *     the longest single Redis call it made (SLOWLOG, µs), and the longest time the draw held
 *     Node's event loop (`monitorEventLoopDelay`: what every other request of that process waits). (A `fifo` draw is the close alone:
 *     one script, nothing written per participant.)
 * Prints the figures and ratios against the baseline of the same run. Not a test.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { DRAW_DEFAULTS } from '../queue-core/defaults.ts';
import { runDraw } from '../queue-core/draw/run-draw.ts';
import { RedisStore } from '../queue-core/store/redis-store.ts';
import type { EnqueueInput, EventSettings } from '../queue-core/types.ts';
import { startRedis } from '../test/support/redis.ts';

const SIZES = process.argv.slice(2).map(Number);
if (SIZES.length === 0) SIZES.push(100_000, 1_000_000);
const BATCH = 500;
const BASELINE_MAX = 100_000;
const T0 = 1_700_000_000;
const START = T0 + 3600;

/** The Redis server's CPU time (user + system, ms): what the draw costs Redis in all. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)![1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

async function usedMemory(redis: Redis): Promise<number> {
  const match = /^used_memory:(\d+)/m.exec(await redis.info('memory'));
  return Number(match![1]);
}

/** Node CPU time (user + system, ms) since `since`: steadier than wall time on a busy machine. */
function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function joins(store: RedisStore, eventId: string, count: number, prequeue: boolean): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < count; done += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = done; i < Math.min(count, done + BATCH); i++) {
      const input: EnqueueInput = {
        visitorKey: `vid:${randomUUID()}`,
        now: T0 + Math.floor((i * 600) / count),
      };
      if (prequeue) input.prequeue = { startAt: START, shuffle: true };
      batch.push(store.enqueue(eventId, input));
    }
    await Promise.all(batch);
  }
  return performance.now() - started;
}

for (const size of SIZES) {
  const server = await startRedis();
  const inspector = new Redis(server.url);
  const store = new RedisStore({ url: server.url, commandTimeoutMs: 60_000 });
  try {
    const empty = await usedMemory(inspector);
    // The baseline's cost per visitor, on at most BASELINE_MAX joins (a loaded machine takes long).
    const baselineSize = Math.min(size, BASELINE_MAX);
    const queueMs = ((await joins(store, 'plain', baselineSize, false)) * size) / baselineSize;
    const afterQueue = await usedMemory(inspector);
    const prequeueMs = await joins(store, 'sale', size, true);
    const afterPrequeue = await usedMemory(inspector);
    await inspector.config('SET', 'slowlog-log-slower-than', '0');
    await inspector.config('SET', 'slowlog-max-len', '100000');
    await inspector.slowlog('RESET');
    const event: EventSettings = {
      id: 'sale',
      mode: 'queue',
      inlet: { type: 'manual' },
      tokenValiditySeconds: 3600,
      queuePositionExpirySeconds: null,
      incrementServingOnExpiry: false,
      schedule: { prequeueAt: T0, startAt: START },
      draw: 'shuffle',
    };
    const heapBefore = process.memoryUsage().heapUsed;
    const cpuBefore = process.cpuUsage();
    const redisCpuBefore = await redisCpuMs(inspector);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const started = performance.now();
    const state = await runDraw(store, event, { owner: 'bench', seed: randomBytes(32), now: () => START });
    const drawMs = performance.now() - started;
    loop.disable();
    const drawCpuMs = cpuMs(cpuBefore);
    const drawRedisCpuMs = (await redisCpuMs(inspector)) - redisCpuBefore;
    const heapAfter = process.memoryUsage().heapUsed;
    const log = (
      (await inspector.slowlog('GET', 100_000)) as Array<[number, number, number, string[]]>
    ).filter((entry) => !/^slowlog$/i.test(entry[3][0] ?? ''));
    // The longest calls, named by command and argument count (a draw slice: EVALSHA with 9).
    const sorted = [...log].sort((a, b) => b[2] - a[2]);
    const longest = { us: sorted[0]?.[2] ?? 0, command: sorted[0]?.[3][0] ?? '' };
    const top = sorted
      .slice(0, 5)
      .map((entry) => `${(entry[2] / 1000).toFixed(2)} ms ${entry[3][0]}/${entry[3].length} args`);
    const slices = log.filter(
      (entry) => /^evalsha$|^eval$/i.test(entry[3][0] ?? '') && entry[3].length === 10,
    );
    const median = slices.map((entry) => entry[2]).sort((a, b) => a - b)[Math.floor(slices.length / 2)] ?? 0;
    const afterDraw = await usedMemory(inspector);
    const perQueued = (afterQueue - empty) / baselineSize;
    const perPrequeued = (afterPrequeue - afterQueue) / size;
    console.log(
      [
        `${size} visitors (${state.phase}, ${state.written} written, slices of ${DRAW_DEFAULTS.sliceSize}):`,
        `  baseline joins: ${(queueMs / 1000).toFixed(1)} s${baselineSize < size ? ` (${baselineSize} measured, scaled)` : ''}, ${perQueued.toFixed(0)} B/visitor`,
        `  pre-queue joins: ${(prequeueMs / 1000).toFixed(1)} s (×${(prequeueMs / queueMs).toFixed(2)}), ${perPrequeued.toFixed(0)} B/visitor (×${(perPrequeued / perQueued).toFixed(2)})`,
        `  draw: ${(drawMs / 1000).toFixed(1)} s (×${(drawMs / queueMs).toFixed(2)} of the baseline joins), Node CPU ${(drawCpuMs / 1000).toFixed(1)} s, Redis CPU ${(drawRedisCpuMs / 1000).toFixed(2)} s, Redis it adds ${((afterDraw - afterPrequeue) / size).toFixed(1)} B/visitor, Node heap +${((heapAfter - heapBefore) / 2 ** 20).toFixed(0)} MiB`,
        `  longest Redis call during the draw: ${(longest.us / 1000).toFixed(2)} ms (${longest.command}); median slice ${(median / 1000).toFixed(2)} ms over ${slices.length} slices`,
        `  longest five: ${top.join(', ')}`,
        `  Node's event loop during the draw: longest delay ${(loop.max / 1e6).toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms`,
      ].join('\n'),
    );
  } finally {
    await store.close();
    inspector.disconnect();
    await server.stop();
  }
}
