/**
 * Browser-test support: the real `anteroom serve` server in-process (memory store, free
 * ports, manual inlets) and Debian's Chromium driven by playwright-core (no browser download).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { loadConfig } from '../../provider/config/server-config.ts';
import { type RunningServer, startServer } from '../../provider/server/server.ts';
import { testLogger } from '../support/logs.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const ADMIN_KEY = 'browser-test-admin-key-EMBTzGogqPbYHyj6MCRa67';
/** Screenshots land here (a CI artifact; ignored by git and biome). */
export const RESULTS_DIR = join(import.meta.dirname, '..', '..', 'test-results');

/**
 * Why the browser tests cannot run here, or false. Without Chromium they skip with that reason
 * on a developer machine; under CI (CI=true) they run anyway and fail, since CI installs it.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') return false;
  return `${CHROMIUM} is missing (apt-get install chromium); browser tests skipped`;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface TestServer {
  server: RunningServer;
  publicUrl: string;
  adminUrl: string;
  /** Call the admin API directly (set-up and checks that are not the subject of a test). */
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * One server for a test file, with one event per scenario so they cannot interfere. An event
 * given by id alone has a manual inlet; an object gives its settings. `now` controls the clock.
 */
export async function startTestServer(
  events: Array<string | Record<string, unknown>>,
  options: {
    now?: () => number;
    enqueuePerClientPerMinute?: number;
    trustProxy?: boolean | number;
    /** The `pages` configuration (language, wording). */
    pages?: Record<string, unknown>;
    /** Failed admin sign-ins a client may make per minute (default: the server's default). */
    adminFailuresPerClientPerMinute?: number;
    /** AWS key pairs the admin API accepts SigV4 signatures from. */
    adminSigV4Keys?: Array<Record<string, unknown>>;
  } = {},
): Promise<TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'anteroom-browser-'));
  const config = loadConfig({
    env: {},
    cwd: directory,
    raw: {
      listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: [ADMIN_KEY],
      store: { type: 'memory' },
      keys: { type: 'file', path: join(directory, 'keys.json') },
      events: events.map((event) =>
        typeof event === 'string' ? { id: event, inlet: { type: 'manual' } } : event,
      ),
      limits: {
        enqueuePerClientPerMinute: options.enqueuePerClientPerMinute ?? 0,
        trustProxy: options.trustProxy === true ? 1 : (options.trustProxy ?? false),
        ...(options.adminFailuresPerClientPerMinute === undefined
          ? {}
          : { adminFailuresPerClientPerMinute: options.adminFailuresPerClientPerMinute }),
      },
      ...(options.pages ? { pages: options.pages } : {}),
      ...(options.adminSigV4Keys ? { adminSigV4Keys: options.adminSigV4Keys } : {}),
    },
  });
  const server = await startServer(config, { defaultMetrics: false, now: options.now, logger: testLogger() });
  const publicUrl = server.publicListenUrl;
  const adminUrl = server.adminUrl;
  return {
    server,
    publicUrl,
    adminUrl,
    async admin(method, path, body) {
      const response = await fetch(`${adminUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok)
        throw new Error(`admin ${method} ${path} answered ${response.status}: ${await response.text()}`);
      return response.json();
    },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, `${name}.png`);
}

/** `count` visitors who join `eventId` through the JSON API, ahead of whoever comes next. */
export async function queueAhead(server: TestServer, eventId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${server.publicUrl}/assign_queue_num`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': `ahead-${eventId.replaceAll('.', '_')}-${i}-0123456789abcdefghijkl`,
      },
      body: JSON.stringify({ event_id: eventId }),
    });
    if (!response.ok) throw new Error(`assign_queue_num answered ${response.status}`);
  }
}
