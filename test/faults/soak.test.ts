/**
 * Soak: two `anteroom serve` processes on one real Redis, held at half the maximum enqueue rate
 * measured at the start of the same run, for one minute (`ANTEROOM_FAULT_SCALE=1`, `npm test`
 * and CI) or ten (`npm run test:faults`). No fault is injected: this is the baseline the fault
 * scenarios are read against, and the check that nothing grows with time.
 *
 * The load: arrivals at a fixed rate (open loop, alternating between the two servers, whatever
 * the answers take); waiting visitors (POLLERS loops) that join, poll `GET /status` every
 * 500 ms and claim their token (`POST /generate_token`) once eligible, then join again; for the
 * first quarter nobody is admitted (the queue grows), then the serving counter follows the
 * arrivals (admin `increment_serving_counter` every 250 ms by what arrived since), so the queue
 * stops growing and admissions move at the arrival rate.
 *
 * Reported (test diagnostics, quoted in docs/reliability.md), every twelfth of the run: each
 * server's resident memory, Redis `used_memory`, the queue's length, enqueues answered and their
 * p50/p99; at the end the run's p50/p99 (enqueue and poll) and how memory moved over the second
 * half. Asserted, as in every fault scenario: no request hung or answered 500, every 503 carried
 * Retry-After, no position acknowledged twice, the waiting visitors were admitted. Memory and
 * latency are reported, not asserted (no timing thresholds; memory on a shared machine moves
 * with the garbage collector and client buffers).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisSkipReason, startRedis } from '../support/redis.ts';
import { serveConfigFile } from '../support/serve-process.ts';
import {
  ADMIN_KEY,
  duplicates,
  type LoadRecord,
  SCALE,
  type ServeProcess,
  serve,
  sleep,
  stopAll,
} from './support.ts';

const skip = redisSkipReason();
const EVENT = 'soak';
const DURATION_MS = 60_000 * SCALE;
const GROWTH_MS = DURATION_MS / 4;
const SAMPLES = 12;
const POLLERS = 32;
/** Beyond this many enqueues in flight the generator counts an arrival as not sent (it fell behind). */
const MAX_IN_FLIGHT = 256;

/** Resident memory of a process, in MiB (Linux /proc). */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function p50p99(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`;
}

interface Failures {
  byKind: Map<string, number>;
  retryAfterMissing: number;
}

function recordFailure(failures: Failures, answer: Response | null, error?: unknown): void {
  const kind =
    answer === null
      ? (error as Error).name === 'TimeoutError'
        ? 'hung'
        : 'connection'
      : String(answer.status);
  failures.byKind.set(kind, (failures.byKind.get(kind) ?? 0) + 1);
  if (answer?.status === 503 && !answer.headers.get('retry-after')) failures.retryAfterMissing++;
}

async function enqueue(server: ServeProcess): Promise<Response> {
  return fetch(`${server.url}/assign_queue_num`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_id: EVENT }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Enqueues per second through both servers, closed loop with 16 in flight each, for `ms`. */
async function maximumRate(processes: ServeProcess[], ms: number): Promise<number> {
  let answered = 0;
  const until = Date.now() + ms;
  const worker = async (server: ServeProcess) => {
    while (Date.now() < until) {
      const answer = await enqueue(server);
      await answer.arrayBuffer();
      if (answer.status === 200) answered++;
    }
  };
  const began = Date.now();
  await Promise.all(processes.flatMap((server) => Array.from({ length: 16 }, () => worker(server))));
  return (answered * 1000) / (Date.now() - began);
}

describe('soak: half the maximum enqueue rate, held', { skip, timeout: DURATION_MS + 300_000 }, () => {
  it('memory and latency over the run, nothing handed out twice', async (t) => {
    const redis = await startRedis();
    const config = await serveConfigFile([{ id: EVENT, inlet: { type: 'manual' } }]);
    const processes = await Promise.all([
      serve(config, { REDIS_URL: redis.url }),
      serve(config, { REDIS_URL: redis.url }),
    ]);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      // Warm up (JIT, connections), then measure.
      await maximumRate(processes, 1000);
      const maximum = await maximumRate(processes, 3000);
      const rate = maximum / 2;
      t.diagnostic(
        `soak: maximum ${maximum.toFixed(0)} enqueues/s through both servers; holding ${rate.toFixed(0)}/s`,
      );

      const records: LoadRecord[] = processes.map(() => ({
        positions: [],
        requestIds: [],
        failures: new Map(),
        slowestMs: 0,
        retryAfterMissing: 0,
        firstFailureMs: null,
        lastFailureMs: null,
      }));
      const failures: Failures = { byKind: new Map(), retryAfterMissing: 0 };
      let highest = 0; // the highest position acknowledged
      let enqueueLatencies: number[] = []; // this sample window's
      const allEnqueueLatencies: number[] = [];
      const pollLatencies: number[] = [];
      let notSent = 0;
      let inFlight = 0;
      let launched = 0;
      let running = true;
      const began = Date.now();

      const arrive = async (index: number) => {
        const server = processes[index]!;
        const start = performance.now();
        try {
          const answer = await enqueue(server);
          const body = (await answer.json()) as { queue_number?: number; api_request_id?: string };
          const took = performance.now() - start;
          if (answer.status === 200 && typeof body.queue_number === 'number') {
            records[index]!.positions.push(body.queue_number);
            highest = Math.max(highest, body.queue_number);
            enqueueLatencies.push(took);
            allEnqueueLatencies.push(took);
          } else recordFailure(failures, answer);
          records[index]!.slowestMs = Math.max(records[index]!.slowestMs, took);
        } catch (error) {
          recordFailure(failures, null, error);
        } finally {
          inFlight--;
        }
      };
      const arrivals = (async () => {
        while (running) {
          const due = Math.floor(((Date.now() - began) * rate) / 1000);
          while (launched < due) {
            if (inFlight >= MAX_IN_FLIGHT) {
              notSent += due - launched;
              launched = due;
              break;
            }
            inFlight++;
            void arrive(launched % processes.length);
            launched++;
          }
          await sleep(10);
        }
        while (inFlight > 0) await sleep(10);
      })();

      let admitted = 0; // tokens the waiting visitors claimed
      const poller = async (index: number) => {
        const server = processes[index % processes.length]!;
        while (running) {
          try {
            const joined = await enqueue(server);
            const body = (await joined.json()) as { queue_number?: number; api_request_id?: string };
            if (joined.status !== 200 || typeof body.api_request_id !== 'string') {
              recordFailure(failures, joined);
              await sleep(500);
              continue;
            }
            highest = Math.max(highest, body.queue_number ?? 0);
            const requestId = body.api_request_id;
            while (running) {
              await sleep(500);
              const start = performance.now();
              const status = await fetch(
                `${server.url}/status?event_id=${EVENT}&request_id=${encodeURIComponent(requestId)}`,
                { signal: AbortSignal.timeout(10_000) },
              );
              const seen = (await status.json()) as { eligible?: boolean };
              pollLatencies.push(performance.now() - start);
              if (status.status !== 200) {
                recordFailure(failures, status);
                continue;
              }
              if (!seen.eligible) continue;
              const claimed = await fetch(`${server.url}/generate_token`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ event_id: EVENT, request_id: requestId }),
                signal: AbortSignal.timeout(10_000),
              });
              await claimed.arrayBuffer();
              if (claimed.status === 200) admitted++;
              else recordFailure(failures, claimed);
              break;
            }
          } catch (error) {
            recordFailure(failures, null, error);
            await sleep(500);
          }
        }
      };
      const pollers = Array.from({ length: POLLERS }, (_, i) => poller(i));

      // After the growth phase the serving counter follows the arrivals: the queue keeps the
      // length it had then.
      let serving = 0;
      let backlog: number | null = null;
      const mover = (async () => {
        while (running) {
          await sleep(250);
          if (Date.now() - began < GROWTH_MS) continue;
          backlog ??= highest - serving;
          const by = highest - backlog - serving;
          if (by < 1) continue;
          try {
            const answer = await fetch(`${processes[0]!.adminUrl}/increment_serving_counter`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
              body: JSON.stringify({ event_id: EVENT, increment_by: by }),
              signal: AbortSignal.timeout(10_000),
            });
            const body = (await answer.json()) as { serving_num?: number };
            if (answer.status === 200 && typeof body.serving_num === 'number') serving = body.serving_num;
            else recordFailure(failures, answer);
          } catch (error) {
            recordFailure(failures, null, error);
          }
        }
      })();

      interface Sample {
        at: number;
        rss: number[];
        redisBytes: number;
        waiting: number;
        enqueues: number;
        /** Positions handed out so far (the highest acknowledged). */
        positions: number;
      }
      const samples: Sample[] = [];
      for (let sample = 1; sample <= SAMPLES; sample++) {
        await sleep(began + (sample * DURATION_MS) / SAMPLES - Date.now());
        const info = await client.info('memory');
        const taken: Sample = {
          at: Date.now() - began,
          rss: processes.map((process) => rssMiB(process.child.pid)),
          redisBytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1]),
          waiting: highest - serving,
          enqueues: enqueueLatencies.length,
          positions: highest,
        };
        samples.push(taken);
        t.diagnostic(
          `soak ${(taken.at / 1000).toFixed(0)} s: server RSS ${taken.rss.map((mib) => `${mib.toFixed(0)} MiB`).join(' / ')}, ` +
            `Redis used_memory ${(taken.redisBytes / 2 ** 20).toFixed(2)} MiB, waiting ${taken.waiting}, ` +
            `${taken.enqueues} enqueues in ${(DURATION_MS / SAMPLES / 1000).toFixed(0)} s (${p50p99(enqueueLatencies)})`,
        );
        enqueueLatencies = [];
      }
      running = false;
      await Promise.all([arrivals, mover, ...pollers]);

      const acknowledged = records.reduce((sum, record) => sum + record.positions.length, 0);
      const half = samples[SAMPLES / 2 - 1]!;
      const last = samples[SAMPLES - 1]!;
      const secondHalfMinutes = (last.at - half.at) / 60_000;
      const sessions = await client.hlen(`ar:{${EVENT}}:s`);
      // Redis keeps each visitor's key (the cookie set on enqueue) for the event's life, so its
      // memory grows with the visitors who joined, by design; nothing should grow per request.
      const bytesPerPosition =
        (last.redisBytes - half.redisBytes) / Math.max(1, last.positions - half.positions);
      t.diagnostic(
        `soak: ${acknowledged} arrivals acknowledged in ${(DURATION_MS / 1000).toFixed(0)} s at ${rate.toFixed(0)}/s ` +
          `(${notSent} not sent: the generator fell behind), ${admitted} waiting visitors admitted (${sessions} sessions stored), ` +
          `serving counter ${serving}, waiting at the end ${last.waiting} (at the end of the growth phase ${backlog}); ` +
          `enqueue ${p50p99(allEnqueueLatencies)}; status poll ${p50p99(pollLatencies)}; ` +
          `answers other than 200/202 ${JSON.stringify(Object.fromEntries(failures.byKind))}`,
      );
      t.diagnostic(
        `soak, second half: server RSS ${half.rss.map((mib, i) => `${mib.toFixed(0)} → ${last.rss[i]!.toFixed(0)} MiB`).join(', ')}; ` +
          `Redis used_memory ${(half.redisBytes / 2 ** 20).toFixed(2)} → ${(last.redisBytes / 2 ** 20).toFixed(2)} MiB ` +
          `(${((last.redisBytes - half.redisBytes) / 1024 / secondHalfMinutes).toFixed(0)} KiB a minute, ` +
          `${bytesPerPosition.toFixed(0)} bytes per position handed out)`,
      );

      assert.equal(failures.byKind.get('hung') ?? 0, 0, 'a request hung');
      assert.equal(failures.byKind.get('500') ?? 0, 0, 'a request answered 500');
      assert.equal(failures.retryAfterMissing, 0, 'a 503 without Retry-After');
      const dup = duplicates(records);
      assert.equal(dup.within + dup.across, 0, 'a position acknowledged twice');
      for (const record of records) assert.ok(record.positions.length > 0, 'the load went through');
      assert.ok(admitted > 0, 'waiting visitors were admitted');
      assert.ok(serving > 0, 'the serving counter moved');
      // Generous: the visitor-key map costs about 25 bytes a visitor; a record kept per request
      // (poll, claim, increment) or a second copy per visitor would break this bound.
      assert.ok(
        bytesPerPosition < 200,
        `Redis grew ${bytesPerPosition.toFixed(0)} bytes per position handed out`,
      );
    } finally {
      client.disconnect();
      await stopAll(processes);
      await redis.stop();
    }
  });
});
