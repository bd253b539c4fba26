/**
 * One proving-ground run on a controlled clock: Anteroom (its real apps on loopback, the
 * memory store unless one is given) in front of the proving ground's origin, a crowd joining
 * faster than the origin can take, and the inlet under test. Each simulated second: the
 * crowd joins, the origin's monitoring pushes its health (push signal), Anteroom's inlet
 * loop runs once, visitors whose turn came take their tokens and start sessions, and the
 * monitoring records the second. Nothing waits on the wall clock: the run's figures are the
 * same on a fast or a loaded machine.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { MemoryStore } from '../../../queue-core/store/memory-store.ts';
import type { QueueStore } from '../../../queue-core/types.ts';
import { ADMIN_KEY, buildTestApp, PUBLIC_URL } from '../../provider/support.ts';
import { Crowd } from './crowd.ts';
import { ORIGIN_QUERIES, Origin } from './origin.ts';
import { seededRandom } from './origin-model.ts';

export const EVENT_ID = 'sale';
/** The key the origin's monitoring pushes with: limited to `POST /origin_health`. */
export const PUSH_KEY = 'push-only-Qm7vT2xWk9LpR4sZb8NcYd';

export interface ProvingGroundOptions {
  /** The inlet under test, as configured; an adaptive inlet's `signal` is filled in here. */
  inlet: Record<string, unknown>;
  /** How an adaptive inlet reads the origin (default prometheus). */
  signal?: 'prometheus' | 'push';
  /** Sessions at which the origin's p95 reaches the latency target. */
  capacity: number;
  /** Capacity changes, in seconds from the start. */
  capacitySchedule?: readonly { at: number; capacity: number }[];
  baseLatencyMs: number;
  /** The origin's p95 at `capacity` sessions: the run's latency target. */
  latencyTargetMs: number;
  /** Mean session length on the origin (each within ± 50 %). */
  sessionSeconds: number;
  arrivalsPerMinute: number;
  durationSeconds: number;
  /** Monitoring faults, in seconds from the start (prometheus signal only). */
  signalFaults?: readonly { from: number; to: number; kind: 'down' | 'flap' }[];
  /** Seconds between two pushes of the origin's health (push signal). Default 5. */
  pushEverySeconds?: number;
  seed?: number;
  store?: QueueStore;
}

/** One simulated second. */
export interface ProvingGroundRow {
  /** Seconds from the start. */
  t: number;
  capacity: number;
  /** Admissions a minute that keep the origin exactly at its target: 60 × capacity / session. */
  capacityPerMinute: number;
  /** The inlet's rate (admissions a minute): the controller's, or the periodic inlet's. */
  ratePerMinute: number;
  /** Positions the serving counter moved this second. */
  admitted: number;
  /** Sessions on the origin. */
  active: number;
  /** The origin's p95 latency this second, ms, and its error rate. */
  latencyMs: number;
  errorRate: number;
  /** The controller's reason (adaptive). */
  reason: string | null;
}

export interface ProvingGroundResult {
  rows: ProvingGroundRow[];
  /** Tokens taken, sessions started. */
  admitted: number;
  sessions: number;
  /** Requests of the crowd that failed (should be 0). */
  failures: number;
  latencyTargetMs: number;
  intervalSeconds: number;
}

export async function runProvingGround(options: ProvingGroundOptions): Promise<ProvingGroundResult> {
  const random = seededRandom(options.seed ?? 11);
  const store = options.store ?? new MemoryStore();
  // The origin's monitoring window is one controller interval, as an operator would query it.
  const intervalSeconds = (options.inlet['intervalSeconds'] as number | undefined) ?? 10;
  let now = 0;
  const origin = new Origin({
    capacity: options.capacity,
    baseLatencyMs: options.baseLatencyMs,
    latencyAtCapacityMs: options.latencyTargetMs,
    windowSeconds: intervalSeconds,
    seed: (options.seed ?? 11) + 1,
    now: () => now,
    issuer: PUBLIC_URL,
    eventId: EVENT_ID,
  });
  const servers: Server[] = [];
  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const originUrl = await origin.listen();
  const inlet = withSignal(options, originUrl);
  const app = await buildTestApp(
    store,
    {
      adminKeys: [ADMIN_KEY, { key: PUSH_KEY, scopes: ['origin_health'] }],
      events: [{ id: EVENT_ID, inlet, queuePositionExpirySeconds: null }],
    },
    { logger: pino({ level: 'silent' }) },
  );
  // Start on a minute boundary: a periodic inlet's ticks fall on the same seconds of every run.
  app.clock.advance(60 - (app.clock.seconds % 60));
  now = app.clock.seconds;
  try {
    const anteroomUrl = await listen(app.publicHandler);
    const adminUrl = await listen(app.adminHandler);
    origin.setJwksUrl(`${anteroomUrl}/.well-known/jwks.json`);
    const crowd = new Crowd({
      anteroomUrl,
      originUrl,
      eventId: EVENT_ID,
      random,
      sessionSeconds: options.sessionSeconds,
    });
    const rows: ProvingGroundRow[] = [];
    let arrivals = 0;
    let serving = 0;
    let rate = inlet['type'] === 'periodic' ? periodicRate(inlet) : 0;
    let reason: string | null = null;
    const pushEvery = options.pushEverySeconds ?? 5;
    for (let t = 1; t <= options.durationSeconds; t++) {
      app.clock.advance(1);
      now = app.clock.seconds;
      for (const change of options.capacitySchedule ?? []) {
        if (change.at === t) origin.model.setCapacity(change.capacity);
      }
      origin.queryFault =
        options.signalFaults?.find((fault) => fault.from <= t && t < fault.to)?.kind ?? null;
      arrivals += options.arrivalsPerMinute / 60;
      const joining = Math.floor(arrivals);
      arrivals -= joining;
      await crowd.arrive(joining);
      if (options.signal === 'push' && t % pushEvery === 0) await push(adminUrl, origin);
      const [report] = await app.deps.room.tick('proving-ground');
      if (report?.inlet.adaptive) {
        rate = report.inlet.adaptive.rate;
        reason = report.inlet.adaptive.reason;
      }
      const after = report?.serving ?? serving;
      const admitted = after - serving;
      serving = after;
      await crowd.step(now);
      const second = origin.observe();
      const capacity = origin.model.capacity;
      rows.push({
        t,
        capacity,
        capacityPerMinute: (60 * capacity) / options.sessionSeconds,
        ratePerMinute: rate,
        admitted,
        active: second.active,
        latencyMs: second.latencyMs,
        errorRate: second.errorRate,
        reason,
      });
    }
    return {
      rows,
      admitted: crowd.totals.admitted,
      sessions: origin.totals.sessions,
      failures: crowd.totals.failures + origin.totals.refused,
      latencyTargetMs: options.latencyTargetMs,
      intervalSeconds,
    };
  } finally {
    app.deps.room.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await origin.close();
    if (!options.store) await store.close();
  }
}

/** The inlet as configured, an adaptive one reading this run's origin. */
function withSignal(options: ProvingGroundOptions, originUrl: string): Record<string, unknown> {
  if (options.inlet['type'] !== 'adaptive') return options.inlet;
  const signal =
    options.signal === 'push'
      ? { type: 'push' }
      : {
          type: 'prometheus',
          url: originUrl,
          latencyQuery: ORIGIN_QUERIES.latency,
          errorRateQuery: ORIGIN_QUERIES.errorRate,
        };
  return { ...options.inlet, signal };
}

function periodicRate(inlet: Record<string, unknown>): number {
  return ((inlet['incrementBy'] as number) * 60) / (inlet['intervalSeconds'] as number);
}

/** The origin's monitoring posts its latest report with the push-only key. */
async function push(adminUrl: string, origin: Origin): Promise<void> {
  const report = origin.report();
  if (report === null) return;
  const response = await fetch(`${adminUrl}/origin_health`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PUSH_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ event_id: EVENT_ID, latency_ms: report.latencyMs, error_rate: report.errorRate }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`POST /origin_health answered ${response.status}`);
}
