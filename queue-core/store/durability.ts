/**
 * When a Redis write counts as acknowledged (API.md section 5, `store.durability`).
 *
 * Redis replication is asynchronous: a write the primary applied may be missing from the
 * replica promoted after a failover, which would then hand the same positions out again. With
 * `replica`, a write is acknowledged only once `WAIT 1 <timeout>` confirms that a replica holds
 * it; with `aof`, once `WAITAOF 1 0 <timeout>` confirms the primary's append-only file holds it
 * (Redis 7.2+). Both commands cover every earlier write of the connection they are sent on, so
 * one confirmation after a batch of writes covers the whole batch.
 */

/** A connection a confirmation is sent on (the lean client, or an ioredis node). */
interface DurableNode {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  info(section: string): Promise<string>;
}

/** The queue store's client or the OIDC adapter's ioredis one: one node, or a cluster's masters. */
export interface DurableClient extends DurableNode {
  readonly isCluster: boolean;
  ping(): Promise<unknown>;
  nodes?(role: 'master'): DurableNode[];
}

export const DURABILITIES = ['none', 'replica', 'aof'] as const;
export type Durability = (typeof DURABILITIES)[number];

/** Why a write was not confirmed: the request answers 503, and a retry is safe. */
export class WriteNotConfirmedError extends Error {
  constructor(durability: Durability, timeoutMs: number) {
    super(
      durability === 'aof'
        ? `the append-only file did not confirm the write within ${timeoutMs} ms`
        : `no replica confirmed the write within ${timeoutMs} ms`,
    );
    this.name = 'WriteNotConfirmedError';
  }
}

/**
 * Send the confirmation after the writes already sent on the same connections: to the one
 * server, or to every master of a cluster (the writes of a batch may have gone to any of them).
 * Resolves when every one confirmed; rejects with `WriteNotConfirmedError` otherwise.
 */
export async function confirmWrites(
  redis: DurableClient,
  durability: Exclude<Durability, 'none'>,
  timeoutMs: number,
): Promise<void> {
  const nodes = redis.isCluster && redis.nodes ? redis.nodes('master') : [redis];
  const confirmations = await Promise.all(nodes.map((node) => confirmOn(node, durability, timeoutMs)));
  if (confirmations.includes(false)) throw new WriteNotConfirmedError(durability, timeoutMs);
}

async function confirmOn(node: DurableNode, durability: Exclude<Durability, 'none'>, timeoutMs: number) {
  if (durability === 'replica') {
    return ((await node.call('WAIT', 1, timeoutMs)) as number) >= 1;
  }
  const [local] = (await node.call('WAITAOF', 1, 0, timeoutMs)) as [number, number];
  return local >= 1;
}

/**
 * Why the server cannot give the promised durability, or null when it can. `aof` needs
 * WAITAOF (Redis 7.2+) and `appendonly yes`: without them every write would answer 503, so
 * start-up refuses instead, naming the reason.
 */
export async function durabilityRefusal(
  redis: DurableClient,
  durability: Durability,
): Promise<string | null> {
  if (durability !== 'aof') return null;
  const nodes = await primaries(redis);
  for (const node of nodes) {
    const persistence = await node.info('persistence');
    if (!/^aof_enabled:1/m.test(persistence)) {
      return 'store.durability "aof" needs the append-only file on (appendonly yes); this server has it off';
    }
    const info = await node.info('server');
    const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? '0';
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (major < 7 || (major === 7 && minor < 2)) {
      return `store.durability "aof" needs Redis 7.2 or later (WAITAOF); this server is Redis ${version}`;
    }
  }
  return null;
}

/** With `replica`, a server with no replica connected confirms nothing: every write answers 503. */
export async function durabilityWarnings(redis: DurableClient, durability: Durability): Promise<string[]> {
  if (durability !== 'replica') return [];
  const nodes = await primaries(redis);
  const warnings: string[] = [];
  for (const node of nodes) {
    const info = await node.info('replication');
    const replicas = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    if (replicas < 1) {
      warnings.push(
        'store.durability is "replica" but the Redis primary has no replica connected: every write answers 503 until one is',
      );
    } else if (replicas < 2) {
      warnings.push(
        'store.durability is "replica" with one replica: after a failover nobody is left to confirm writes (keep two)',
      );
    }
  }
  return warnings;
}

/** The one server, or every master of a cluster (known once the cluster answered). */
async function primaries(redis: DurableClient): Promise<DurableNode[]> {
  if (!redis.isCluster || !redis.nodes) return [redis];
  await redis.ping();
  return redis.nodes('master');
}
