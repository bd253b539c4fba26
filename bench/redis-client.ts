/**
 * The queue store's Redis client against ioredis, in one process on one redis-server:
 *
 *   node bench/redis-client.ts [rounds, default 7] [calls per round, default 40000] [calls per turn, default 50]
 *
 * Each round runs, for each client in turn (order alternating), the calls the store makes most:
 * a script (EVALSHA of a small Lua script with two keys, as enqueue and status do) and an HMGET,
 * `calls per turn` at a time in one event-loop turn with the socket corked (as the store's turn
 * does), and reads the process's CPU time per call. Prints each round and the median ratio
 * lean / ioredis of CPU per call (below 1: the lean client costs the Node process less), and
 * the CPU a fresh process spends importing each client bundled as the Lambda functions bundle
 * code (esbuild, ESM, minified, one file each), beyond a bare `node`. Redis's own time is the
 * same for both (the same commands). Not a test: it asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { Redis } from 'ioredis';
import { RespClient } from '../queue-core/store/resp-client.ts';
import { startRedis } from '../test/support/redis.ts';
import { median } from './support/stats.ts';

const [roundsText = '7', callsText = '40000', perTurnText = '50'] = process.argv.slice(2);
const ROUNDS = Number(roundsText);
const CALLS = Number(callsText);
const PER_TURN = Number(perTurnText);
const LUA = "redis.call('HINCRBY', KEYS[1], 'n', 1) return redis.call('HGET', KEYS[2], ARGV[1])";

interface Client {
  stream?: { cork(): void; uncork(): void } | undefined;
  hmget(key: string, ...fields: string[]): Promise<unknown>;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}
type Scripted = Client & { benchScript(...args: string[]): Promise<unknown> };

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function run(client: Scripted): Promise<number> {
  const start = cpuMs();
  for (let done = 0; done < CALLS; done += PER_TURN) {
    const stream = client.stream;
    stream?.cork();
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < PER_TURN; i += 2) {
      replies.push(client.benchScript('{b}:c', '{b}:h', `f${i}`));
      replies.push(client.hmget('{b}:h', 'f1', 'f2', 'f3'));
    }
    stream?.uncork();
    await Promise.all(replies);
  }
  return ((cpuMs() - start) * 1000) / CALLS; // µs per call
}

/**
 * `source` bundled alone as the Lambda functions are built (ESM, minified, built-ins external,
 * `debug` a never-enabled stand-in as in infra/lib/bundle.ts).
 */
function bundled(dir: string, name: string, source: string): string {
  const outfile = join(dir, `${name}.mjs`);
  const debugStub = join(dir, 'debug-stub.cjs');
  writeFileSync(
    debugStub,
    [
      'function d(ns) {',
      '  return Object.assign(() => {}, { namespace: ns, enabled: false, log() {}, destroy: () => true, extend: (n) => d(ns + ":" + n) });',
      '}',
      'd.default = d; d.debug = d; d.enabled = () => false; d.enable = () => {}; d.disable = () => "";',
      'module.exports = d;',
    ].join('\n'),
  );
  buildSync({
    alias: { debug: debugStub },
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile,
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  return outfile;
}

/** CPU ms for a fresh process to import a file (median of 7), minus a bare process's. */
function importCpu(file: string): number {
  const code = `await import(${JSON.stringify(file)}); const u = process.cpuUsage(); console.log((u.user + u.system) / 1000);`;
  const times = (source: string) =>
    median(
      Array.from({ length: 7 }, () =>
        Number(
          spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' }).stdout,
        ),
      ),
    );
  const bare = times('const u = process.cpuUsage(); console.log((u.user + u.system) / 1000);');
  return times(code) - bare;
}

const server = await startRedis();
try {
  const lean = new RespClient({ url: server.url, connectTimeoutMs: 2000, reconnectDelay: () => 100 });
  const io = new Redis(server.url, { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
  const clients: [string, Scripted][] = [
    ['lean', lean as unknown as Scripted],
    ['ioredis', io as unknown as Scripted],
  ];
  for (const [, client] of clients) {
    client.defineCommand('benchScript', { numberOfKeys: 2, lua: LUA });
    await client.hmget('{b}:h', 'f1');
    await run(client); // warm-up: the JIT compiles both paths
  }
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 0 ? [...clients].reverse() : clients;
    const perCall: Record<string, number> = {};
    for (const [name, client] of order) perCall[name] = await run(client);
    const ratio = (perCall.lean as number) / (perCall.ioredis as number);
    ratios.push(ratio);
    console.log(
      `round ${round}: lean ${perCall.lean?.toFixed(2)} µs/call, ioredis ${perCall.ioredis?.toFixed(2)} µs/call, ratio ${ratio.toFixed(2)}`,
    );
  }
  console.log(
    `client CPU per call, lean / ioredis: median ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) over ${ROUNDS} rounds, ${PER_TURN} calls a turn`,
  );
  lean.disconnect();
  io.disconnect();
  const dir = mkdtempSync(join(tmpdir(), 'anteroom-bench-client-'));
  try {
    const clientModule = new URL('../queue-core/store/resp-client.ts', import.meta.url).pathname;
    const leanImport = importCpu(
      bundled(dir, 'lean', `export { RespClient } from ${JSON.stringify(clientModule)};`),
    );
    const ioImport = importCpu(bundled(dir, 'ioredis', "export { Redis } from 'ioredis';"));
    console.log(
      `import in a fresh process (bundled, minified), CPU beyond a bare node: lean ${leanImport.toFixed(1)} ms, ioredis ${ioImport.toFixed(1)} ms (ratio ${(leanImport / ioImport).toFixed(2)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await server.stop();
}
