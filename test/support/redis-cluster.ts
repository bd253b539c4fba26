/**
 * A real three-node Redis Cluster for tests (`redis-cli --cluster create`), on free ports,
 * shared by the tests of one file: `sharedCluster()` starts it on first use,
 * `stopSharedCluster()` (in `after`) stops it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { type RedisServer, redisSkipReason, startRedis } from './redis.ts';

export function clusterSkipReason(): string | false {
  const redis = redisSkipReason();
  if (redis) return redis;
  const cli = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  return cli.status === 0 ? false : 'redis-cli is not installed: Redis Cluster suite skipped';
}

export interface TestCluster {
  url: string;
  stop(): Promise<void>;
}

let cluster: Promise<TestCluster> | undefined;

async function clusterReady(port: number): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1' });
  try {
    const deadline = Date.now() + 20_000;
    while (!/cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO')))) {
      assert.ok(Date.now() < deadline, `cluster node ${port} never reached cluster_state:ok`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.disconnect();
  }
}

async function startCluster(): Promise<TestCluster> {
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    '5000',
  ];
  const nodes: RedisServer[] = await Promise.all([0, 1, 2].map(() => startRedis(args)));
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const created = spawnSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (created.status !== 0) {
    await stop();
    throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  }
  for (const node of nodes) await clusterReady(node.port);
  return { url: nodes[0]!.url, stop };
}

/** One cluster per test file, started on first use. */
export function sharedCluster(): Promise<TestCluster> {
  cluster ??= startCluster();
  return cluster;
}

export async function stopSharedCluster(): Promise<void> {
  if (cluster) await (await cluster).stop();
}
