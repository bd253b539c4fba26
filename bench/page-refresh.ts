/**
 * What a waiting page without JavaScript costs the server as it reloads itself
 * (`pages.refreshSeconds`), against a visitor whose script polls `GET /status` every 5 s:
 * measured in one run on this machine, as ratios.
 *
 *   node bench/page-refresh.ts [seconds per run, default 3] [rounds, default 3]
 *
 * Starts a private redis-server and `anteroom serve`'s apps on it in a child process; one
 * visitor takes a place (a waiting visitor, the common case). autocannon then drives, in turn,
 * `GET /status` (what the script polls) and `GET /waiting-room/<event>` with the visitor's
 * cookie (what a page without JavaScript reloads), and the server's CPU time per request is
 * read from the child. The cost of one page reload over one status poll, times the poll pace
 * over the reload pace, is what a no-JavaScript visitor costs next to a scripted one.
 * Not a test: it asserts nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import autocannon from 'autocannon';
import { loadConfig } from '../provider/config/server-config.ts';
import { startServer } from '../provider/server/server.ts';
import { CONFIG_DEFAULTS } from '../queue-core/defaults.ts';
import { freePort, startRedis } from '../test/support/redis.ts';
import { answerCpuQueries, cpuOf } from './support/child-cpu.ts';

/** The page's script polls at this pace when it has no stream (assets/waiting-room.js, POLL_MS). */
const POLL_SECONDS = 5;

const [role, redisUrl, portText] = process.argv.slice(2);

async function serve(url: string, port: number): Promise<void> {
  const config = loadConfig({
    raw: {
      publicUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1', adminPort: await freePort(), adminHost: '127.0.0.1' },
      adminKeys: ['bench-admin-key-aXRDjj7KNmZ8pAjW22BHiu'],
      store: { type: 'redis', url },
      keys: { type: 'file', path: `${tmpdir()}/anteroom-bench-page-refresh-keys.json` },
      limits: { enqueuePerClientPerMinute: 0 },
      events: [{ id: 'bench', inlet: { type: 'manual' } }],
      log: { level: 'warn' },
    },
    env: {},
    cwd: tmpdir(),
  });
  await startServer(config, { defaultMetrics: false });
  answerCpuQueries();
  process.send?.('ready');
}

async function measure(
  child: ChildProcess,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<{ rps: number; cpuPerRequestUs: number }> {
  const before = await cpuOf(child);
  const result = await autocannon({ url, headers, connections: 20, duration: seconds });
  const after = await cpuOf(child);
  const requests = result.requests.total;
  return { rps: result.requests.average, cpuPerRequestUs: (after - before) / Math.max(1, requests) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const rounds = Number(process.argv[3] ?? 3);
  const redis = await startRedis();
  const port = await freePort();
  const child = fork(new URL(import.meta.url).pathname, ['serve', redis.url, String(port)], {
    stdio: 'inherit',
  });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    const join = await fetch(`${base}/waiting-room/bench/join`, {
      method: 'POST',
      headers: { Origin: base },
      redirect: 'manual',
    });
    const cookie = join.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const page = await fetch(`${base}/waiting-room/bench`, { headers: { Cookie: cookie } });
    const requestId = /data-request-id="([^"]+)"/.exec(await page.text())?.[1];
    if (!requestId) throw new Error('the visitor has no place');
    const statusUrl = `${base}/status?event_id=bench&request_id=${requestId}`;

    const ratios: number[] = [];
    const rates: { status: number[]; page: number[] } = { status: [], page: [] };
    for (let round = 0; round < rounds; round += 1) {
      const status = await measure(child, statusUrl, {}, seconds);
      const reload = await measure(child, `${base}/waiting-room/bench`, { Cookie: cookie }, seconds);
      rates.status.push(status.rps);
      rates.page.push(reload.rps);
      ratios.push(reload.cpuPerRequestUs / status.cpuPerRequestUs);
      console.log(
        `round ${round + 1}: GET /status ${status.rps.toFixed(0)} req/s (${status.cpuPerRequestUs.toFixed(0)} µs CPU each), ` +
          `GET /waiting-room page ${reload.rps.toFixed(0)} req/s (${reload.cpuPerRequestUs.toFixed(0)} µs CPU each)`,
      );
    }
    const cost = median(ratios);
    const refresh = CONFIG_DEFAULTS.pages.refreshSeconds;
    console.log(`one page reload costs ${cost.toFixed(2)}× one status poll (median CPU per request)`);
    for (const pace of [10, refresh, 30]) {
      console.log(
        `a visitor without JavaScript reloading every ${pace} s costs ${((cost * POLL_SECONDS) / pace).toFixed(2)}× ` +
          `a scripted visitor polling every ${POLL_SECONDS} s${pace === refresh ? ' (the default pace)' : ''}`,
      );
    }
    console.log(
      `page req/s over status req/s (median): ${(median(rates.page) / median(rates.status)).toFixed(2)}`,
    );
  } finally {
    child.kill();
    await redis.stop();
  }
}

if (role === 'serve') await serve(redisUrl as string, Number(portText));
else await main();
