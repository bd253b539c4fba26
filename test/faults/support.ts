/**
 * What the fault tests share: `anteroom serve` processes on a Redis (real child processes, each
 * killed with its whole tree at the end), a steady enqueue load through them that records every
 * acknowledged position and how every other request was answered, and the scale of a pass
 * (`ANTEROOM_FAULT_SCALE`: 1, the short pass `npm test` and CI run; `npm run test:faults` runs 10).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { freePort } from '../support/redis.ts';
import { serveConfigFile, untilServing } from '../support/serve-process.ts';

const BIN = fileURLToPath(new URL('../../bin/anteroom.js', import.meta.url));
export const ADMIN_KEY = 'fault-admin-key-T4vQm9ZxLs2KcP8wRn6Hya';

/** How long the load runs, as a multiple of the short pass. */
export const SCALE = Math.max(1, Number(process.env.ANTEROOM_FAULT_SCALE ?? 1));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The admin listener (`Authorization: Bearer ADMIN_KEY`). */
  adminUrl: string;
  output: string[];
}

/** A configuration file with one manual event `fault`, and a keys file beside it. */
export function faultConfig(): Promise<string> {
  return serveConfigFile([{ id: 'fault', inlet: { type: 'manual' } }]);
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.pid) killTree(child.pid);
});

/** The process and every descendant (it runs in its own process group). */
function killTree(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * `anteroom serve` on fresh ports. A port another test took between `freePort` and the bind
 * (EADDRINUSE) is tried again on new ports; a process that does not start is stopped with its
 * tree, so no child outlives a failed start (and keeps the test file from ending).
 */
export async function serve(configPath: string, env: Record<string, string>): Promise<ServeProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const adminPort = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--config', configPath, '--port', String(port), '--admin-port', String(adminPort)],
      {
        env: { ...process.env, ANTEROOM_ADMIN_KEY: ADMIN_KEY, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: stopped with its whole tree
      },
    );
    started.add(child);
    const output: string[] = [];
    const served = {
      child,
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      output,
    };
    try {
      await untilServing(child, output, 60_000);
      return served;
    } catch (error) {
      await stopAll([served]);
      if (attempt < 3 && output.join('\n').includes('EADDRINUSE')) continue;
      throw error;
    }
  }
}

export async function stopAll(processes: ServeProcess[]): Promise<void> {
  await Promise.all(
    processes.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          if (child.pid) killTree(child.pid);
        }),
    ),
  );
  for (const { child } of processes) started.delete(child);
}

/** What the load saw through one process. */
export interface LoadRecord {
  /** Positions acknowledged (200) by this process, in the order it answered them. */
  positions: number[];
  /** The request id of each of those positions (same order). */
  requestIds: string[];
  /** Answers other than 200, by status (and `hung` for none within 10 s). */
  failures: Map<string, number>;
  /** Longest time (ms) a request took to be answered. */
  slowestMs: number;
  /** Every 503 carried Retry-After. */
  retryAfterMissing: number;
  /** When requests failed (ms since the load began): the first and last failure. */
  firstFailureMs: number | null;
  lastFailureMs: number | null;
}

/**
 * Enqueue steadily through `server` (`concurrency` requests in flight) until `stop()` resolves;
 * every acknowledged position is recorded.
 */
export function steadyLoad(
  server: ServeProcess,
  concurrency = 4,
): { record: LoadRecord; stop(): Promise<void> } {
  const record: LoadRecord = {
    positions: [],
    requestIds: [],
    failures: new Map(),
    slowestMs: 0,
    retryAfterMissing: 0,
    firstFailureMs: null,
    lastFailureMs: null,
  };
  const began = Date.now();
  let running = true;
  const fail = (kind: string) => {
    record.failures.set(kind, (record.failures.get(kind) ?? 0) + 1);
    const at = Date.now() - began;
    record.firstFailureMs ??= at;
    record.lastFailureMs = at;
  };
  const worker = async () => {
    while (running) {
      const start = Date.now();
      try {
        const answer = await fetch(`${server.url}/assign_queue_num`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"event_id":"fault"}',
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await answer.json()) as { queue_number?: number; api_request_id?: string };
        if (answer.status === 200 && typeof body.queue_number === 'number') {
          record.positions.push(body.queue_number);
          record.requestIds.push(String(body.api_request_id));
        } else {
          fail(String(answer.status));
          if (answer.status === 503 && !answer.headers.get('retry-after')) record.retryAfterMissing++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch (error) {
        fail((error as Error).name === 'TimeoutError' ? 'hung' : 'connection');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      record.slowestMs = Math.max(record.slowestMs, Date.now() - start);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    record,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/**
 * Positions acknowledged twice: `within` one process (the regression guard forbids it), and
 * `across` processes (only `store.durability` "replica" rules it out after a lossy failover).
 */
export function duplicates(records: LoadRecord[]): { within: number; across: number } {
  let within = 0;
  const owners = new Map<number, Set<number>>();
  records.forEach((record, index) => {
    const own = new Set<number>();
    for (const position of record.positions) {
      if (own.has(position)) within++;
      own.add(position);
      let set = owners.get(position);
      if (set === undefined) {
        set = new Set();
        owners.set(position, set);
      }
      set.add(index);
    }
  });
  let across = 0;
  for (const set of owners.values()) if (set.size > 1) across += set.size - 1;
  return { within, across };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An admission token issued during a run, as `generate_token` answered it. */
export interface IssuedToken {
  requestId: string;
  position: number;
  accessToken: string;
}

/** What the admissions saw: tokens issued, and the answers other than 200 and 202. */
export interface AdmissionRecord {
  tokens: IssuedToken[];
  failures: Map<string, number>;
  retryAfterMissing: number;
}

/**
 * Admit steadily while the load runs: the serving counter moves by `step` through the first
 * process's admin API every `everyMs`, and each process claims the token of every position it
 * acknowledged that the counter reached (`POST /generate_token`), so sessions are issued
 * throughout the fault. Failures are recorded as the load's are.
 */
export function steadyAdmissions(
  processes: ServeProcess[],
  loads: { record: LoadRecord }[],
  step = 5,
  everyMs = 100,
): { record: AdmissionRecord; stop(): Promise<void> } {
  const record: AdmissionRecord = { tokens: [], failures: new Map(), retryAfterMissing: 0 };
  let running = true;
  const fail = (answer: Response | null, error?: unknown) => {
    const kind =
      answer === null
        ? (error as Error).name === 'TimeoutError'
          ? 'hung'
          : 'connection'
        : String(answer.status);
    record.failures.set(kind, (record.failures.get(kind) ?? 0) + 1);
    if (answer?.status === 503 && !answer.headers.get('retry-after')) record.retryAfterMissing++;
  };
  let serving = 0;
  const mover = async () => {
    const admin = processes[0]!;
    while (running) {
      try {
        const answer = await fetch(`${admin.adminUrl}/increment_serving_counter`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
          body: JSON.stringify({ event_id: 'fault', increment_by: step }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await answer.json()) as { serving_num?: number };
        if (answer.status === 200 && typeof body.serving_num === 'number') serving = body.serving_num;
        else fail(answer);
      } catch (error) {
        fail(null, error);
      }
      await sleep(everyMs);
    }
  };
  const claimer = async (process: ServeProcess, load: { record: LoadRecord }) => {
    let next = 0; // the index of the next acknowledged position to claim
    while (running) {
      const position = load.record.positions[next];
      if (position === undefined || position > serving) {
        await sleep(20);
        continue;
      }
      const requestId = load.record.requestIds[next]!;
      try {
        const answer = await fetch(`${process.url}/generate_token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ event_id: 'fault', request_id: requestId }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await answer.json()) as { access_token?: string };
        if (answer.status === 200 && body.access_token) {
          record.tokens.push({ requestId, position, accessToken: body.access_token });
          next++;
        } else if (answer.status === 404 || answer.status === 410) {
          fail(answer); // a place lost with the store: counted, not retried
          next++;
        } else {
          fail(answer); // 202 (the counter went back) or 503: try again
          await sleep(20);
        }
      } catch (error) {
        fail(null, error);
        await sleep(20);
      }
    }
  };
  const workers = [mover(), ...processes.map((process, i) => claimer(process, loads[i]!))];
  return {
    record,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/**
 * What became of the tokens issued during a run: each verified against the JWKS the server
 * publishes now (signature, `aud`, `sub` and `queue_position` as issued); positions admitted
 * under two request ids; sessions missing from the store at the end (`redisUrl`: where the
 * promoted data is served).
 */
export async function checkTokens(
  server: ServeProcess,
  tokens: IssuedToken[],
  redisUrl: string | null,
): Promise<{ verified: number; notVerified: number; admittedTwice: number; sessionsLost: number | null }> {
  const jwks = createLocalJWKSet(
    (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet,
  );
  let verified = 0;
  for (const token of tokens) {
    try {
      const { payload } = await jwtVerify(token.accessToken, jwks, { audience: 'fault' });
      if (payload.sub === token.requestId && payload.queue_position === token.position) verified++;
    } catch {
      // counted below
    }
  }
  const owners = new Map<number, Set<string>>();
  for (const token of tokens) {
    const set = owners.get(token.position) ?? new Set();
    set.add(token.requestId);
    owners.set(token.position, set);
  }
  let admittedTwice = 0;
  for (const set of owners.values()) admittedTwice += set.size - 1;
  let sessionsLost: number | null = null;
  if (redisUrl !== null && tokens.length > 0) {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const ids = [...new Set(tokens.map((token) => token.requestId))];
      const sessions = await redis.hmget('ar:{fault}:s', ...ids);
      sessionsLost = sessions.filter((session) => session === null).length;
    } finally {
      redis.disconnect();
    }
  }
  return { verified, notVerified: tokens.length - verified, admittedTwice, sessionsLost };
}

/** The `store_regressed` lines the processes logged (the regression guard raised counters). */
export function regressedLines(processes: ServeProcess[]): number {
  return processes.flatMap((process) => process.output).filter((line) => line.includes('store_regressed'))
    .length;
}

/**
 * Run the load (enqueues, and admissions claiming tokens) through every process around `fault`;
 * the records once it stopped.
 */
export async function underLoad(
  processes: ServeProcess[],
  fault: () => Promise<void>,
): Promise<{ records: LoadRecord[]; admissions: AdmissionRecord }> {
  const loads = processes.map((process) => steadyLoad(process));
  const admissions = steadyAdmissions(processes, loads);
  await sleep(1000 * SCALE);
  await fault();
  // Long enough for the servers to reconnect (backoff up to 2 s) and take load again.
  await sleep(3000 + 1000 * SCALE);
  await Promise.all([...loads.map((load) => load.stop()), admissions.stop()]);
  return { records: loads.map((load) => load.record), admissions: admissions.record };
}

/**
 * The tokens issued during the run: each still verifies, whatever the setting; reported with
 * the positions admitted twice and the sessions the store no longer has.
 */
export async function reportTokens(
  t: TestContext,
  label: string,
  processes: ServeProcess[],
  admissions: AdmissionRecord,
  redisUrl: string,
) {
  const checked = await checkTokens(processes[0]!, admissions.tokens, redisUrl);
  t.diagnostic(
    `${label}: ${admissions.tokens.length} tokens issued, ${checked.verified} still verify; ` +
      `positions admitted twice ${checked.admittedTwice}; sessions lost ${checked.sessionsLost}; ` +
      `admission answers other than 200/202 ${JSON.stringify(Object.fromEntries(admissions.failures))}`,
  );
  assert.ok(admissions.tokens.length > 0, 'tokens were issued');
  assert.equal(checked.notVerified, 0, 'a token issued during the run no longer verifies');
  assert.equal(admissions.failures.get('hung') ?? 0, 0, 'an admission hung');
  assert.equal(admissions.failures.get('500') ?? 0, 0, 'an admission answered 500');
  assert.equal(admissions.retryAfterMissing, 0, 'a 503 without Retry-After');
  return checked;
}

export function report(t: TestContext, label: string, records: LoadRecord[]) {
  const dup = duplicates(records);
  const acknowledged = records.reduce((sum, record) => sum + record.positions.length, 0);
  const failures = new Map<string, number>();
  for (const record of records) {
    for (const [kind, count] of record.failures) failures.set(kind, (failures.get(kind) ?? 0) + count);
  }
  const firsts = records.map((record) => record.firstFailureMs).filter((at): at is number => at !== null);
  const lasts = records.map((record) => record.lastFailureMs).filter((at): at is number => at !== null);
  const window = firsts.length === 0 ? 0 : Math.max(...lasts) - Math.min(...firsts);
  t.diagnostic(
    `${label}: ${acknowledged} positions acknowledged, duplicated within a process ${dup.within}, across processes ${dup.across}; ` +
      `failed requests ${JSON.stringify(Object.fromEntries(failures))}; unavailability window ${window} ms; ` +
      `slowest answer ${Math.max(...records.map((record) => record.slowestMs))} ms`,
  );
  // Rule 7 whatever the setting: never a hang, never a 500, every 503 with Retry-After.
  assert.equal(failures.get('hung') ?? 0, 0, 'a request hung');
  assert.equal(failures.get('500') ?? 0, 0, 'a request answered 500');
  assert.equal(
    records.reduce((sum, record) => sum + record.retryAfterMissing, 0),
    0,
    'a 503 without Retry-After',
  );
  for (const record of records) assert.ok(record.positions.length > 0, 'the load went through');
  return dup;
}
