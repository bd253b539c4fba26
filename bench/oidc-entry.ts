/**
 * What the OpenID front door costs against the queue behind it, in one run on this machine
 * (loopback, one `anteroom serve` on a private redis-server, in a child process):
 *
 *   node bench/oidc-entry.ts [seconds per run, default 5] [concurrency, default 16]
 *                            [rounds, default 5] [entries for the memory figure, default 2000]
 *
 *   OIDC entries/s      a fresh browser (no cookie) from `GET /oidc/auth` to the waiting page:
 *                       every redirect followed, cookies carried, as a browser does
 *
 * Each round also prints the CPU time per completion of the server (the child) and of this
 * client: the machine's cores are shared by both (and Redis), so a cheaper server leaves the
 * client more room, and the client's own cost per request sets the ceiling of both rates.
 *   JSON enqueues/s     `POST /assign_queue_num` from a fresh visitor (no cookie)
 *
 * Both are driven by this same Node client (fetch) at the same concurrency, interleaved within
 * each round (alternating quarter-second slices, so a change of load on the shared machine falls
 * on both alike); the ratio OIDC ÷ JSON of each round, and its median, is the figure (the
 * issue's target: ≥ 0.5). Then N more waiting OIDC visitors and N JSON visitors, each measured with
 * Redis `INFO memory` (used_memory) and `DBSIZE` before and after: bytes and keys per waiting
 * visitor, the queue's own entry included (target for OIDC: ≤ 300 B). Last, the admitted path:
 * up to 500 waiting OIDC visitors are admitted at once (the admin API), and each browser goes
 * from its waiting page's reload to the relying party with the code: requests, Redis commands,
 * server CPU and Redis bytes per admitted visitor. Rate limits are off. Also runs against older
 * versions (it speaks HTTP only): the before figures. Not a test: it asserts nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { loadConfig } from '../provider/config/server-config.ts';
import { startServer } from '../provider/server/server.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { freePort, startRedis } from '../test/support/redis.ts';
import { answerCpuQueries, cpuOf } from './support/child-cpu.ts';
import { median } from './support/stats.ts';

const EVENT = 'sale';
const CLIENT = 'shop';
const REDIRECT = 'https://shop.example.test/callback';
const ADMIN_KEY = 'bench-admin-key-aXRDjj7KNmZ8pAjW22BHiu';

const [role, redisUrl, portText, adminPortText] = process.argv.slice(2);

/** Child role: `anteroom serve` on the Redis store, its limits off. */
async function serve(url: string, port: number, adminPort: number): Promise<void> {
  const config = loadConfig({
    raw: {
      publicUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1', adminPort, adminHost: '127.0.0.1' },
      adminKeys: [ADMIN_KEY],
      store: { type: 'redis', url },
      keys: { type: 'env' },
      limits: { enqueuePerClientPerMinute: 0, authorizePerClientPerMinute: 0 },
      events: [{ id: EVENT, inlet: { type: 'manual' } }],
      oidc: {
        cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'],
        clients: [
          {
            client_id: CLIENT,
            client_secret: 'shop-client-secret-0123456789abcdef',
            redirect_uris: [REDIRECT],
            event_id: EVENT,
          },
        ],
      },
      log: { level: 'warn' },
    },
    env: {},
    cwd: tmpdir(),
  });
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  await startServer(config, { keys, defaultMetrics: false });
  answerCpuQueries();
  process.send?.('ready');
}

function startChild(url: string, port: number, adminPort: number): Promise<ChildProcess> {
  const child = fork(new URL(import.meta.url).pathname, ['serve', url, String(port), String(adminPort)], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** An authorization request as ALB or mod_auth_openidc sends it (PKCE, state, nonce). */
function authorizeUrl(base: string, n: number): string {
  const url = new URL(`${base}/oidc/auth`);
  url.search = new URLSearchParams({
    client_id: CLIENT,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT,
    state: `state-${n}-0123456789abcdefghijklmnop`,
    nonce: `nonce-${n}-0123456789abcdefghijklmnop`,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

let counter = 0;

/** One fresh browser from `/oidc/auth` to the waiting page; the number of requests it took. */
/** A browser: cookies by name (every one sent everywhere: the bench's paths never clash). */
type Jar = Map<string, string>;

/**
 * Follow `start` the way a browser does until a page (200) or a redirect to the relying party:
 * the number of requests it took and where it ended.
 */
async function follow(start: URL, jar: Jar): Promise<{ requests: number; url: URL; html: string | null }> {
  let url = start;
  for (let hop = 1; hop <= 6; hop++) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const answer = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const line of answer.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = answer.headers.get('location');
    if (answer.status >= 300 && answer.status < 400 && location !== null) {
      await answer.arrayBuffer();
      url = new URL(location, url);
      if (url.href.startsWith(REDIRECT)) return { requests: hop, url, html: null };
      continue;
    }
    const html = await answer.text();
    if (answer.status !== 200)
      throw new Error(`HTTP ${answer.status} at ${url.pathname}: ${html.slice(0, 200)}`);
    return { requests: hop, url, html };
  }
  throw new Error('too many redirects');
}

/** One fresh browser from `/oidc/auth` to the waiting page. */
async function enter(base: string): Promise<{ requests: number; page: URL; jar: Jar }> {
  const jar: Jar = new Map();
  const landed = await follow(new URL(authorizeUrl(base, counter++)), jar);
  if (landed.html === null || !landed.html.includes('data-field="queue_number"')) {
    throw new Error(`not the waiting page: ${landed.url.href.slice(0, 200)}`);
  }
  return { requests: landed.requests, page: landed.url, jar };
}

/** One fresh browser from `/oidc/auth` to the waiting page; the number of requests it took. */
async function oidcEntry(base: string): Promise<number> {
  return (await enter(base)).requests;
}

async function jsonEnqueue(base: string): Promise<number> {
  const answer = await fetch(`${base}/assign_queue_num`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_id: EVENT }),
  });
  await answer.arrayBuffer();
  if (answer.status !== 200) throw new Error(`enqueue answered ${answer.status}`);
  return 1;
}

interface Driven {
  done: number;
  requests: number;
  /** Seconds. */
  elapsed: number;
  /** Server and client CPU time, µs. */
  cpu: number;
  client: number;
}

/** `concurrency` loops of `one` for `seconds`: what they completed, in how long, at what CPU. */
async function driveOnce(
  server: ChildProcess,
  seconds: number,
  concurrency: number,
  one: () => Promise<number>,
): Promise<Driven> {
  const cpuBefore = await cpuOf(server);
  const clientBefore = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const took = await one();
        requests += took;
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const cpu = (await cpuOf(server)) - cpuBefore;
  return { done, requests, elapsed, cpu, client: client.user + client.system };
}

/** Completions per second, requests per completion, server and client CPU per completion. */
function rates(driven: Driven) {
  const each = Math.max(1, driven.done);
  return {
    rate: driven.done / driven.elapsed,
    requestsEach: driven.requests / each,
    cpuEach: driven.cpu / each,
    clientEach: driven.client / each,
  };
}

/**
 * Each of `kinds` for `seconds` in all, in alternating slices of `slice` seconds: a change of
 * the machine's load (other processes on the shared cores) falls on every kind alike, so the
 * ratio of their rates is taken over the same moments.
 */
async function alternate(
  server: ChildProcess,
  seconds: number,
  concurrency: number,
  kinds: Array<() => Promise<number>>,
  slice = 0.25,
) {
  const totals: Driven[] = kinds.map(() => ({ done: 0, requests: 0, elapsed: 0, cpu: 0, client: 0 }));
  for (let spent = 0; spent < seconds; spent += slice) {
    for (const [index, one] of kinds.entries()) {
      const driven = await driveOnce(server, slice, concurrency, one);
      const total = totals[index] as Driven;
      for (const key of Object.keys(total) as Array<keyof Driven>) total[key] += driven[key];
    }
  }
  return totals.map(rates);
}

async function usage(inspector: Redis) {
  const [keys, info] = await Promise.all([inspector.dbsize(), inspector.info('memory')]);
  return { keys, bytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1]) };
}

async function commands(inspector: Redis): Promise<number> {
  return Number(/^total_commands_processed:(\d+)/m.exec(await inspector.info('stats'))?.[1]);
}

/**
 * The admitted path: `count` OIDC visitors wait, all are admitted (the admin API), then each
 * browser goes from its waiting page's reload to the relying party's redirect URI with the code.
 * Requests, Redis commands, server CPU and Redis bytes per admitted visitor.
 */
async function admittedPath(
  base: string,
  adminBase: string,
  inspector: Redis,
  server: ChildProcess,
  count: number,
  concurrency: number,
  traceTo?: string,
) {
  const waiting: Awaited<ReturnType<typeof enter>>[] = [];
  for (let i = 0; i < count; i++) waiting.push(await enter(base));
  const admitted = await fetch(`${adminBase}/increment_serving_counter`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_id: EVENT, increment_by: 1_000_000 }),
  });
  if (admitted.status !== 200) throw new Error(`increment_serving_counter answered ${admitted.status}`);
  if (traceTo !== undefined) {
    const trace = await traceAdmitted(waiting.pop() as (typeof waiting)[number], traceTo);
    console.log(`\none admitted path, command by command (${trace.length}):\n  ${trace.join('\n  ')}`);
  }
  const [commandsBefore, usageBefore, cpuBefore] = [
    await commands(inspector),
    await usage(inspector),
    await cpuOf(server),
  ];
  let requests = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < waiting.length) {
        const visitor = waiting[next++] as (typeof waiting)[number];
        const back = await follow(visitor.page, visitor.jar);
        if (back.html !== null || !back.url.searchParams.has('code')) {
          throw new Error(`not back with a code: ${back.url.href.slice(0, 200)}`);
        }
        requests += back.requests;
      }
    }),
  );
  const cpu = (await cpuOf(server)) - cpuBefore;
  const usageAfter = await usage(inspector);
  // Less the inspector's own commands (INFO ×2, DBSIZE).
  const redisCommands = (await commands(inspector)) - commandsBefore - 3;
  const measured = waiting.length;
  return {
    requests: requests / measured,
    commands: redisCommands / measured,
    cpu: cpu / measured,
    bytes: (usageAfter.bytes - usageBefore.bytes) / measured,
    keys: (usageAfter.keys - usageBefore.keys) / measured,
  };
}

/**
 * Every Redis command of one visitor's admitted path, as `MONITOR` sees it (the trace mode:
 * `ANTEROOM_BENCH_TRACE=1`), so the commands counted above can be read one by one.
 */
async function traceAdmitted(
  visitor: Awaited<ReturnType<typeof enter>>,
  redisUrl: string,
): Promise<string[]> {
  const monitor = await new Redis(redisUrl).monitor();
  const seen: string[] = [];
  const written = new Set<string>();
  monitor.on('monitor', (_time: string, args: string[]) => {
    seen.push(args.map((arg) => (arg.length > 60 ? `${arg.slice(0, 57)}…` : arg)).join(' '));
    const [command = '', key] = args;
    if (key?.startsWith('ar:oidc:') && /^(set|hset|sadd)$/i.test(command)) written.add(key);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const back = await follow(visitor.page, visitor.jar);
  if (!back.url.searchParams.has('code')) throw new Error('not back with a code');
  await new Promise((resolve) => setTimeout(resolve, 100));
  monitor.disconnect();
  // What each provider key written holds (MEMORY USAGE: key, value and Redis's own overhead).
  const inspector = new Redis(redisUrl);
  for (const key of written) {
    const bytes = await inspector.memory('USAGE', key);
    seen.push(`MEMORY USAGE ${key.replace(/:[A-Za-z0-9_-]{20,}.*$/, ':…')} → ${bytes} B`);
  }
  inspector.disconnect();
  return seen;
}

/** Bytes, keys and commands of Redis per visitor over `count` visitors taken by `one`. */
async function perVisitor(inspector: Redis, count: number, concurrency: number, one: () => Promise<number>) {
  const [before, commandsBefore] = [await usage(inspector), await commands(inspector)];
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await one();
    }),
  );
  const after = await usage(inspector);
  // Less the inspector's own commands (INFO ×2, DBSIZE).
  const redisCommands = (await commands(inspector)) - commandsBefore - 3;
  return {
    bytes: (after.bytes - before.bytes) / count,
    keys: (after.keys - before.keys) / count,
    commands: redisCommands / count,
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const concurrency = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 5);
  const entries = Number(process.argv[5] ?? 2000);
  const redis = await startRedis();
  const inspector = new Redis(redis.url);
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const adminPort = await freePort();
    child = await startChild(redis.url, port, adminPort);
    const base = `http://127.0.0.1:${port}`;
    console.log(`node ${process.version}, ${seconds} s per run, concurrency ${concurrency}, loopback\n`);
    const server = child;
    // Warm-up (JIT, connections, Redis's first allocations), not counted.
    await alternate(server, 2, concurrency, [() => jsonEnqueue(base), () => oidcEntry(base)]);

    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const [json, oidc] = (await alternate(server, seconds, concurrency, [
        () => jsonEnqueue(base),
        () => oidcEntry(base),
      ])) as [ReturnType<typeof rates>, ReturnType<typeof rates>];
      ratios.push(oidc.rate / json.rate);
      cpuRatios.push(json.cpuEach / oidc.cpuEach);
      const rate = (value: number) => value.toFixed(0).padStart(6);
      console.log(
        `round ${round}: JSON enqueues ${rate(json.rate)}/s (server CPU ${json.cpuEach.toFixed(0)} µs,` +
          ` client ${json.clientEach.toFixed(0)} µs each)   OIDC entries ${rate(oidc.rate)}/s` +
          ` (${oidc.requestsEach.toFixed(1)} requests, server CPU ${oidc.cpuEach.toFixed(0)} µs,` +
          ` client ${oidc.clientEach.toFixed(0)} µs each)   ratio ${(oidc.rate / json.rate).toFixed(2)}`,
      );
    }
    const oidcMemory = await perVisitor(inspector, entries, concurrency, () => oidcEntry(base));
    const jsonMemory = await perVisitor(inspector, entries, concurrency, () => jsonEnqueue(base));
    const admittedCount = Math.min(entries, 500);
    const admitted = await admittedPath(
      base,
      `http://127.0.0.1:${adminPort}`,
      inspector,
      server,
      admittedCount,
      concurrency,
      process.env['ANTEROOM_BENCH_TRACE'] ? redis.url : undefined,
    );
    console.log(
      `\nOIDC entries/s ÷ JSON enqueues/s: median ${median(ratios).toFixed(2)}` +
        ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) of ${rounds} rounds (target ≥ 0.5)`,
    );
    console.log(
      `server CPU per JSON enqueue ÷ per OIDC entry: median ${median(cpuRatios).toFixed(2)}` +
        ` (${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)}): the ratio where the server is the limit`,
    );
    console.log(
      `Redis per waiting OIDC visitor: ${oidcMemory.bytes.toFixed(0)} B, ${oidcMemory.keys.toFixed(2)} keys` +
        ` over ${entries} entries, queue included (target ≤ 300 B); ${oidcMemory.commands.toFixed(1)} Redis commands each`,
    );
    console.log(
      `Redis per waiting JSON visitor: ${jsonMemory.bytes.toFixed(0)} B, ${jsonMemory.keys.toFixed(2)} keys` +
        ` (the queue alone), ${jsonMemory.commands.toFixed(1)} Redis commands each; OIDC ÷ JSON ${(oidcMemory.bytes / jsonMemory.bytes).toFixed(2)}`,
    );
    console.log(
      `admitted path, per visitor over ${admittedCount} (waiting page reload → the relying party with the code):` +
        ` ${admitted.requests.toFixed(1)} requests, ${admitted.commands.toFixed(1)} Redis commands,` +
        ` server CPU ${admitted.cpu.toFixed(0)} µs, Redis +${admitted.bytes.toFixed(0)} B and +${admitted.keys.toFixed(2)} keys`,
    );
  } finally {
    child?.kill('SIGTERM');
    inspector.disconnect();
    await redis.stop();
  }
}

if (role === 'serve' && redisUrl && portText) await serve(redisUrl, Number(portText), Number(adminPortText));
else await main();
