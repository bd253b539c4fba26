/**
 * Absent visitors (API.md section 6): `node bench/absent.ts [visitors]` (default 20000).
 *
 * 1. The simulation of test/support/absent-simulation.ts (1,000 visitors, half leave, a periodic
 *    inlet of 50 every 10 s, present visitors polling every 5 s) on the memory store and on
 *    Redis, with and without `abandonAfterSeconds`: present visitors admitted per tick while at
 *    least 50 of those who stayed wait, and how long until every one who stayed was admitted.
 * 2. What presence costs in Redis per visitor, on a fresh private redis-server: the bytes
 *    (`used_memory` after `visitors` joins of an event with the setting, less an event without
 *    it), and the commands a minute of polling costs (`INFO commandstats`: every visitor polls
 *    `/status` through the room every 5 s for 60 s, the same crowd with and without the setting).
 * Prints figures; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { parseEvents } from '../queue-core/event-settings.ts';
import { createRoom } from '../queue-core/room/room.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../queue-core/store/memory-store.ts';
import { RedisStore } from '../queue-core/store/redis-store.ts';
import { mean, SIMULATION, simulateAbsentVisitors } from '../test/support/absent-simulation.ts';
import { startRedis } from '../test/support/redis.ts';

const VISITORS = Number(process.argv[2] ?? 20_000);
const BATCH = 500;
const T0 = 1_900_000_000;

async function usedMemory(redis: Redis): Promise<number> {
  const match = /^used_memory:(\d+)/m.exec(await redis.info('memory'));
  return Number(match![1]);
}

/** Calls per command name since the server started (`INFO commandstats`). */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1]!, Number(match[2]));
  return calls;
}

function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, calls] of after) {
    const moved = calls - (before.get(name) ?? 0);
    if (moved > 0 && name !== 'info') out.set(name, moved);
  }
  return out;
}

const total = (calls: Map<string, number>) => [...calls.values()].reduce((sum, value) => sum + value, 0);

async function simulations(redisUrl: string): Promise<void> {
  console.log(
    `# simulation: ${SIMULATION.visitors} visitors, half leave, periodic ${SIMULATION.incrementBy} every ${SIMULATION.intervalSeconds} s, polls every ${SIMULATION.pollSeconds} s`,
  );
  console.log('store   abandonAfterSeconds  present admitted/tick (mean, ticks)  stayers all admitted after');
  for (const kind of ['memory', 'redis'] as const) {
    for (const abandon of [SIMULATION.abandonAfterSeconds, null]) {
      const store =
        kind === 'memory'
          ? new MemoryStore()
          : new RedisStore({ url: redisUrl, keyPrefix: `sim${randomUUID()}:` });
      try {
        const result = await simulateAbsentVisitors(store, abandon);
        const stayers = result.visitors.filter((visitor) => visitor.group === 'stayed');
        const last = Math.max(...stayers.map((visitor) => visitor.claimedAt ?? Number.POSITIVE_INFINITY));
        console.log(
          `${kind.padEnd(8)}${String(abandon).padEnd(21)}${mean(result.presentPerTick).toFixed(1).padStart(6)} (${result.presentPerTick.length} ticks: ${result.presentPerTick.join(' ')})  +${last - SIMULATION.startAfter} s`,
        );
      } finally {
        await store.close();
      }
    }
  }
}

async function cost(redisUrl: string): Promise<void> {
  const inspector = new Redis(redisUrl);
  const store = new RedisStore({ url: redisUrl });
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  const clock = { now: T0 };
  const room = createRoom({
    store,
    keys,
    events: parseEvents([
      { id: 'off', inlet: { type: 'manual' } },
      { id: 'on', inlet: { type: 'manual' }, abandonAfterSeconds: 60 },
    ]),
    issuer: 'https://queue.example.test',
    now: () => clock.now,
    nowMs: () => clock.now * 1000,
  });
  try {
    const ids: Record<string, string[]> = { off: [], on: [] };
    const bytes: Record<string, number> = {};
    for (const eventId of ['off', 'on']) {
      const event = await room.getEvent(eventId);
      const before = await usedMemory(inspector);
      for (let done = 0; done < VISITORS; done += BATCH) {
        const joined = await Promise.all(
          Array.from({ length: Math.min(BATCH, VISITORS - done) }, () =>
            room.join(event, { visitorKey: `vid:${randomUUID().replaceAll('-', '')}` }),
          ),
        );
        for (const outcome of joined)
          if (outcome.kind === 'joined') ids[eventId]!.push(outcome.place.requestId);
      }
      bytes[eventId] = ((await usedMemory(inspector)) - before) / VISITORS;
    }
    const sizes = await Promise.all(
      ['n', 'ns'].map(async (suffix) => Number(await inspector.memory('USAGE', `ar:{on}:${suffix}`))),
    );
    console.log(`\n# presence in Redis, ${VISITORS} waiting visitors`);
    console.log(
      `bytes per visitor: ${bytes.off!.toFixed(1)} without the setting, ${bytes.on!.toFixed(1)} with it: +${(bytes.on! - bytes.off!).toFixed(1)} (MEMORY USAGE of the two sorted sets: ${((sizes[0]! + sizes[1]!) / VISITORS).toFixed(1)} per visitor)`,
    );
    for (const eventId of ['off', 'on']) {
      const before = await commandCalls(inspector);
      let polls = 0;
      for (let second = 1; second <= 60; second++) {
        clock.now = T0 + 1000 + second;
        const due = ids[eventId]!.filter((_, index) => (index + second) % 5 === 0);
        for (let start = 0; start < due.length; start += BATCH) {
          await Promise.all(due.slice(start, start + BATCH).map((id) => room.status(eventId, id)));
          polls += Math.min(BATCH, due.length - start);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const moved = delta(before, await commandCalls(inspector));
      const detail = [...moved].map(([name, calls]) => `${name} ${calls}`).join(', ');
      console.log(
        `${eventId === 'on' ? 'with' : 'without'} the setting: ${polls} polls in 60 s → ${total(moved)} Redis commands (${detail}); ${(total(moved) / VISITORS).toFixed(2)} a visitor a minute`,
      );
    }
  } finally {
    room.close();
    await store.close();
    inspector.disconnect();
  }
}

/**
 * Rule 6: one pass over a line of `count` visitors who all left costs the same whatever `count`:
 * it looks at 1,000 positions at most. Times the longest single pass and sweep (Redis `SLOWLOG`,
 * microseconds of the script itself).
 */
async function bounded(redisUrl: string, count: number): Promise<void> {
  const inspector = new Redis(redisUrl);
  const store = new RedisStore({ url: redisUrl, keyPrefix: `bounded${count}:` });
  const eventId = 'gone';
  try {
    for (let done = 0; done < count; done += BATCH)
      await Promise.all(
        Array.from({ length: Math.min(BATCH, count - done) }, () =>
          store.enqueue(eventId, { now: T0, present: true }),
        ),
      );
    await inspector.config('SET', 'slowlog-log-slower-than', '0');
    await inspector.slowlog('RESET');
    const now = T0 + 600;
    const rule = { absentBefore: now - 60, work: 1000 };
    const advance = await store.advanceOnTick(eventId, now, 50, now, rule);
    await store.sweepPresence(eventId, rule);
    const entries = (await inspector.slowlog('GET', 20)) as Array<[number, number, number, string[]]>;
    const scripts = entries.filter((entry) => entry[3][0] === 'evalsha' || entry[3][0] === 'eval');
    const longest = Math.max(...scripts.map((entry) => entry[2]));
    console.log(
      `${String(count).padStart(8)} absent: one pass moved the counter ${advance?.moved} positions (admitted ${advance?.admitted}); longest script ${longest} µs`,
    );
    await inspector.config('SET', 'slowlog-log-slower-than', '10000');
  } finally {
    await store.close();
    inspector.disconnect();
  }
}

const server = await startRedis();
try {
  await simulations(server.url);
  await cost(server.url);
  console.log('\n# one inlet pass and one sweep over a line whose visitors all left (rule 6)');
  for (const count of [10_000, 100_000]) await bounded(server.url, count);
} finally {
  await server.stop();
}
