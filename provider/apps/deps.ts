/**
 * What every HTTP surface (public app, admin app, pages, OIDC interaction, Lambda handlers)
 * is built from. Created once per process by `createAppDeps`; tests build their own with an
 * in-memory or a test-Redis store.
 */
import { SSE_HEARTBEAT_MS } from '../../queue-core/defaults.ts';
import { relativeError } from '../../queue-core/eta-accuracy.ts';
import { type PlaceReceiptSigner, placeReceiptSigner } from '../../queue-core/place-receipts.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import type { Room } from '../../queue-core/room/room-api.ts';
import { type KeyRing, loadKeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import type { StoreConfig, StoreObserver } from '../../queue-core/store/create-store.ts';
import { openConfiguredStore } from '../../queue-core/store/open-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import { createStreamSlots, type StreamSlots } from '../api/stream-slots.ts';
import { type AnteroomConfig, ConfigError } from '../config/server-config.ts';
import { burstGate, OUTAGE_LOG_WINDOW_MS } from '../http/errors.ts';
import {
  type ClientBudget,
  createClientBudget,
  createRateLimiter,
  type RateLimiter,
} from '../http/rate-limit.ts';
import {
  serverCookieKeys,
  serverVisitorCookieSigner,
  type VisitorCookieSigner,
} from '../http/visitor-cookie.ts';
import { readOriginSignal } from '../signals/signal-reader.ts';
import { createJsonLogger, type Logger } from '../telemetry/logger.ts';
import { createMetrics, type Metrics } from '../telemetry/metrics.ts';
import { prettyDestination } from '../telemetry/pretty.ts';

export interface AppDeps {
  config: AnteroomConfig;
  room: Room;
  store: QueueStore;
  keys: KeyRing;
  logger: Logger;
  /** Prometheus registry and instruments of this process. */
  metrics: Metrics;
  /** Per-client enqueue budget (`limits.enqueuePerClientPerMinute`), shared through the store. */
  enqueueLimiter: RateLimiter;
  /** Per-client budget of OIDC requests that create provider state (`limits.authorizePerClientPerMinute`). */
  authorizeBudget: ClientBudget;
  /** Heartbeat interval of the status streams (default 15 s). */
  sseHeartbeatMs: number;
  /** Status streams open in this process, per request id and per client (`stream-slots.ts`). */
  streamSlots: StreamSlots;
  /** Issues and checks the signed visitor cookie (`anteroom_vid`). */
  visitorCookies: VisitorCookieSigner;
  /** Signs and checks place receipts (`ar_rc_<event>`: docs/reliability.md), with the same keys. */
  placeReceipts: PlaceReceiptSigner;
  /** The clock in milliseconds (tests control it): per-client budgets, signature dates. */
  nowMs: () => number;
  /**
   * The room's clock (epoch seconds, as statuses and schedules are read against it) in
   * milliseconds: the pages' countdown to a pre-queue's start counts from it.
   */
  roomNowMs: () => number;
}

export interface CreateDepsOptions {
  /** An existing store (tests); otherwise one is created from `config.store`. */
  store?: QueueStore;
  /** An existing key ring (tests); otherwise loaded from `config.keys`. */
  keys?: KeyRing;
  logger?: Logger;
  /** Clock in epoch seconds. */
  now?: () => number;
  /** Clock in milliseconds (micro-caches, rate limit). */
  nowMs?: () => number;
  /** Micro-cache lifetime of the serving counter and waiting count (default 1000 ms). */
  cacheMs?: number;
  /** Heartbeat interval of the status streams (default 15 s; tests shorten it). */
  sseHeartbeatMs?: number;
  /** Register Node's default process metrics (default true; tests creating many apps turn it off). */
  defaultMetrics?: boolean;
  /**
   * Build the metrics registry (and load prom-client) on the first `metrics.ready()`, not now:
   * a Lambda container, whose first queue answers nothing scrapes (default false).
   */
  lazyMetrics?: boolean;
}

/**
 * Re-read the signing keys (a rotation made elsewhere) and log a change. A failed read keeps
 * the current keys and is logged unless `quiet` (already reported). Resolves to whether it read.
 */
export async function reloadKeys(deps: Pick<AppDeps, 'keys' | 'logger'>, quiet = false): Promise<boolean> {
  try {
    if (await deps.keys.reload()) deps.logger.info({ keys: deps.keys.summary() }, 'signing keys reloaded');
    return true;
  } catch (error) {
    if (!quiet)
      deps.logger.warn({ err: error }, 'could not reload the signing keys; keeping the current ones');
    return false;
  }
}

/** JSON lines on stdout; lines a person reads when stdout is a terminal (`telemetry/pretty.ts`). */
export function createLogger(config: AnteroomConfig, stdout: NodeJS.WriteStream = process.stdout): Logger {
  return createJsonLogger(config.log.level, stdout.isTTY ? prettyDestination(stdout) : stdout);
}

/**
 * The configured store, once it is known to give the configured durability: `aof` on a Redis
 * that cannot confirm an append-only write (before 7.2, or `appendonly no`) fails start-up with
 * the reason, as does a Redis that cannot be asked.
 */
async function openStore(config: StoreConfig, observer: StoreObserver): Promise<QueueStore> {
  const store = await openConfiguredStore(config, observer);
  if (!(store instanceof RedisStore) || config.type !== 'redis' || config.durability !== 'aof') return store;
  let refusal: string | null;
  try {
    refusal = await store.durabilityRefusal();
  } catch (error) {
    refusal = `store.durability "aof" could not be checked: Redis did not answer (${(error as Error).message})`;
  }
  if (refusal === null) return store;
  await store.close();
  throw new ConfigError('store.durability', refusal, true);
}

export async function createAppDeps(
  config: AnteroomConfig,
  options: CreateDepsOptions = {},
): Promise<AppDeps> {
  const logger = options.logger ?? createLogger(config);
  const keys =
    options.keys ??
    (await loadKeyRing(config.keys, { onNotice: (message) => logger.warn({ notice: true }, message) }));
  // Writes no replica confirmed come in bursts (every write while no replica answers): one line
  // per window, carrying how many there were, so a log metric filter can count them (on Lambda,
  // where no Prometheus scrape reaches the process; the CDK app alarms on it).
  const waitTimeoutGate = burstGate(OUTAGE_LOG_WINDOW_MS);
  const store =
    options.store ??
    (await openStore(config.store, {
      writeNotConfirmed: () => {
        metrics.writesNotConfirmed.inc();
        const held = waitTimeoutGate();
        if (held === null) return;
        logger.warn(
          { store_wait_timeout: true, wait_timeouts: held + 1 },
          'store_wait_timeout: no replica confirmed a write in time; answered 503 (logged at most once per 10 s, counting the ones since)',
        );
      },
      regressed: (eventId, what) => {
        metrics.storeRegressions.inc({ event: eventId });
        logger.error(
          { store_regressed: true, event_id: eventId, raised: what },
          'store_regressed: the store lost acknowledged writes; counters raised above what this process acknowledged',
        );
      },
    }));
  const room = createRoom({
    store,
    keys,
    events: config.events,
    issuer: config.publicUrl,
    readSignal: readOriginSignal,
    now: options.now,
    nowMs: options.nowMs,
    cacheMs: options.cacheMs,
    settingsCacheMs: options.cacheMs,
    observer: {
      positionAssigned: (eventId) => metrics.positionsAssigned.inc(eventId),
      tokensIssued: (eventId) => metrics.tokensIssued.inc(eventId),
      etaSample: (eventId, sample) =>
        metrics.etaErrorRatio.observe({ event: eventId }, relativeError(sample)),
    },
  });
  const metrics = await createMetrics(
    { store, room },
    { defaults: options.defaultMetrics, lazy: options.lazyMetrics },
  );
  const nowMs = options.nowMs ?? Date.now;
  const enqueueLimiter = createRateLimiter(config.limits.enqueuePerClientPerMinute, nowMs);
  const authorizeBudget = createClientBudget(store, 'oidc', config.limits.authorizePerClientPerMinute, nowMs);
  const sseHeartbeatMs = options.sseHeartbeatMs ?? SSE_HEARTBEAT_MS;
  return {
    config,
    room,
    store,
    keys,
    logger,
    metrics,
    enqueueLimiter,
    authorizeBudget,
    sseHeartbeatMs,
    streamSlots: createStreamSlots({
      perRequestId: config.limits.streamsPerRequestId,
      perClient: config.limits.streamsPerClient,
    }),
    visitorCookies: serverVisitorCookieSigner(config, keys),
    placeReceipts: placeReceiptSigner(serverCookieKeys(config, keys)),
    nowMs,
    roomNowMs: options.now === undefined ? nowMs : () => (options.now as () => number)() * 1000,
  };
}
