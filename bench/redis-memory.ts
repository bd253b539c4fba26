/**
 * Redis memory per visitor: `node bench/redis-memory.ts [visitors …]` (default 100000 1000000).
 *
 * For each size, on a fresh private redis-server, reads `INFO memory` `used_memory` around:
 *   - baseline: the least a store can keep to make joining idempotent, one field per visitor in
 *     one hash (`HSET <key> vid:<32 hex> <position>`);
 *   - waiting: that many joins through the Redis store, each with its own visitor key (the
 *     cookie id `anteroom serve` sets). The per-client rate limit is off: its budgets are not
 *     per visitor but per client address, and expire a second after each join (60 a minute);
 *   - admitted: the first min(n, 100000) of them served and given their tokens (a session each).
 * Prints bytes per visitor and the ratio to the baseline. Not a test: it asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../queue-core/store/redis-store.ts';
import type { QueueStore } from '../queue-core/types.ts';
import { startRedis } from '../test/support/redis.ts';

const SIZES = process.argv.slice(2).map(Number);
if (SIZES.length === 0) SIZES.push(100_000, 1_000_000);
const ADMITTED = 100_000;
const BATCH = 500;
const EVENT = 'bench';
const T0 = 1_700_000_000;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

function visitorKey(): string {
  return `vid:${randomUUID().replaceAll('-', '')}`;
}

/** Bytes per field of the baseline hash. */
async function baseline(inspector: Redis, count: number): Promise<number> {
  await inspector.hset('baseline', visitorKey(), 0);
  const before = await usedMemory(inspector);
  for (let done = 0; done < count; done += BATCH) {
    const pipeline = inspector.pipeline();
    for (let i = done; i < Math.min(count, done + BATCH); i++) pipeline.hset('baseline', visitorKey(), i + 1);
    await pipeline.exec();
  }
  const bytes = ((await usedMemory(inspector)) - before) / count;
  await inspector.del('baseline');
  return bytes;
}

/** Joins `count` visitors (a new entry second every BATCH joins); returns their request ids. */
async function join(store: QueueStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let done = 0; done < count; done += BATCH) {
    const now = T0 + done / BATCH;
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, count - done) }, () =>
        store.enqueue(EVENT, { visitorKey: visitorKey(), now }),
      ),
    );
    if (ids.length < ADMITTED) ids.push(...batch.map((entry) => entry.requestId));
  }
  return ids;
}

async function admit(store: QueueStore, ids: string[]): Promise<void> {
  await store.incrementServingCounter(EVENT, ids.length, T0 + 100_000);
  for (let done = 0; done < ids.length; done += BATCH) {
    await Promise.all(
      ids.slice(done, done + BATCH).map((requestId) =>
        store.issueToken(EVENT, {
          requestId,
          now: T0 + 100_000,
          validitySeconds: 3600,
          issuer: 'https://queue.example.com',
          expirySeconds: null,
        }),
      ),
    );
  }
}

const rows: Record<string, string>[] = [];
for (const count of SIZES) {
  const server = await startRedis();
  const store = new RedisStore({ url: server.url });
  const inspector = new Redis(server.url);
  try {
    const baselineBytes = await baseline(inspector, count);
    // One warm-up visitor creates the event's keys, so the figures are marginal costs.
    await join(store, 1);
    const before = await usedMemory(inspector);
    const started = process.hrtime.bigint();
    const ids = await join(store, count);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const waiting = await usedMemory(inspector);
    await admit(store, ids);
    const admitted = await usedMemory(inspector);
    const waitingBytes = (waiting - before) / count;
    const sessionBytes = (admitted - waiting) / ids.length;
    rows.push({
      visitors: count.toLocaleString('en'),
      'baseline B/visitor': baselineBytes.toFixed(1),
      'waiting B/visitor': waitingBytes.toFixed(1),
      '× baseline': (waitingBytes / baselineBytes).toFixed(2),
      'admitted: + B/session': sessionBytes.toFixed(1),
      'used_memory MB': (waiting / 1e6).toFixed(1),
      'joins/s (one client)': Math.round(count / seconds).toLocaleString('en'),
    });
  } finally {
    inspector.disconnect();
    await store.close();
    await server.stop();
  }
}
console.log('Redis memory per visitor (INFO memory used_memory; admitted: the first 100,000 served)');
console.table(rows);
