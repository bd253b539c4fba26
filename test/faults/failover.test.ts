/**
 * Redis faults under a steady enqueue load from two `anteroom serve` processes (API.md
 * section 5, DESIGN.md rule 7), on loopback with real redis-server processes:
 *
 * - lossy failover: the replica falls behind (it stops following for half a second), the primary
 *   is killed (SIGKILL), and the primary's address then serves the promoted replica's data
 *   (CONFIG SET port: what a replication group's primary endpoint does after a failover). With
 *   `durability: "replica"` no position is acknowledged twice; with `"none"` each process stays
 *   above its own acknowledged positions (the regression guard), and the positions handed out
 *   again across processes are counted and reported;
 * - a Redis without persistence restarted empty: no process hands out a position it gave (a
 *   new era: the lost request ids are unknown, never someone else's).
 *
 * Throughout: no request hangs, none answers 500, every 503 carries Retry-After. The figures
 * of each run are printed as test diagnostics (docs/reliability.md quotes them). The short pass
 * (`ANTEROOM_FAULT_SCALE=1`) runs with `npm test`; `npm run test:faults` runs the long one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisServer, redisSkipReason, startRedis, startReplicated } from '../support/redis.ts';
import {
  ADMIN_KEY,
  faultConfig,
  regressedLines,
  report,
  reportTokens,
  serve,
  sleep,
  stopAll,
  underLoad,
} from './support.ts';

const skip = redisSkipReason();

/**
 * Kill the primary while the replica is stopped, then serve the replica's data at its address,
 * and give it a new replica (as a replication group replaces the lost node): the replacement.
 */
async function lossyFailover(primary: RedisServer, replica: RedisServer): Promise<RedisServer> {
  const promoted = new Redis(replica.url, { maxRetriesPerRequest: 1 });
  try {
    // The replica stops following (a SIGSTOP would not do: the stream waits in its socket
    // buffer and is applied on SIGCONT); the primary goes on for half a second, acknowledging
    // (or, with "replica", refusing) what the replica will never have; then it dies.
    await promoted.call('REPLICAOF', 'NO', 'ONE');
    await sleep(500);
    await primary.kill();
    await promoted.call('CONFIG', 'SET', 'port', String(primary.port));
  } finally {
    promoted.disconnect();
  }
  const moved = new Redis(primary.url, { maxRetriesPerRequest: 1 });
  try {
    await moved.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
  } finally {
    moved.disconnect();
  }
  return startRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
}

describe('a lossy Redis failover under load', { skip, timeout: 600_000 }, () => {
  for (const durability of ['replica', 'none'] as const) {
    it(`durability "${durability}"`, async (t) => {
      const { primary, replica } = await startReplicated();
      const config = await faultConfig();
      const env = { REDIS_URL: primary.url, REDIS_DURABILITY: durability };
      const processes = await Promise.all([serve(config, env), serve(config, env)]);
      let replacement: RedisServer | undefined;
      try {
        const { records, admissions } = await underLoad(processes, async () => {
          replacement = await lossyFailover(primary, replica);
        });
        const label = `lossy failover, durability "${durability}"`;
        const dup = report(t, label, records);
        const tokens = await reportTokens(t, label, processes, admissions, primary.url);
        assert.equal(dup.within, 0, 'a process handed out a position it had acknowledged');
        const raised = regressedLines(processes);
        t.diagnostic(`store_regressed logged ${raised} times`);
        if (durability === 'replica') {
          assert.equal(dup.across, 0, 'a position acknowledged twice');
          assert.equal(tokens.admittedTwice, 0, 'a position admitted twice');
          assert.equal(tokens.sessionsLost, 0, 'an acknowledged session lost');
          // Every acknowledged position was on the replica: nothing to raise.
          assert.equal(raised, 0, 'store_regressed with every write confirmed');
        } else {
          // Half a second of acknowledged positions missing from the promoted replica.
          assert.ok(raised >= 1, 'store_regressed logged');
        }
      } finally {
        await stopAll(processes);
        await replacement?.stop();
        await replica.stop(); // now at the primary's port
        await primary.stop();
      }
    });
  }
});

describe('a Redis without persistence restarted empty under load', { skip, timeout: 600_000 }, () => {
  it('no process hands out a position it acknowledged', async (t) => {
    const redis = await startRedis();
    const config = await faultConfig();
    const processes = await Promise.all([
      serve(config, { REDIS_URL: redis.url }),
      serve(config, { REDIS_URL: redis.url }),
    ]);
    try {
      const { records, admissions } = await underLoad(processes, async () => {
        await redis.kill();
        await redis.restart();
      });
      const label = 'restarted empty, durability "none"';
      const dup = report(t, label, records);
      await reportTokens(t, label, processes, admissions, redis.url);
      assert.equal(dup.within, 0, 'a process handed out a position it had acknowledged');
      const logged = regressedLines(processes);
      assert.ok(logged >= 1, 'store_regressed logged');
      // Each raise is counted in the metric as it is logged.
      let counted = 0;
      for (const process of processes) {
        const scrape = await fetch(`${process.adminUrl}/metrics`, {
          headers: { Authorization: `Bearer ${ADMIN_KEY}` },
        });
        counted += Number(
          /^anteroom_store_regressions_total\{event="fault"\} (\d+)$/m.exec(await scrape.text())?.[1] ?? 0,
        );
      }
      assert.equal(counted, logged, 'anteroom_store_regressions_total counts every store_regressed');
    } finally {
      await stopAll(processes);
      await redis.stop();
    }
  });
});
