/**
 * The three Lambda handlers of one container, built from explicit options so tests can run
 * several "containers" (each with its own environment) in one process. `provider/lambda.ts`
 * builds the real ones from `process.env`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAdminApp } from '../apps/admin-app.ts';
import { createPublicApp } from '../apps/public-app.ts';
import { createOidcMiddleware, dynamoAdapter } from '../oidc/index.ts';
import {
  type AppLike,
  type ContainerOptions,
  ContainerState,
  type LambdaContainer,
  lazyApp,
} from './container.ts';
import { type ApiGatewayHandler, createHttpHandler } from './http.ts';
import { type Clock, type EventRunReport, runScheduled } from './scheduled.ts';
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
}

export function createLambdaHandlers(options: LambdaHandlerOptions): LambdaHandlers {
  const container = new ContainerState(options);
  const publicApp = lazyApp((built) => buildPublicApp(built, options));
  const adminApp = lazyApp((built) => createAdminApp(built.deps));

  return {
    container,
    publicHandler: createHttpHandler({ kind: 'public', container, app: publicApp }),
    adminHandler: createHttpHandler({ kind: 'admin', container, app: adminApp }),
    async scheduledHandler(_event, context) {
      const built = await container.get();
      return runScheduled(
        { store: built.deps.store, room: built.deps.room, logger: built.deps.logger },
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
 * The public app as `anteroom serve` builds it, with the OIDC provider mounted when clients
 * are configured (without clients it could serve no relying party, and would only cost a
 * connection). Its state goes to the DynamoDB table `ANTEROOM_OIDC_TABLE` when set, else to
 * the queue's Redis.
 */
async function buildPublicApp(built: LambdaContainer, options: LambdaHandlerOptions): Promise<AppLike> {
  if (built.deps.config.oidc.clients.length === 0) return createPublicApp(built.deps);
  const table = built.settings.oidcTable;
  const adapter = table
    ? dynamoAdapter(options.dynamoDb ?? new DynamoDBClient({}), { tableName: table })
    : undefined;
  // A failed build closes what it opened (here and inside `createOidcMiddleware`): the next
  // invocation builds again, with a connection of its own.
  const oidc = await createOidcMiddleware(built.deps, { adapter });
  let app: AppLike;
  try {
    app = createPublicApp(built.deps, { beforeRoutes: [oidc.middleware] });
  } catch (error) {
    await oidc.close();
    throw error;
  }
  built.closers.push(() => oidc.close());
  return app;
}
