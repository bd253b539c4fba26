/**
 * Starts a private `redis-server` on a free loopback port for one test file, so tests
 * never touch a Redis another program uses. Without `redis-server` on the PATH the
 * Redis suites are skipped with a clear reason, except under `CI=true`, where a
 * missing Redis is a failure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kill the server abruptly (fault tests); `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Freeze the server (SIGSTOP): connections stay open, nothing is answered; `resume()` thaws it. */
  pause(): void;
  resume(): void;
}

function redisBinary(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : null;
}

/** null when Redis tests can run; otherwise why they are skipped. Throws under CI. */
export function redisSkipReason(): string | false {
  if (redisBinary()) return false;
  const reason = 'redis-server is not installed (apt-get install redis-server): Redis suites skipped';
  if (process.env.CI === 'true') throw new Error(`${reason} — under CI=true this is a failure`);
  console.warn(`# SKIP ${reason}`);
  return reason;
}

/**
 * A port nothing listens on, for a server a test starts next. It is drawn below Linux's
 * ephemeral range (32768–60999 by default), not from it: a port the kernel hands out for
 * `listen(0)` is free now but can be taken by any outgoing connection of a test running in
 * parallel before our server binds it; below the range only another explicit bind can.
 * Ports 23000–29999; cluster nodes use 20000–22767 (see `freeClusterPort`).
 */
export async function freePort(): Promise<number> {
  return pickPort(23_000, 7_000, [0]);
}

/**
 * A port for a Redis Cluster node: the node also binds its bus port, port + 10000. Both are
 * checked, and both stay below the ephemeral range and apart from `freePort`'s ports.
 */
export async function freeClusterPort(): Promise<number> {
  return pickPort(20_000, 2_768, [0, 10_000]);
}

async function pickPort(from: number, count: number, offsets: number[]): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * count);
    let free = true;
    for (const offset of offsets) free &&= await canListen(port + offset);
    if (free) return port;
  }
  throw new Error(`no free port found in ${from}..${from + count - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitReady(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
    setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-500)}`)), 10_000).unref();
  });
}

/**
 * Servers still running when the test process exits (a test that failed or was cancelled
 * before its `finally`): killed then, so none outlives the run.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const binary = redisBinary();
  if (!binary) throw new Error('redis-server is not installed');
  const port = extraArgs.includes('--cluster-enabled') ? await freeClusterPort() : await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'anteroom-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--loglevel',
    'notice',
    ...extraArgs,
  ];
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    await waitReady(child);
  };
  const terminate = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      child.kill('SIGCONT');
      await terminate('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    restart: launch,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

/** A primary with one replica (`--replicaof`), once the replica is in sync. */
export async function startReplicated(
  extraArgs: string[] = [],
): Promise<{ primary: RedisServer; replica: RedisServer }> {
  const primary = await startRedis(['--repl-diskless-sync-delay', '0', ...extraArgs]);
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port), ...extraArgs]);
  await replicaInSync(primary);
  return { primary, replica };
}

/** Resolves once `primary` reports `count` replicas online (polls INFO replication). */
export async function replicaInSync(primary: RedisServer, count = 1): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(primary.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    for (let attempt = 0; attempt < 200; attempt++) {
      const info = await client.info('replication');
      const online = info.match(/^slave\d+:.*state=online/gm)?.length ?? 0;
      if (online >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the replica of ${primary.url} did not come in sync`);
  } finally {
    client.disconnect();
  }
}
