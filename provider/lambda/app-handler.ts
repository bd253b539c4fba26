/**
 * A Lambda handler around an app that already exists, with its deps: how an HTTP test suite
 * built for `anteroom serve` (its own store, clock and key ring) runs a second time through
 * the API Gateway event shapes. Point supertest at `lambdaBridge(lambdaHandlerForApp(...))`.
 * The production handlers (`provider/lambda.ts`) build their container from the environment.
 */
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../apps/deps.ts';
import type { AppLike, LambdaContainer } from './container.ts';
import { type EventPublisher, noopPublisher } from './events.ts';
import { type ApiGatewayHandler, createHttpHandler } from './http.ts';

export interface AppHandlerOptions {
  kind: 'public' | 'admin';
  /** Required `x-anteroom-origin-secret` (public handler), or none. */
  originSecret?: string | null;
  publisher?: EventPublisher;
}

export function lambdaHandlerForApp(
  app: AppLike,
  deps: AppDeps,
  options: AppHandlerOptions,
): ApiGatewayHandler {
  const container: LambdaContainer = {
    id: randomUUID(),
    settings: {
      config: deps.config,
      originSecret: options.originSecret ?? null,
      eventBus: null,
      oidcTable: null,
      ledgerTable: null,
    },
    deps,
    publisher: options.publisher ?? noopPublisher,
    closers: [],
  };
  const ready = Promise.resolve(container);
  // The public handler answers the fast paths from the event, as the production one does.
  return createHttpHandler({
    kind: options.kind,
    container: { get: () => ready },
    app: async () => app,
    fast: options.kind === 'public',
  });
}
