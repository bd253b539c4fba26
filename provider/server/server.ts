/**
 * `anteroom serve`: both listeners, the inlet loop and graceful shutdown.
 *
 * The inlet loop runs in every process, once a second: the room's `tick` runs each event's
 * inlet strategy (the store lets one process act per tick across the cluster) and the
 * queue-position expiry. SIGTERM (wired in cli.ts) stops accepting connections, ends the
 * status streams, lets in-flight requests finish, waits for a running tick, releases its
 * inlet leases (another process steers a max-size event at once) and closes the store.
 *
 * The signing keys are re-read every KEY_RELOAD_SECONDS, so a rotation made elsewhere
 * (`anteroom keys rotate`, another process) is published and then used here too.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { KEY_RELOAD_SECONDS, ROOM_DEFAULTS, SHUTDOWN_DRAIN_MS } from '../../queue-core/defaults.ts';
import type { TickReport } from '../../queue-core/room/room-api.ts';
import { endAllStreams } from '../api/status-stream.ts';
import { createAdminApp } from '../apps/admin-app.ts';
import { type AppDeps, type CreateDepsOptions, createAppDeps, reloadKeys } from '../apps/deps.ts';
import { createPublicApp } from '../apps/public-app.ts';
import { deploymentWarnings } from '../config/deployment-warnings.ts';
import type { AnteroomConfig } from '../config/server-config.ts';
import { createOidcMiddleware } from '../oidc/index.ts';
import { withHotPaths } from './hot-path.ts';
import { createLimitedServer } from './http-limits.ts';

export interface ServerOptions extends CreateDepsOptions {
  /** Middleware mounted in the public app before the queue API (the OIDC provider). */
  /** Inlet loop period (default 1000 ms). */
  tickMs?: number;
  /** How long shutdown waits for in-flight requests before cutting connections (default 10 s). */
  drainMs?: number;
  /** Key reload period (default KEY_RELOAD_SECONDS). */
  keyReloadMs?: number;
}

export interface RunningServer {
  deps: AppDeps;
  publicUrl: string;
  /** Where the public listener actually listens (`http://host:port`). */
  publicListenUrl: string;
  adminUrl: string;
  publicServer: Server;
  adminServer: Server;
  /** Graceful stop; resolves when everything is closed. Safe to call twice. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function urlOf(address: AddressInfo, configuredHost: string): string {
  const host = ['0.0.0.0', '::', ''].includes(configuredHost) ? 'localhost' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

function closeServer(server: Server, drainMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), drainMs);
    force.unref();
    // Keep-alive connections become idle as their in-flight requests (and status streams)
    // finish: close each as soon as it does, rather than waiting for the client's timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Re-reads the key source; a failed read keeps the keys this process has. */
function startKeyReload(deps: AppDeps, periodMs: number): { stop(): void } {
  let running = false;
  let failing = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void reloadKeys(deps, failing).then((read) => {
      if (read && failing) deps.logger.info('signing keys readable again');
      failing = !read;
      running = false;
    });
  }, periodMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The inlet loop of this process; `stop()` waits for a running pass. */
function startInletLoop(deps: AppDeps, tickMs: number): { stop(): Promise<void> } {
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let running: Promise<void> | null = null;
  let failing = false;
  // The adaptive inlets whose signal cannot be read, and why: logged when it starts or changes.
  const unreadable = new Map<string, string>();
  const logSignal = ({ eventId, inlet }: TickReport) => {
    if (inlet.signalError !== undefined) {
      if (unreadable.get(eventId) !== inlet.signalError) {
        deps.logger.warn(
          { event_id: eventId, reason: inlet.signalError },
          'adaptive inlet: no reading of the origin',
        );
      }
      unreadable.set(eventId, inlet.signalError);
    } else if (inlet.adaptive && unreadable.delete(eventId)) {
      deps.logger.info({ event_id: eventId }, 'adaptive inlet: reading the origin again');
    }
  };
  const pass = async () => {
    try {
      const reports = await deps.room.tick(owner);
      if (failing) deps.logger.info('inlet loop recovered');
      failing = false;
      for (const report of reports) {
        if (report.inlet.acted || report.expired > 0) {
          const { eventId, inlet, expired, serving } = report;
          deps.logger.debug(
            { event_id: eventId, acted: inlet.acted, incrementBy: inlet.incrementBy, expired, serving },
            'inlet tick',
          );
        }
        logSignal(report);
      }
    } catch (error) {
      // Log an outage once, not every second; the next pass retries.
      if (!failing) deps.logger.warn({ err: error }, 'inlet loop pass failed');
      failing = true;
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = pass().finally(() => {
      running = null;
    });
  }, tickMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      // Hand the max-size inlet to another process now, not when the lease runs out.
      await deps.room.releaseLeases(owner).catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'could not release the inlet leases (they expire on their own)');
      });
    },
  };
}

export async function startServer(
  config: AnteroomConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const deps = await createAppDeps(config, options);
  const { logger } = deps;
  for (const notice of config.notices) logger.warn({ notice: true }, notice);
  for (const warning of deploymentWarnings(config)) logger.warn({ deployment_warning: true }, warning);
  // Unreachable store at start: the health check and the 503s say so; no warning to give.
  for (const warning of await deps.store.configurationWarnings().catch(() => [])) {
    logger.warn({ store_warning: true }, warning);
  }

  // The OpenID Connect provider is mounted at /oidc when clients are configured.
  const oidc = config.oidc.clients.length > 0 ? await startOidc(deps) : null;
  const beforeRoutes = oidc ? [oidc.middleware] : [];
  const publicApp = createPublicApp(deps, { beforeRoutes });
  const hotPaths = withHotPaths(
    deps,
    publicApp.callback(),
    oidc ? { oidcEntry: oidc.entry, oidcPage: oidc.page } : {},
  );
  const publicServer = createLimitedServer(hotPaths, config.limits);
  const adminServer = createLimitedServer(createAdminApp(deps).callback(), config.limits);
  let publicAddress: AddressInfo;
  let adminAddress: AddressInfo;
  try {
    publicAddress = await listen(publicServer, config.listen.port, config.listen.host);
    adminAddress = await listen(adminServer, config.listen.adminPort, config.listen.adminHost);
  } catch (error) {
    publicServer.close();
    await oidc?.close();
    deps.room.close();
    await deps.store.close();
    throw error;
  }
  const inlet = startInletLoop(deps, options.tickMs ?? ROOM_DEFAULTS.tickMs);
  const keyReload = startKeyReload(deps, options.keyReloadMs ?? KEY_RELOAD_SECONDS * 1000);
  const publicListenUrl = urlOf(publicAddress, config.listen.host);
  const adminUrl = urlOf(adminAddress, config.listen.adminHost);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      logger.info('shutting down: no new connections, finishing in-flight requests');
      const drainMs = options.drainMs ?? SHUTDOWN_DRAIN_MS;
      const closed = Promise.all([closeServer(publicServer, drainMs), closeServer(adminServer, drainMs)]);
      endAllStreams();
      await closed;
      await inlet.stop();
      keyReload.stop();
      await oidc?.close();
      deps.room.close();
      await deps.store.close();
      logger.info('stopped');
    })();
    return closing;
  };

  return {
    deps,
    publicUrl: config.publicUrl,
    publicListenUrl,
    adminUrl,
    publicServer,
    adminServer,
    close,
  };
}

/** Build the OIDC provider; a bad client configuration closes the store before failing start-up. */
async function startOidc(deps: AppDeps) {
  try {
    return await createOidcMiddleware(deps);
  } catch (error) {
    deps.room.close();
    await deps.store.close();
    throw error;
  }
}
