/**
 * What one Lambda container builds once and reuses for every invocation: the configuration
 * (secrets resolved), the store (one Redis connection), the key ring, the room, the apps, the
 * event publisher (one EventBridge client) and the durable ledger (one DynamoDB client). None
 * is the AWS SDK: they are signed calls of our own (`aws-json.ts`), which hold nothing until used.
 *
 * Built lazily by the first invocation. Concurrent first invocations share one build. A build
 * that fails (Secrets Manager throttled, a bad secret) is forgotten, so the next invocation
 * tries again instead of the container answering errors until it is recycled.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KEY_RELOAD_SECONDS } from '../../queue-core/defaults.ts';
import { loadKeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import {
  type AppDeps,
  type CreateDepsOptions,
  createAppDeps,
  createLogger,
  reloadKeys,
} from '../apps/deps.ts';
import type { DynamoDb } from './dynamodb.ts';
import { type Env, type LambdaSettings, loadLambdaSettings, type SettingsHint } from './env.ts';
import {
  directEventBridge,
  type EventBridgeLike,
  EventBridgePublisher,
  type EventPublisher,
  noopPublisher,
} from './events.ts';
import { type AdmissionLedger, DynamoLedger, guardedLedger } from './ledger.ts';
import { publishingRoom } from './publishing-room.ts';
import { type SecretPrefetch, SecretReader, type SecretsManagerLike } from './secrets.ts';

export interface LambdaContainer {
  /** Unique per container (logs, the max-size inlet lease). */
  id: string;
  settings: LambdaSettings;
  deps: AppDeps;
  publisher: EventPublisher;
  /** Run by `ContainerState.close()` (tests): connections opened by the apps, e.g. the OIDC adapter's. */
  closers: (() => Promise<void>)[];
}

export interface ContainerOptions {
  env: Env;
  /** Secrets Manager client (tests pass a fake; default: a real client on first use). */
  secretsManager?: SecretsManagerLike;
  /** EventBridge client (tests pass a fake; default: a real client when a bus is configured). */
  eventBridge?: EventBridgeLike;
  /** Replaces the EventBridge publisher (tests: a `MemoryPublisher`). */
  publisher?: EventPublisher;
  /**
   * DynamoDB client for the OIDC and ledger tables (tests; default: a real client when
   * `ANTEROOM_OIDC_TABLE` / `ANTEROOM_LEDGER_TABLE` is set).
   */
  dynamoDb?: DynamoDb;
  /** Secret reads started before the handlers were loaded (`provider/lambda.ts`); used once. */
  secretPrefetch?: SecretPrefetch;
  /** Passed to `createAppDeps` (tests: clocks, cache lifetimes). */
  deps?: Omit<CreateDepsOptions, 'keys' | 'logger'>;
  /** The container's logger (tests: the suite's log capture); default: `log.level` on stdout. */
  logger?: AppDeps['logger'];
}

export type InitHint = SettingsHint;

/** One container's lazily built state, with retry after a failed build. */
export class ContainerState {
  private readonly options: ContainerOptions;
  private pending: Promise<LambdaContainer> | null = null;
  /** How many builds were started (tests: proves "once per container"). */
  builds = 0;
  private keysReadAt = 0;
  private keyReload: Promise<void> | null = null;

  constructor(options: ContainerOptions) {
    this.options = options;
  }

  /** The container, its signing keys re-read when older than KEY_RELOAD_SECONDS. */
  async get(hint: InitHint = {}): Promise<LambdaContainer> {
    if (!this.pending) {
      const build = this.build(hint);
      this.pending = build;
      build.catch(() => {
        if (this.pending === build) this.pending = null;
      });
    }
    const container = await this.pending;
    await this.freshKeys(container);
    return container;
  }

  /**
   * A warm container lives for hours and runs no timers while frozen, so the keys are re-read
   * on the first invocation after KEY_RELOAD_SECONDS: a rotation reaches it like every
   * `anteroom serve` process. One read at a time; a failed read keeps the current keys.
   */
  private freshKeys(container: LambdaContainer): Promise<void> {
    if (this.keyReload) return this.keyReload;
    const now = this.nowMs();
    if (now - this.keysReadAt < KEY_RELOAD_SECONDS * 1000) return Promise.resolve();
    this.keysReadAt = now;
    this.keyReload = reloadKeys(container.deps).then(() => {
      this.keyReload = null;
    });
    return this.keyReload;
  }

  private nowMs(): number {
    return (this.options.deps?.nowMs ?? Date.now)();
  }

  /** Close the store (tests; a real container is frozen, never closed). */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    const container = await pending.catch(() => null);
    if (!container) return;
    for (const close of container.closers) await close();
    container.deps.room.close();
    await container.deps.store.close();
  }

  private async build(hint: InitHint): Promise<LambdaContainer> {
    this.builds += 1;
    const secrets = new SecretReader(
      this.options.secretsManager,
      this.options.env,
      this.options.secretPrefetch,
    );
    const settings = await loadLambdaSettings(this.options.env, secrets, hint);
    const logger = this.options.logger ?? createLogger(settings.config);
    this.keysReadAt = this.nowMs();
    const keys = await loadKeyRing(settings.config.keys, {
      secretsManager: secrets.secretsManager,
      onNotice: (message) => logger.warn({ notice: true }, message),
    });
    // No process metrics: a container's are not what anyone scrapes (Lambda reports its own).
    // The registry is built by the admin API's first `GET /metrics`, never by another answer:
    // prom-client stays out of their start.
    const deps = await createAppDeps(settings.config, {
      defaultMetrics: false,
      lazyMetrics: true,
      ...this.options.deps,
      keys,
      logger,
    });
    const publisher = this.options.publisher ?? this.eventPublisher(settings, logger);
    // The apps (and the OIDC provider) publish token and session events, and record them in
    // the durable ledger, through the room.
    deps.room = publishingRoom(deps.room, publisher, this.ledger(settings, deps));
    // Logged when Redis answers; the first request does not wait for it.
    void deps.store.configurationWarnings().then(
      (warnings) => {
        for (const warning of warnings) logger.warn({ store_warning: true }, warning);
      },
      () => {},
    );
    logger.info(
      {
        store: settings.config.store.type,
        events: settings.config.events.length,
        ledger: settings.ledgerTable,
        public_url: settings.config.publicUrl,
      },
      'lambda container ready',
    );
    return { id: randomUUID(), settings, deps, publisher, closers: [] };
  }

  private ledger(settings: LambdaSettings, deps: AppDeps): AdmissionLedger | null {
    if (!settings.ledgerTable) return null;
    const ledger = new DynamoLedger(this.options.dynamoDb, settings.ledgerTable);
    const failures = deps.metrics.counter({
      name: 'anteroom_ledger_write_failures_total',
      help: 'Durable ledger writes that failed (the visitor was served from Redis regardless)',
      labelNames: ['operation', 'reason'] as const,
    });
    return guardedLedger(ledger, { logger: deps.logger, failures });
  }

  private eventPublisher(settings: LambdaSettings, logger: AppDeps['logger']): EventPublisher {
    if (!settings.eventBus) return noopPublisher;
    return new EventBridgePublisher({
      client: this.options.eventBridge ?? directEventBridge(this.options.env),
      busName: settings.eventBus,
      onError: (error, failedEntries) =>
        logger.error({ err: error, failed_entries: failedEntries }, 'publishing status events failed'),
    });
  }
}

/** What `serverless-http` wraps: a Koa app (any state type). */
export interface AppLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
}

/** Apps are built on first use per handler: the public function never builds the admin app. */
export function lazyApp(
  build: (container: LambdaContainer) => AppLike | Promise<AppLike>,
): (container: LambdaContainer) => Promise<AppLike> {
  const apps = new WeakMap<LambdaContainer, Promise<AppLike>>();
  return (container) => {
    let app = apps.get(container);
    if (!app) {
      const building = Promise.resolve().then(() => build(container));
      app = building;
      apps.set(container, building);
      // Like the container itself: a failed build is retried by the next invocation.
      building.catch(() => {
        if (apps.get(container) === building) apps.delete(container);
      });
    }
    return app;
  };
}
