/**
 * Shared set-up of the Lambda suites: a configuration in the environment variables the CDK
 * stack sets, Lambda "containers" (handler sets, each with its own lazily built state) and
 * bridges in front of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLambdaHandlers,
  type LambdaHandlerOptions,
  type LambdaHandlers,
} from '../../provider/lambda/handlers.ts';
import { type ApiGatewayHandler, type LambdaBridgeOptions, lambdaBridge } from '../support/lambda-bridge.ts';
import { testLogger } from '../support/logs.ts';

export const ADMIN_KEY = 'lambda-admin-key-qCPPzhraDzvwcfSR9QHTEt';

export interface Fixture {
  /** Environment every container starts from (the test adds per-container variables). */
  env: Record<string, string>;
  /** A container: its own handlers and state, as a separate Lambda execution environment. */
  container(options?: Partial<LambdaHandlerOptions>): LambdaHandlers;
  /** A bridge server, listening, with its base URL. */
  bridge(handler: ApiGatewayHandler, options: LambdaBridgeOptions): Promise<{ server: Server; url: string }>;
  close(): Promise<void>;
}

export function createFixture(redisUrl: string, config: Record<string, unknown>): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'anteroom-lambda-'));
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    ANTEROOM_CONFIG_JSON: JSON.stringify(config),
    ANTEROOM_KEYS_FILE: join(dir, 'keys.json'),
    ANTEROOM_ADMIN_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
  };
  const containers: LambdaHandlers[] = [];
  const servers: Server[] = [];
  return {
    env,
    container(options = {}) {
      const handlers = createLambdaHandlers({
        ...options,
        env: { ...env, ...options.env },
        deps: { cacheMs: 0, defaultMetrics: false, ...options.deps },
        logger: testLogger(),
      });
      containers.push(handlers);
      return handlers;
    },
    async bridge(handler, options) {
      const server = lambdaBridge(handler, options);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { server, url: `http://127.0.0.1:${port}` };
    },
    async close() {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await Promise.all(containers.map((handlers) => handlers.container.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A handler that calls whatever `target` holds at request time (bridge first, container after). */
export function lateBound(): { handler: ApiGatewayHandler; bind(target: ApiGatewayHandler): void } {
  let target: ApiGatewayHandler | null = null;
  return {
    handler: (event, context) => {
      if (!target) throw new Error('no handler bound yet');
      return target(event, context);
    },
    bind(next) {
      target = next;
    },
  };
}
