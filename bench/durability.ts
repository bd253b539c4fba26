/**
 * What `store.durability` "replica" costs: enqueue throughput with and without it, in one run.
 *
 *   node bench/durability.ts [seconds per run, default 5] [connections, default 50] [rounds, default 5]
 *
 * Starts a private primary with one `--replicaof` replica (loopback), then two `anteroom serve`
 * processes on that primary, one with `durability: "none"` (the baseline) and one with
 * `"replica"` (every enqueue answered after the WAIT of its event-loop turn). autocannon drives
 * `POST /assign_queue_num` at each in turn, for several interleaved rounds, and prints each
 * run's req/s and p99 and the median ratio replica / none with its range. Only one server is
 * loaded at a time; both write to the same primary. Not a test: it asserts nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import autocannon from 'autocannon';
import { loadConfig } from '../provider/config/server-config.ts';
import { startServer } from '../provider/server/server.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { freePort, startReplicated } from '../test/support/redis.ts';
import { median } from './support/stats.ts';

const [role, redisUrl, portText, durability] = process.argv.slice(2);

/** Child role: `anteroom serve`'s apps on the primary with the given durability. */
async function serveAnteroom(url: string, port: number, mode: string): Promise<void> {
  const config = loadConfig({
    raw: {
      publicUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1', adminPort: await freePort(), adminHost: '127.0.0.1' },
      adminKeys: ['bench-admin-key-aXRDjj7KNmZ8pAjW22BHiu'],
      store: { type: 'redis', url, durability: mode },
      keys: { type: 'env' },
      limits: { enqueuePerClientPerMinute: 0 },
      events: [{ id: `bench-${mode}`, inlet: { type: 'manual' } }],
      log: { level: 'error' },
    },
    env: {},
    cwd: tmpdir(),
  });
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  await startServer(config, { keys, defaultMetrics: false });
  process.send?.('ready');
}

function startChild(url: string, port: number, mode: string): Promise<ChildProcess> {
  const child = fork(new URL(import.meta.url).pathname, ['anteroom', url, String(port), mode], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited with ${code}`)));
  });
}

async function load(title: string, url: string, seconds: number, connections: number): Promise<number> {
  const result = await autocannon({
    title,
    url,
    method: 'POST',
    body: JSON.stringify({ event_id: title }),
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });
  console.log(
    `${title.padEnd(16)} ${result.requests.average.toFixed(0).padStart(7)} req/s  p99 ${String(result.latency.p99).padStart(4)} ms` +
      `  ${result['2xx']} ok, ${result.non2xx + result.errors} failed`,
  );
  return result.requests.average;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 50);
  const rounds = Number(process.argv[4] ?? 5);
  const { primary, replica } = await startReplicated();
  const children: ChildProcess[] = [];
  try {
    const ports = { none: await freePort(), replica: await freePort() };
    children.push(await startChild(primary.url, ports.none, 'none'));
    children.push(await startChild(primary.url, ports.replica, 'replica'));
    const urlOf = (mode: 'none' | 'replica') => `http://127.0.0.1:${ports[mode]}/assign_queue_num`;
    console.log(
      `node ${process.version}, ${seconds} s per run, ${connections} connections, ${rounds} rounds, loopback, one replica\n`,
    );
    await load('bench-none', urlOf('none'), 1, connections);
    await load('bench-replica', urlOf('replica'), 1, connections);
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      console.log(`\nround ${round} of ${rounds}`);
      // none, replica, none: the replica run is compared with the mean of the runs around it.
      const before = await load('bench-none', urlOf('none'), seconds, connections);
      const durable = await load('bench-replica', urlOf('replica'), seconds, connections);
      const after = await load('bench-none', urlOf('none'), seconds, connections);
      ratios.push(durable / ((before + after) / 2));
    }
    console.log(
      `\nenqueue throughput, durability "replica" / "none": median ${median(ratios).toFixed(2)}` +
        ` (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, ${rounds} rounds)`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await replica.stop();
    await primary.stop();
  }
}

if (role === 'anteroom') await serveAnteroom(redisUrl!, Number(portText), durability!);
else await main();
