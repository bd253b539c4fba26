/**
 * Redis memory per queued visitor: starts a private redis-server, measures `INFO memory`
 * used_memory before and after 100,000 enqueues (with visitor keys, as the server does),
 * and prints bytes per queued visitor. Run: node bench/redis-memory.ts [count]
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../queue-core/store/redis-store.ts';
import { startRedis } from '../test/support/redis.ts';

const COUNT = Number(process.argv[2] ?? 100_000);
const BATCH = 500;
const EVENT = 'bench';

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

const server = await startRedis();
const store = new RedisStore({ url: server.url });
const inspector = new Redis(server.url);
try {
  // One warm-up visitor creates the event's keys, so the figure is the marginal cost.
  await store.enqueue(EVENT, { requestId: randomUUID(), visitorKey: randomUUID(), now: 1_700_000_000 });
  const before = await usedMemory(inspector);
  const started = process.hrtime.bigint();
  let now = 1_700_000_000;
  for (let done = 0; done < COUNT; done += BATCH) {
    now++; // a new entry second per batch, like a steady stream of arrivals
    await Promise.all(
      Array.from({ length: Math.min(BATCH, COUNT - done) }, () =>
        store.enqueue(EVENT, { requestId: randomUUID(), visitorKey: randomUUID(), now }),
      ),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = await usedMemory(inspector);
  const counters = await store.getCounters(EVENT);
  console.log(`queued visitors:        ${counters.queue - 1}`);
  console.log(`used_memory before:     ${before} bytes`);
  console.log(`used_memory after:      ${after} bytes`);
  console.log(`bytes per visitor:      ${((after - before) / COUNT).toFixed(1)}`);
  console.log(`enqueue throughput:     ${Math.round(COUNT / seconds)} /s (one client, ${BATCH} in flight)`);
} finally {
  inspector.disconnect();
  await store.close();
  await server.stop();
}
