/**
 * The three Lambda handlers of one container, built from explicit options so tests can run
 * several "containers" (each with its own environment) in one process. `provider/lambda.ts`
 * builds the real ones from `process.env`.
 *
 * Code is imported by the first invocation that runs it (`import()`), not at cold start: the
 * admin app, the scheduled run, the public Koa app (the queue API's hot paths answer without
 * it) and the OIDC provider (on the first request under `/oidc`); AWS is called without the SDK
 * (`aws-json.ts`, `dynamodb.ts`). The bundle splits there (infra/lib/bundle.ts), so a cold
 * start loads only what its first request runs (bench/lambda-cold.ts).
 */
import type { RequestListener } from 'node:http';
import { oidcOnDemand } from '../oidc/on-demand.ts';
import { withHotPaths } from '../server/hot-path.ts';
import {
  type AppLike,
  type ContainerOptions,
  ContainerState,
  type LambdaContainer,
  lazyApp,
} from './container.ts';
import { DynamoDb } from './dynamodb.ts';
import { type ApiGatewayHandler, createHttpHandler } from './http.ts';
import type { Clock, EventRunReport } from './scheduled.ts';
import type { LambdaContext, ScheduledEvent } from './types.ts';

export interface LambdaHandlerOptions extends ContainerOptions {
  /** Scheduled handler: clock and loop bounds (tests use a fake clock). */
  scheduled?: {
    clock?: Clock;
    budgetMs?: number;
    maxSizeEverySeconds?: number;
    writeLine?: (line: string) => void;
  };
}

export interface LambdaHandlers {
  publicHandler: ApiGatewayHandler;
  adminHandler: ApiGatewayHandler;
  scheduledHandler: (event: ScheduledEvent, context: LambdaContext) => Promise<EventRunReport[]>;
  /** The container's shared state (tests: build count, closing the store). */
  container: ContainerState;
  /**
   * Starts building, without waiting, what the first invocation of `handler` (Lambda's
   * `_HANDLER`, `index.publicHandler`) runs: secrets, key ring, Redis connection, app, chunks.
   * Called at import, so that work overlaps the module loading and the runtime's wait for the
   * event; the invocation then shares the build in flight. Skipped without `ANTEROOM_PUBLIC_URL`
   * (the public URL would otherwise come from the first request). A build that fails is
   * forgotten and made again, and reported, by the invocation. Settles when done; never rejects.
   */
  warm(handler: string | undefined): Promise<void>;
}

export function createLambdaHandlers(options: LambdaHandlerOptions): LambdaHandlers {
  const container = new ContainerState(options);
  const publicApp = lazyApp((built) => buildPublicApp(built, options));
  // The container's metrics registry is built by the admin API's first `GET /metrics`.
  const adminApp = lazyApp(async (built) => {
    const { createAdminApp } = await import('../apps/admin-app.ts');
    return createAdminApp(built.deps);
  });

  const publicHandler = createHttpHandler({ kind: 'public', container, app: publicApp, fast: true });
  const adminHandler = createHttpHandler({ kind: 'admin', container, app: adminApp });
  return {
    container,
    publicHandler,
    adminHandler,
    async warm(handler) {
      if (!options.env.ANTEROOM_PUBLIC_URL) return;
      const name = handler?.slice(handler.lastIndexOf('.') + 1);
      let building: Promise<unknown> | null = null;
      if (name === 'publicHandler') building = publicHandler.warm();
      else if (name === 'adminHandler') building = adminHandler.warm();
      else if (name === 'scheduledHandler') {
        building = Promise.all([
          container.get(),
          import('./scheduled.ts'),
          import('../../queue-core/draw/seed.ts'),
        ]);
      }
      await building?.catch(() => {});
    },
    async scheduledHandler(_event, context) {
      const [built, { runScheduled }, { drawSecretOf }] = await Promise.all([
        container.get(),
        import('./scheduled.ts'),
        import('../../queue-core/draw/seed.ts'),
      ]);
      return runScheduled(
        {
          store: built.deps.store,
          room: built.deps.room,
          logger: built.deps.logger,
          drawSecret: () => drawSecretOf(built.deps.keys),
        },
        {
          publisher: built.publisher,
          owner: `lambda:${context.functionName}:${built.id}`,
          remainingMs: () => context.getRemainingTimeInMillis(),
          ...options.scheduled,
        },
      );
    },
  };
}

/**
 * The public app as `anteroom serve` serves it: the hot paths (`POST /assign_queue_num` and the
 * status polls, answered without Koa) in front of the Koa app, which the first request they hand
 * on builds. With OIDC clients configured the provider is mounted in it, built by the first
 * request under `/oidc`; its state goes to the DynamoDB table `ANTEROOM_OIDC_TABLE` when set,
 * else to the queue's Redis.
 */
function buildPublicApp(built: LambdaContainer, options: LambdaHandlerOptions): AppLike {
  const koa = lazyListener(async () => {
    const { createPublicApp } = await import('../apps/public-app.ts');
    const beforeRoutes = built.deps.config.oidc.clients.length === 0 ? [] : [oidcMiddleware(built, options)];
    return createPublicApp(built.deps, { beforeRoutes }).callback();
  }, built.deps.logger);
  const listener = withHotPaths(built.deps, koa);
  return { callback: () => listener };
}

function oidcMiddleware(built: LambdaContainer, options: LambdaHandlerOptions) {
  return oidcOnDemand(
    async () => {
      const { createOidcMiddleware, dynamoAdapter } = await import('../oidc/index.ts');
      const table = built.settings.oidcTable;
      const client = table ? (options.dynamoDb ?? new DynamoDb()) : undefined;
      const adapter = table && client ? dynamoAdapter(client, { tableName: table }) : undefined;
      // A failed build closes what it opened (inside `createOidcMiddleware`): the next request
      // under /oidc builds again, with a connection of its own.
      const provider = await createOidcMiddleware(built.deps, { adapter });
      built.closers.push(() => provider.close());
      return provider.middleware;
    },
    (error) => built.deps.logger.error({ err: error }, 'could not build the oidc provider'),
  );
}

/**
 * A listener built by its first request (shared by concurrent ones). A build that fails answers
 * 503 with Retry-After and is tried again by the next request.
 */
function lazyListener(
  build: () => Promise<RequestListener>,
  logger: LambdaContainer['deps']['logger'],
): RequestListener {
  let building: Promise<RequestListener> | null = null;
  return (req, res) => {
    if (building === null) {
      const attempt = build();
      building = attempt;
      attempt.catch((error: unknown) => {
        if (building === attempt) building = null;
        logger.error({ err: error }, 'could not build the public app');
      });
    }
    building.then(
      (listener) => listener(req, res),
      () => {
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '2' });
        res.end(JSON.stringify({ error: UNAVAILABLE, code: 'service_unavailable' }));
      },
    );
  };
}

const UNAVAILABLE = 'The waiting room is temporarily unavailable. Please retry shortly.';
