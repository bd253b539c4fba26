/**
 * Prometheus metrics of one process (admin `GET /metrics`). Event gauges are read from the
 * store at scrape time, so every process reports the cluster-wide truth; counters of token
 * issuance and the HTTP latency histogram are per process (sum them across processes).
 * While the store is unreachable the scrape still succeeds: `anteroom_store_up` is 0, the
 * event gauges are absent, and the process metrics (latency, event loop, memory) are there
 * when they are most wanted.
 */

import type { Middleware } from 'koa';
// One file each, not the package index: see prom-client-parts.d.ts. Loaded by `ready()`.
import type Registry from 'prom-client/lib/registry.js';
import type { Room } from '../../queue-core/room/room-api.ts';
import type { Counters, QueueStore } from '../../queue-core/types.ts';
import { type VisitorsView, visitorsView } from '../admin/event-view.ts';
import { type InletStateView, inletStateView } from '../admin/inlet-state.ts';

/** A per-event counter of this process. */
export interface EventCounter {
  inc(eventId: string): void;
}

/** A counter whose labels are `L` (none: `inc()`). */
export interface LabelledCounter<L extends string> {
  inc(...labels: [L] extends [never] ? [] : [Readonly<Record<L, string>>]): void;
}

export interface Metrics {
  /**
   * The Prometheus registry, once `ready()` has resolved (`createMetrics` waits for it unless
   * `lazy`): reading it before throws.
   */
  readonly registry: Registry;
  /**
   * Loads prom-client and builds the registry and its instruments (once), with what was counted
   * before. A Lambda container (`lazy`) does it on the admin API's first `GET /metrics`: no
   * other answer loads prom-client.
   */
  ready(): Promise<Registry>;
  /** First issuances of token sets through this process. */
  tokensIssued: EventCounter;
  /** Positions assigned through this process. */
  positionsAssigned: EventCounter;
  /** Labelled by app, method, route and status (`httpTimer`). */
  httpDuration: LatencyHistogram;
  /** Writes of this process no replica (or append-only file) confirmed in time (`store.durability`). */
  writesNotConfirmed: LabelledCounter<never>;
  /** Times the regression guard raised an event's counters a lost write had set back. */
  storeRegressions: LabelledCounter<'event'>;
  /** Admitted visitors' |estimate at joining − wait| / wait (wait-estimate accuracy, API.md section 6). */
  etaErrorRatio: { observe(labels: { event: string }, value: number): void };
  /** A counter of the registry's, made now or when the registry is built (the Lambda ledger's). */
  counter<L extends string>(config: {
    name: string;
    help: string;
    labelNames: readonly L[];
  }): LabelledCounter<L>;
}

/** prom-client's classes, once loaded. */
interface PromClient {
  Registry: typeof import('prom-client/lib/registry.js').default;
  Counter: typeof import('prom-client/lib/counter.js').default;
  Gauge: typeof import('prom-client/lib/gauge.js').default;
}

/**
 * A counter counted in a plain map (per label set) and handed to a prom-client counter when
 * the registry collects: its `inc` would validate and hash the label set on every call, which
 * the hot paths would pay, and a Lambda container need not load prom-client to count.
 */
function plainCounter<L extends string>(
  config: { name: string; help: string; labelNames: readonly L[] },
  onRegistry: (build: (client: PromClient, registry: Registry) => void) => void,
): LabelledCounter<L> {
  const pending = new Map<string, { labels: Record<string, string>; count: number }>();
  onRegistry((client, registry) => {
    new client.Counter({
      name: config.name,
      help: config.help,
      labelNames: [...config.labelNames],
      registers: [registry],
      collect() {
        for (const { labels, count } of pending.values()) {
          if (config.labelNames.length === 0) this.inc(count);
          else this.inc(labels as never, count);
        }
        pending.clear();
      },
    });
  });
  return {
    inc(...args) {
      const labels = (args[0] ?? {}) as Record<string, string>;
      const key =
        config.labelNames.length === 1
          ? String(labels[config.labelNames[0] as string])
          : JSON.stringify(config.labelNames.map((name) => labels[name]));
      const entry = pending.get(key);
      if (entry === undefined) pending.set(key, { labels: { ...labels }, count: 1 });
      else entry.count += 1;
    },
  };
}

interface Snapshot {
  eventId: string;
  counters: Counters;
  waiting: number;
  active: number;
  /** The adaptive inlet's controller; null for the other inlets. */
  inlet: InletStateView | null;
  /** Absent visitors: present and absent counts; null without `abandonAfterSeconds`. */
  visitors: VisitorsView | null;
}

/** How long one scrape's store reads are shared by the gauges of that scrape. */
const SNAPSHOT_MS = 500;

/**
 * `defaults`: also Node's process metrics (event loop, memory, GC), loaded only when asked for.
 * `lazy`: prom-client is loaded and the registry built by the first `ready()`, not now; the
 * instruments count from the start either way.
 */
export async function createMetrics(
  source: { store: QueueStore; room: Room },
  options: { defaults?: boolean; lazy?: boolean } = {},
): Promise<Metrics> {
  let registry: Registry | null = null;
  let building: Promise<Registry> | null = null;
  /** What registers itself when the registry is built (in this order: the exposition's). */
  const builders: ((client: PromClient, registry: Registry) => void)[] = [];
  let client: PromClient | null = null;
  const onRegistry = (build: (client: PromClient, registry: Registry) => void) => {
    if (registry !== null && client !== null) build(client, registry);
    else builders.push(build);
  };

  const ready = (): Promise<Registry> => {
    if (building !== null) return building;
    const attempt = (async () => {
      const [{ default: Registry }, { default: Counter }, { default: Gauge }] = await Promise.all([
        import('prom-client/lib/registry.js'),
        import('prom-client/lib/counter.js'),
        import('prom-client/lib/gauge.js'),
      ]);
      const loaded: PromClient = { Registry, Counter, Gauge };
      const built = new Registry();
      if (options.defaults ?? true) {
        const { default: collectDefaultMetrics } = await import('prom-client/lib/defaultMetrics.js');
        collectDefaultMetrics({ register: built, prefix: 'anteroom_' });
      }
      for (const build of builders.splice(0)) build(loaded, built);
      client = loaded;
      registry = built;
      return built;
    })();
    building = attempt;
    // A failed load (a chunk unreadable) is tried again by the next call.
    attempt.catch(() => {
      if (building === attempt) building = null;
    });
    return attempt;
  };

  onRegistry((client, registry) => storeGauges(client, registry, source));
  const metrics: Metrics = {
    get registry(): Registry {
      if (registry === null) throw new Error('metrics: the registry is built by ready()');
      return registry;
    },
    ready,
    tokensIssued: eventCounter(
      onRegistry,
      'anteroom_process_tokens_issued_total',
      'First token issuances through this process',
    ),
    positionsAssigned: eventCounter(
      onRegistry,
      'anteroom_process_positions_assigned_total',
      'Positions assigned through this process (idempotent repeats excluded)',
    ),
    writesNotConfirmed: plainCounter(
      {
        name: 'anteroom_store_wait_timeouts_total',
        help: 'Store writes of this process that no replica (store.durability "replica") or append-only file ("aof") confirmed in time: each answered 503',
        labelNames: [] as never[],
      },
      onRegistry,
    ),
    storeRegressions: plainCounter(
      {
        name: 'anteroom_store_regressions_total',
        help: "Times this process found an event's counters below what it had acknowledged (Redis failed over to a lagging replica, or restarted empty) and raised them before answering",
        labelNames: ['event'],
      },
      onRegistry,
    ),
    etaErrorRatio: etaHistogram(onRegistry),
    httpDuration: plainHistogram(
      onRegistry,
      'anteroom_http_request_duration_seconds',
      'HTTP request latency',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    counter: (config) => plainCounter(config, onRegistry),
  };
  if (!options.lazy) await ready();
  return metrics;
}

/** `eventCounter`: a `plainCounter` labelled by event. */
function eventCounter(
  onRegistry: (build: (client: PromClient, registry: Registry) => void) => void,
  name: string,
  help: string,
): EventCounter {
  const counter = plainCounter({ name, help, labelNames: ['event'] }, onRegistry);
  return { inc: (event) => counter.inc({ event }) };
}

/** The wait-estimate error histogram: a `plainHistogram` labelled by event. */
function etaHistogram(
  onRegistry: (build: (client: PromClient, registry: Registry) => void) => void,
): Metrics['etaErrorRatio'] {
  const histogram = plainHistogram(
    onRegistry,
    'anteroom_eta_error_ratio',
    "Admitted visitors' wait-estimate error through this process: |estimate at joining − real wait| / real wait (a wait under 1 s counts as 1 s)",
    [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
  );
  return { observe: (labels, value) => histogram.series(labels).observe(value) };
}

/** The store's gauges, read at scrape time (the module comment). */
function storeGauges(
  client: PromClient,
  registry: Registry,
  source: { store: QueueStore; room: Room },
): void {
  const { Gauge } = client;
  let snapshot: { at: number; value: Promise<Snapshot[]> } | null = null;
  const read = (): Promise<Snapshot[]> => {
    const now = Date.now();
    if (snapshot && now - snapshot.at < SNAPSHOT_MS) return snapshot.value;
    const value = source.room.listEvents().then((events) =>
      Promise.all(
        events.map(async (event) => {
          const seconds = Math.floor(now / 1000);
          const [counters, waiting, active, inlet] = await Promise.all([
            source.store.getCounters(event.id),
            source.store.waitingCount(event.id),
            source.store.activeCount(event.id, seconds),
            inletStateView(source.store, event, seconds),
          ]);
          return {
            eventId: event.id,
            counters,
            waiting,
            active,
            inlet,
            visitors: visitorsView(event, counters),
          };
        }),
      ),
    );
    // A failure is shared too: one scrape makes one attempt, not one per gauge.
    value.catch(() => {});
    snapshot = { at: now, value };
    return value;
  };
  /** The store's rows, or null while it is unreachable. */
  const rows = () => read().catch(() => null);

  new Gauge({
    name: 'anteroom_store_up',
    help: 'Whether the store answered this scrape (1) or not (0: the event gauges are absent)',
    registers: [registry],
    async collect() {
      this.set((await rows()) === null ? 0 : 1);
    },
  });

  /** A gauge per event; events for which `pick` answers null have none. */
  const eventGauge = (name: string, help: string, pick: (snapshot: Snapshot) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['event'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of (await rows()) ?? []) {
          const value = pick(row);
          if (value !== null) this.set({ event: row.eventId }, value);
        }
      },
    });

  eventGauge(
    'anteroom_positions_issued',
    'Queue positions handed out (last assigned position)',
    (s) => s.counters.queue,
  );
  eventGauge(
    'anteroom_serving_counter',
    'Highest position allowed to claim a token',
    (s) => s.counters.serving,
  );
  eventGauge(
    'anteroom_waiting',
    'Visitors waiting: positions − tokens issued − positions expired',
    (s) => s.waiting,
  );
  eventGauge(
    'anteroom_visitors_present',
    'Events with abandonAfterSeconds: waiting visitors present at the last inlet pass (back after being passed included)',
    (s) => (s.visitors === null ? null : s.visitors.present),
  );
  eventGauge(
    'anteroom_visitors_absent',
    'Events with abandonAfterSeconds: waiting visitors absent at the last inlet pass',
    (s) => (s.visitors === null ? null : s.visitors.absent),
  );
  eventGauge('anteroom_active_sessions', 'Sessions with an active, unexpired token', (s) => s.active);
  eventGauge('anteroom_tokens_issued', 'Token sets issued (first issuance only)', (s) => s.counters.tokens);
  eventGauge(
    'anteroom_positions_expired',
    'Positions that expired without claiming a token',
    (s) => s.counters.expired,
  );
  eventGauge('anteroom_sessions_completed', 'Sessions ended as completed', (s) => s.counters.completed);
  eventGauge('anteroom_sessions_abandoned', 'Sessions ended as abandoned', (s) => s.counters.abandoned);
  eventGauge(
    'anteroom_inlet_rate_per_minute',
    'Admissions a minute of the adaptive inlet (API.md section 7)',
    (s) => s.inlet?.rate_per_minute ?? null,
  );
  eventGauge(
    'anteroom_inlet_signal_latency_ms',
    "The origin's p95 latency in the adaptive inlet's latest reading, ms",
    (s) => s.inlet?.signal?.latency_ms ?? null,
  );
  eventGauge(
    'anteroom_inlet_signal_error_rate',
    "The origin's error rate (0–1) in the adaptive inlet's latest reading",
    (s) => s.inlet?.signal?.error_rate ?? null,
  );
  eventGauge(
    'anteroom_inlet_signal_timestamp_seconds',
    "When the adaptive inlet's latest reading was taken (alert on time() minus it)",
    (s) => s.inlet?.signal?.at ?? null,
  );
}

/** One label set's series of a `LatencyHistogram`: bucket counts, sum and count, kept in place. */
export interface LatencySeries {
  observe(seconds: number): void;
}

export interface LatencyHistogram {
  /** The series of `labels`, made on first use: callers keep it (`httpTimer`). */
  series(labels: Readonly<Record<string, string>>): LatencySeries;
}

/** One sample as prom-client's histogram lists it (`exemplar`: none kept). */
type SampleValue = {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
};

/**
 * A histogram exposed exactly as prom-client's (same lines, same order), registered in the
 * same registry, whose series count in place: a prom-client child's `observe` validates and
 * hashes its label set on every call, which every fast-path answer would pay.
 */
export function latencyHistogram(
  registry: Registry,
  name: string,
  help: string,
  bounds: readonly number[],
): LatencyHistogram {
  let metric: unknown = null;
  const histogram = histogramSeries(name, help, bounds, (made) => {
    metric = made;
  });
  registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]);
  return histogram;
}

/** `latencyHistogram`, registered when the registry is built. */
function plainHistogram(
  onRegistry: (build: (client: PromClient, registry: Registry) => void) => void,
  name: string,
  help: string,
  bounds: readonly number[],
): LatencyHistogram {
  return histogramSeries(name, help, bounds, (metric) =>
    onRegistry((_client, registry) =>
      registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]),
    ),
  );
}

function histogramSeries(
  name: string,
  help: string,
  bounds: readonly number[],
  register: (metric: unknown) => void,
): LatencyHistogram {
  const all = new Map<
    string,
    { labels: Record<string, string>; buckets: number[]; sum: number; count: number }
  >();
  const samples = (): SampleValue[] => {
    const values: SampleValue[] = [];
    const bucket = `${name}_bucket`;
    for (const { labels, buckets, sum, count } of all.values()) {
      let below = 0;
      bounds.forEach((le, i) => {
        below += buckets[i] as number;
        values.push({
          labels: { le },
          sharedLabels: labels,
          value: below,
          metricName: bucket,
          exemplar: null,
        });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: labels, value: sum, metricName: `${name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: labels, value: count, metricName: `${name}_count`, exemplar: undefined },
      );
    }
    return values;
  };
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    /** What the registry renders text from (prom-client's `getForPromString`). */
    getForPromString: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: samples() }),
    /** The JSON form: each sample's labels whole, as prom-client's `get`. */
    get: async () => ({
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      values: samples().map(({ labels, sharedLabels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    }),
    /** As `registry.resetMetrics()` expects: every series back to zero (kept, for their holders). */
    reset: () => {
      for (const series of all.values()) {
        series.buckets.fill(0);
        series.sum = 0;
        series.count = 0;
      }
    },
  };
  register(metric);
  return {
    series(labels) {
      const key = JSON.stringify(Object.entries(labels).sort());
      let series = all.get(key);
      if (series === undefined) {
        series = { labels: { ...labels }, buckets: bounds.map(() => 0), sum: 0, count: 0 };
        all.set(key, series);
      }
      const counts = series;
      return {
        observe(seconds) {
          let i = 0;
          while (i < bounds.length && seconds > (bounds[i] as number)) i += 1;
          if (i < bounds.length) counts.buckets[i] = (counts.buckets[i] as number) + 1;
          counts.sum += seconds;
          counts.count += 1;
        },
      };
    },
  };
}

/**
 * Records one request's latency; made once per app. The route label is the matched route
 * pattern, never the raw URL.
 */
export type HttpTimer = (method: string, route: string, status: number, seconds: number) => void;

/**
 * The latency histogram of one app, for the Koa middleware and the fast path alike. One series
 * per (method, route, status), found once: the key space is small (routes are patterns, never
 * raw URLs).
 */
export function httpTimer(metrics: Metrics, app: 'public' | 'admin'): HttpTimer {
  // Found through a map per label: no key string built and hashed per request.
  const children = new Map<string, Map<string, Map<number, LatencySeries>>>();
  return (method, route, status, seconds) => {
    let routes = children.get(method);
    if (routes === undefined) {
      routes = new Map();
      children.set(method, routes);
    }
    let statuses = routes.get(route);
    if (statuses === undefined) {
      statuses = new Map();
      routes.set(route, statuses);
    }
    let child = statuses.get(status);
    if (child === undefined) {
      child = metrics.httpDuration.series({ app, method, route, status: String(status) });
      statuses.set(status, child);
    }
    child.observe(seconds);
  };
}

/** Seconds since `start` (`process.hrtime.bigint()`). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The Koa middleware that times every request of an app (`httpTimer`). */
export function measureHttp(metrics: Metrics, app: 'public' | 'admin'): Middleware {
  const observe = httpTimer(metrics, app);
  return async function measureLatency(ctx, next) {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      observe(
        ctx.method,
        typeof matched === 'string' ? matched : 'unmatched',
        ctx.status,
        secondsSince(start),
      );
    }
  };
}
