/**
 * Correctness under real concurrency: several OS processes, each with its own Redis
 * connections, hit one event at once. Positions stay unique and gap-free, and the
 * max-size limit holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { contractEra } from './store-contract.ts';

const skip = redisSkipReason();
const WORKER = fileURLToPath(new URL('./enqueue-worker.ts', import.meta.url));

/** Run the worker script in its own `node` process and parse its JSON line. */
function runWorker(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${args.join(' ')} exited with ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out.trim()) as Record<string, unknown>);
    });
  });
}

describe('redis store under concurrent processes', { skip }, () => {
  let server: RedisServer;
  let store: RedisStore;
  before(async () => {
    server = await startRedis();
    store = new RedisStore({ url: server.url, newEra: contractEra });
  });
  after(async () => {
    await store?.close();
    await server?.stop();
  });

  it('hands out exactly positions 1..3000 to 3000 visitors from three processes', async () => {
    const results = await Promise.all(
      ['a', 'b', 'c'].map((worker) => runWorker(['enqueue', server.url, 'crowd', worker, '1000'])),
    );
    const positions = results.flatMap((result) => result.positions as number[]);
    assert.equal(positions.length, 3000);
    const sorted = [...positions].sort((x, y) => x - y);
    assert.deepEqual(
      sorted,
      Array.from({ length: 3000 }, (_, i) => i + 1),
      'unique, gap-free',
    );
    assert.equal((await store.getCounters('crowd')).queue, 3000);
  });

  it('never lets active sessions exceed maxActive under concurrent issuance', async () => {
    const visitors = 300;
    const maxActive = 40;
    for (let n = 1; n <= visitors; n++) await store.enqueue('limited', { now: 1_700_000_000 });
    await store.incrementServingCounter('limited', visitors, 1_700_000_000);
    const results = await Promise.all(
      [1, 2, 3].map(() => runWorker(['issue', server.url, 'limited', String(visitors), String(maxActive)])),
    );
    const created = results.reduce((sum, result) => sum + (result.created as number), 0);
    assert.equal(created, maxActive);
    assert.equal(await store.activeCount('limited', 1_700_000_000), maxActive);
    assert.equal((await store.getCounters('limited')).tokens, maxActive);
  });
});
