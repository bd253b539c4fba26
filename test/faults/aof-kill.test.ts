/**
 * `kill -9` of a Redis with an append-only file (`appendonly yes`, `appendfsync everysec`) under
 * load from two `anteroom serve` processes, again and again (2 kills in the short pass, 10 with
 * `npm run test:faults`): each time Redis is killed (SIGKILL) and restarted on the same port
 * from its append-only file. A killed process, unlike a lost machine, loses nothing Redis wrote
 * to the file before it answered: the write is in the kernel's page cache, fsynced or not.
 *
 * Asserted: no process hands out a position it acknowledged (the regression guard), no request
 * hangs or answers 500, every 503 carries Retry-After, every token issued still verifies.
 * Reported (test diagnostics, quoted in docs/reliability.md): positions and sessions lost
 * (`store_regressed` lines: each is a restart that came back below what a process had
 * acknowledged), positions handed out twice across processes, and the time from each kill
 * until both servers answer again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redisSkipReason, startRedis } from '../support/redis.ts';
import {
  faultConfig,
  regressedLines,
  report,
  reportTokens,
  SCALE,
  type ServeProcess,
  serve,
  sleep,
  stopAll,
  underLoad,
} from './support.ts';

const skip = redisSkipReason();
const KILLS = SCALE >= 10 ? 10 : 2;

/** Milliseconds until an enqueue through every process answers 200 again. */
async function untilServing(processes: ServeProcess[], since: number): Promise<number> {
  for (const process of processes) {
    for (;;) {
      const answer = await fetch(`${process.url}/assign_queue_num`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"event_id":"fault"}',
        signal: AbortSignal.timeout(10_000),
      }).catch(() => null);
      if (answer?.status === 200) break;
      await sleep(20);
    }
  }
  return Date.now() - since;
}

describe('kill -9 of a Redis with an append-only file, under load', { skip, timeout: 900_000 }, () => {
  it(`${KILLS} kills: no process hands out a position it acknowledged`, async (t) => {
    const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
    const config = await faultConfig();
    const env = { REDIS_URL: redis.url, REDIS_DURABILITY: 'none' };
    const processes = await Promise.all([serve(config, env), serve(config, env)]);
    const windows: number[] = [];
    try {
      const { records, admissions } = await underLoad(processes, async () => {
        for (let kill = 0; kill < KILLS; kill++) {
          const at = Date.now();
          await redis.kill();
          await redis.restart(); // same port, same directory: it loads the append-only file
          windows.push(await untilServing(processes, at));
          await sleep(1000);
        }
      });
      const label = `kill -9 with appendfsync everysec, ${KILLS} times`;
      const dup = report(t, label, records);
      await reportTokens(t, label, processes, admissions, redis.url);
      const sorted = [...windows].sort((a, b) => a - b);
      t.diagnostic(
        `${label}: store_regressed logged ${regressedLines(processes)} times; from each kill until both ` +
          `servers answer: median ${sorted[Math.floor(sorted.length / 2)]} ms, longest ${sorted.at(-1)} ms`,
      );
      assert.equal(dup.within, 0, 'a process handed out a position it had acknowledged');
    } finally {
      await stopAll(processes);
      await redis.stop();
    }
  });
});
