/**
 * How Anteroom connects to Redis, for every client it opens (the queue store and the OIDC
 * provider's adapter): one node or a Redis Cluster through a seed node, and one policy.
 *
 * - Fail fast: while disconnected a command fails at once (a 503 the client retries) instead of
 *   being parked for later, and a command whose answer was lost is never resent, so a
 *   non-idempotent script (an increment) can never run twice.
 * - Reconnect forever, backing off up to 2 s, so service resumes on its own when Redis is back.
 * - A primary demoted behind the same address (READONLY) is left for the new primary.
 * - A cluster's master connections are allowed to open before fail-fast applies to them.
 *
 * Errors surface as rejected commands: the caller adds an `error` listener (ioredis logs
 * otherwise) and turns failures into `StoreUnavailableError`.
 *
 * One node is served by the lean client of `resp-client.ts` (the queue store's path, loaded by
 * the public Lambda function on its first request); a cluster or Sentinel, and the OIDC
 * provider's adapter, by ioredis, which is loaded with `import()` only then: no module the
 * public function imports statically loads ioredis (test/infra/bundle.test.ts).
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { REDIS_DEFAULTS } from '../defaults.ts';
import { type CommandArg, RespClient, type Transaction } from './resp-client.ts';

export type { CommandArg } from './resp-client.ts';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port` (`rediss://` for TLS); for a cluster, any one node. */
  url: string;
  /** Connect to a Redis Cluster (ElastiCache cluster mode enabled) through this seed node. */
  cluster?: boolean | undefined;
  /**
   * Connect through Redis Sentinel (`host:port` each) to the current primary of the master
   * group `name`, instead of the URL's host; the URL still gives password, TLS and database.
   */
  sentinels?: readonly string[] | undefined;
  /** The Sentinel master group. Default `mymaster`. */
  name?: string | undefined;
  /** Give up a connection attempt after this long. Default 2000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Reject a command that got no answer after this long. Default 5000 ms. */
  commandTimeoutMs?: number | undefined;
  /** One node through ioredis too, not the lean client (tests run the store contract on both). */
  ioredis?: boolean | undefined;
}

/** A socket the queue store corks for one event-loop turn's writes. */
export interface CorkableStream {
  readonly writable: boolean;
  cork(): void;
  uncork(): void;
}

/**
 * What the queue store uses of a client: the lean one (`RespClient`) for one node, an ioredis
 * `Cluster` or Sentinel-backed `Redis` otherwise (`isCluster`, `nodes` tell them apart).
 */
export interface RedisClient {
  readonly isCluster: boolean;
  readonly stream?: CorkableStream | undefined;
  /** A cluster's node clients (ioredis only). */
  nodes?(role: 'master'): RedisClient[];
  on(event: 'error', listener: (error: Error) => void): unknown;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  call(command: string, ...args: CommandArg[]): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hsetnx(key: string, field: string, value: string | number): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ...options: (string | number)[]): Promise<'OK' | null>;
  del(...keys: string[]): Promise<number>;
  zcount(key: string, min: string | number, max: string | number): Promise<number>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  getrangeBuffer(key: string, start: number, end: number): Promise<Buffer>;
  ping(): Promise<string>;
  info(section: string): Promise<string>;
  multi(): Pick<Transaction, 'unlink' | 'incr' | 'exec'>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * The queue store's client under the policy above: the lean client for one node, at once; for
 * a cluster or Sentinel, ioredis once loaded (the promise). The store times a whole event-loop
 * turn's calls out together, so none of these times a command out itself.
 */
export function connectRedis(options: RedisConnectionOptions): RedisClient | Promise<RedisClient> {
  if (options.cluster || options.sentinels?.length || options.ioredis) {
    return connectIoredis(options) as unknown as Promise<RedisClient>;
  }
  return new RespClient({
    url: options.url,
    connectTimeoutMs: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    reconnectDelay,
  });
}

/**
 * An ioredis client under the policy above, for any topology (the OIDC provider's adapter, a
 * cluster, Sentinel). `commandTimeout`: ioredis times each command out itself (the OIDC
 * adapter); the queue store times a whole event-loop turn's calls out together instead,
 * cheaper on its hot path, and passes false.
 */
export async function connectIoredis(
  options: RedisConnectionOptions,
  { commandTimeout = false }: { commandTimeout?: boolean } = {},
): Promise<Redis | Cluster> {
  const { Cluster, Redis } = await import('ioredis');
  const commandTimeoutMs = options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs;
  const redis = connect({ Cluster, Redis }, options, commandTimeout ? commandTimeoutMs : undefined);
  failFastOnceConnected(
    redis,
    (options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs) + commandTimeoutMs,
  );
  return redis;
}

interface Ioredis {
  Cluster: typeof Cluster;
  Redis: typeof Redis;
}

/** Keep reconnecting forever, backing off up to 2 s, so service resumes on its own. */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

function connect(
  { Cluster, Redis }: Ioredis,
  options: RedisConnectionOptions,
  commandTimeoutMs: number | undefined,
): Redis | Cluster {
  const common: RedisOptions = {
    // Fail fast while disconnected: a waiting visitor gets a 503 and retries, never a
    // command parked for later. Unanswered commands are not resent after a reconnect
    // (for a cluster, see retryDelayOnFailover), so a non-idempotent script
    // (incrementServingCounter) can never run twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    ...(commandTimeoutMs === undefined ? {} : { commandTimeout: commandTimeoutMs }),
    // A primary demoted to a replica behind the same address (a failover without
    // auto-failover, a promoted replica behind a DNS name) answers READONLY on an open
    // connection for as long as it lives: reconnect to reach the new primary. 1 = do not
    // resend the refused command (the caller already got its 503).
    reconnectOnError: (error: Error) => (error.message.includes('READONLY') ? 1 : false),
    // No auto-pipelining: measured with bench/server.ts, it cost enqueue throughput (ratio
    // 0.41–0.47 with it, 0.52–0.60 without) and did not clearly help status reads.
  };
  if (options.sentinels?.length) return viaSentinel(Redis, options, common);
  if (!options.cluster) return new Redis(options.url, { ...common, retryStrategy: reconnectDelay });
  // Nodes found through the seed need the seed's credentials and TLS setting too.
  const seed = new URL(options.url);
  return new Cluster([options.url], {
    clusterRetryStrategy(this: Cluster, attempt: number): number {
      // What maxRetriesPerRequest: 0 does for one node: a cluster that cannot be reached
      // keeps the commands issued before its first connection in its own queue for ever
      // (the request would hang); reject them, so they answer 503 and never run later.
      (this as unknown as { flushQueue?: (error: Error) => void }).flushQueue?.(
        new Error('no Redis Cluster node is reachable'),
      );
      return reconnectDelay(attempt);
    },
    // A command whose node connection closed may already have run: never resend it (the
    // default resends after 100 ms, so an increment could run twice). MOVED, ASK,
    // TRYAGAIN and CLUSTERDOWN answers are still retried: those commands did not run.
    retryDelayOnFailover: 0,
    redisOptions: {
      ...common,
      username: seed.username ? decodeURIComponent(seed.username) : undefined,
      password: seed.password ? decodeURIComponent(seed.password) : undefined,
      tls: seed.protocol === 'rediss:' ? {} : undefined,
    },
  });
}

/**
 * Through Redis Sentinel: each (re)connection asks the sentinels for the current primary, and
 * the `+switch-master` announcement (failoverDetector) moves the connection at once after a
 * failover instead of when the old primary's socket dies. A demoted primary answers READONLY,
 * which reconnects too (`reconnectOnError`).
 */
function viaSentinel(
  Redis: typeof import('ioredis').Redis,
  options: RedisConnectionOptions,
  common: RedisOptions,
): Redis {
  const url = new URL(options.url);
  const tls = url.protocol === 'rediss:';
  return new Redis({
    ...common,
    sentinels: (options.sentinels ?? []).map((address) => {
      const separator = address.lastIndexOf(':');
      return {
        host: address.slice(0, separator).replace(/^\[|\]$/g, ''),
        port: Number(address.slice(separator + 1)),
      };
    }),
    name: options.name ?? REDIS_DEFAULTS.name,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number(url.pathname.slice(1) || 0),
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    failoverDetector: true,
    retryStrategy: reconnectDelay,
    sentinelRetryStrategy: reconnectDelay,
  });
}

/**
 * Commands issued before the first connection wait for it; afterwards none queue: while
 * disconnected a command fails at once (a 503) instead of being parked for later.
 *
 * A cluster needs more than its `ready`: ready means the slot map is known and one node
 * answered CLUSTER INFO; the other masters' connections open lazily on their first
 * command. With the cluster's offline queue off, ioredis (cluster/index.js, sendCommand)
 * refuses a command whose node connection is neither `ready` nor `wait` with "Connection
 * is closed." — before writing it, but with the same message as a command lost with its
 * connection, so the store cannot tell the two apart and retry only the safe one (a keyless
 * PING, which goes to a random node, hits this right after start). So after every cluster
 * `ready` the offline queue stays on until each master's connection has opened (or failed):
 * meanwhile a command is handed to its node, whose own offline queue holds it until that
 * connection is ready and then writes it once. Nothing is ever resent: a command queued on
 * a node whose connection fails is rejected unsent (maxRetriesPerRequest 0), and one lost
 * after it was written is not retried (retryDelayOnFailover 0). The wait is bounded by one
 * connection attempt (`settleMs`), so a command is never parked for longer than that.
 */
function failFastOnceConnected(redis: Redis | Cluster, settleMs: number): void {
  if (!redis.isCluster) {
    redis.once('ready', () => {
      redis.options.enableOfflineQueue = false;
    });
    return;
  }
  let generation = 0;
  redis.on('ready', () => {
    const current = ++generation;
    redis.options.enableOfflineQueue = true;
    void mastersSettled(redis as Cluster, settleMs).then(() => {
      if (current === generation) redis.options.enableOfflineQueue = false;
    });
  });
}

/** Resolves once every master connection is ready or closed, or after `settleMs`. */
async function mastersSettled(cluster: Cluster, settleMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, settleMs);
    timer.unref();
  });
  await Promise.race([Promise.all(cluster.nodes('master').map(connectionSettled)), bound]);
  clearTimeout(timer);
}

/** Open a master's lazy connection now and resolve when it is ready or has closed. */
function connectionSettled(node: Redis): Promise<void> {
  if (node.status === 'ready' || node.status === 'close' || node.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const settle = () => {
      node.off('ready', settle);
      node.off('close', settle);
      resolve();
    };
    node.on('ready', settle);
    node.on('close', settle);
    // Only a trigger: a failed attempt rejects the commands queued on that node itself.
    if (node.status === 'wait') node.connect().catch(() => {});
  });
}

/** The open sockets commands are written to: the server's, or every cluster master's. */
export function connectionStreams(redis: RedisClient): CorkableStream[] {
  const nodes = redis.isCluster && redis.nodes ? redis.nodes('master') : [redis];
  const streams: CorkableStream[] = [];
  for (const node of nodes) if (node.stream?.writable) streams.push(node.stream);
  return streams;
}
