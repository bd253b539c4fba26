/**
 * Three `anteroom serve` processes on one Redis form one waiting room: concurrent enqueues
 * through all of them yield unique, gap-free positions; the periodic inlet advances exactly
 * once per tick across the three; SIGTERM stops each cleanly with exit code 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { freePort, type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { serveConfigFile, untilServing } from '../support/serve-process.ts';

const skip = redisSkipReason();
const BIN = fileURLToPath(new URL('../../bin/anteroom.js', import.meta.url));
const ADMIN_KEY = 'cluster-admin-key-EXGLrvpdvTMCENYuHPkSh8';

interface Node {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  output: string[];
}

async function spawnNode(configPath: string, redisUrl: string): Promise<Node> {
  const port = await freePort();
  const adminPort = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--config', configPath, '--port', String(port), '--admin-port', String(adminPort)],
    {
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        ANTEROOM_ADMIN_KEY: ADMIN_KEY,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  // Generous: on a loaded machine three processes type-stripping the sources take a while.
  await untilServing(child, output, 120_000);
  return { child, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, output };
}

function stop(node: Node): Promise<number | null> {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null) return resolve(node.child.exitCode);
    node.child.once('exit', (code) => resolve(code));
    node.child.kill('SIGTERM');
  });
}

describe('three anteroom serve processes on one Redis', { skip, timeout: 240_000 }, () => {
  let redis: RedisServer;
  let nodes: Node[] = [];
  before(async () => {
    redis = await startRedis();
    const configPath = await serveConfigFile([
      { id: 'fair', inlet: { type: 'manual' } },
      {
        id: 'tick',
        inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 1 },
        queuePositionExpirySeconds: null,
      },
    ]);
    const started = await Promise.allSettled([0, 1, 2].map(() => spawnNode(configPath, redis.url)));
    nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason; // `after` stops the ones that started
  });
  after(async () => {
    await Promise.all(nodes.map(stop));
    await redis.stop();
  });

  it('hands out unique, gap-free positions to concurrent enqueues through all three', async () => {
    const perNode = 40;
    const answers = await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: perNode }, async () => {
          const res = await fetch(`${node.url}/assign_queue_num`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ event_id: 'fair' }),
          });
          assert.equal(res.status, 200);
          return ((await res.json()) as { queue_number: number }).queue_number;
        }),
      ),
    );
    const sorted = [...answers].sort((a, b) => a - b);
    assert.deepEqual(
      sorted,
      Array.from({ length: nodes.length * perNode }, (_, index) => index + 1),
    );
  });

  it('advances the periodic inlet exactly once per tick across the three', async () => {
    // The inlet admits only visitors actually queued: ten arrive, through all three.
    for (let visitor = 0; visitor < 10; visitor++) {
      const res = await fetch(`${nodes[visitor % 3]!.url}/assign_queue_num`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ event_id: 'tick' }),
      });
      assert.equal(res.status, 200);
    }
    // Wait (bounded) until at least four ticks have moved the counter somewhere in the cluster.
    let serving = 0;
    for (let attempt = 0; attempt < 100 && serving < 4; attempt++) {
      const res = await fetch(`${nodes[attempt % 3]!.url}/serving_num?event_id=tick`);
      serving = ((await res.json()) as { serving_counter: number }).serving_counter;
      if (serving < 4) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(serving >= 4, `the inlet ran (serving ${serving})`);
    const store = new RedisStore({ url: redis.url });
    try {
      const history = await store.servingHistory('tick', 1000);
      assert.ok(history.length >= 4);
      history.forEach((row, index) => {
        // Each tick moved the counter by exactly incrementBy (1): no process acted twice.
        assert.equal(row.serving, index + 1, `row ${index}: ${JSON.stringify(history)}`);
        if (index > 0)
          assert.ok(row.time > history[index - 1]!.time, `one change per tick: ${JSON.stringify(history)}`);
      });
    } finally {
      await store.close();
    }
  });

  it('stops each process cleanly on SIGTERM (exit code 0)', async () => {
    const codes = await Promise.all(nodes.map(stop));
    assert.deepEqual(codes, [0, 0, 0]);
    for (const node of nodes) assert.ok(node.output.some((line) => line.includes('"msg":"stopped"')));
  });
});
