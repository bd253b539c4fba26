/**
 * End-to-end harness for the OIDC provider: the real public app (queue API, pages, provider
 * under /oidc) on a real HTTP server on a free port, a memory queue store, and a "browser"
 * made of fetch + a cookie jar with manual redirects. Optionally the whole app sits under a
 * path prefix that a front proxy strips (API Gateway stage, nginx location).
 *
 * With `ANTEROOM_TEST_LAMBDA=v1|v2` every request goes through the Lambda public handler as an
 * API Gateway REST (v1) or HTTP API (v2) event instead (the prefix becomes the stage), so the
 * same suites prove the provider on Lambda (`test/lambda/oidc-suite.*.test.ts`).
 *
 * Otherwise requests reach the app as `anteroom serve` hands them over: through its fast path
 * (`withHotPaths`, which parks `GET /oidc/auth` itself), or, with `stack: 'koa'`, straight to
 * the Koa app.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oc from 'openid-client';
import { type AppDeps, createAppDeps } from '../../../provider/apps/deps.ts';
import { createPublicApp } from '../../../provider/apps/public-app.ts';
import { loadConfig } from '../../../provider/config/server-config.ts';
import { lambdaHandlerForApp } from '../../../provider/lambda/app-handler.ts';
import type { AdapterFactory } from '../../../provider/oidc/adapters/types.ts';
import { createOidcMiddleware, type OidcMiddleware } from '../../../provider/oidc/index.ts';
import { withHotPaths } from '../../../provider/server/hot-path.ts';
import { createKeysDocument } from '../../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../../queue-core/store/memory-store.ts';
import { lambdaListener } from '../../support/lambda-bridge.ts';
import { testLogger } from '../../support/logs.ts';

export const SECRET_A = 'client-a-secret-0123456789abcdef';
export const SECRET_B = 'client-b-secret-0123456789abcdef';
export const RP = 'https://rp.example.test';
export const COOKIE_KEYS = ['cookie-key-0123456789abcdef0123456789'];

export const EVENTS = [
  { id: 'event-a', inlet: { type: 'manual' }, tokenValiditySeconds: 1800 },
  { id: 'event-b', inlet: { type: 'manual' } },
  { id: 'open', mode: 'passthrough' },
  { id: 'shut', mode: 'closed' },
];

export const CLIENTS = [
  {
    client_id: 'client-a',
    client_secret: SECRET_A,
    redirect_uris: [`${RP}/a/callback`],
    event_id: 'event-a',
    refresh: true,
  },
  {
    client_id: 'client-b',
    client_secret: SECRET_B,
    redirect_uris: [`${RP}/b/callback`],
    event_id: 'event-b',
  },
  {
    client_id: 'spa',
    redirect_uris: ['http://localhost:5173/callback'],
    event_id: 'event-a',
    audience: 'https://api.shop.example',
  },
  {
    client_id: 'open-client',
    client_secret: SECRET_A,
    redirect_uris: [`${RP}/open/callback`],
    event_id: 'open',
    post_logout_redirect_uris: [`${RP}/bye`],
  },
  {
    client_id: 'shut-client',
    client_secret: SECRET_A,
    redirect_uris: [`${RP}/shut/callback`],
    event_id: 'shut',
  },
];

let ring: Promise<KeyRing> | undefined;
function keys(): Promise<KeyRing> {
  ring ??= createKeysDocument('ES256').then((document) =>
    KeyRing.fromDocument(document, { algorithm: 'ES256' }),
  );
  return ring;
}

export interface OidcServer {
  base: string;
  issuer: string;
  deps: AppDeps;
  oidc: OidcMiddleware;
  /** Move an event's serving counter (what the admin API does). */
  admit(eventId: string, by: number): Promise<number>;
  close(): Promise<void>;
}

function lambdaFormat(): 'v1' | 'v2' | undefined {
  const format = process.env.ANTEROOM_TEST_LAMBDA;
  if (format === undefined || format === '') return undefined;
  if (format !== 'v1' && format !== 'v2')
    throw new Error(`ANTEROOM_TEST_LAMBDA must be v1 or v2, not ${format}`);
  return format;
}

export async function startOidcServer(
  options: {
    prefix?: string;
    adapter?: AdapterFactory;
    raw?: Record<string, unknown>;
    /** Epoch-seconds clock of the room and of admission windows (default: real time). */
    now?: () => number;
    /** The signing keys (default: one ring shared by every server of the process). */
    keys?: KeyRing;
    /** `serve` (default): through `anteroom serve`'s fast path; `koa`: the Koa app alone. */
    stack?: 'serve' | 'koa';
  } = {},
): Promise<OidcServer> {
  const prefix = options.prefix ?? '';
  const lambda = lambdaFormat();
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer((req, res) => {
    // The front proxy: strips the prefix the way an API Gateway stage or nginx location does.
    if (prefix !== '' && !lambda) {
      if (!req.url?.startsWith(`${prefix}/`)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      req.url = req.url.slice(prefix.length);
    }
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}${prefix}`;
  const { deps, oidc, app } = await buildOidcApp(base, options);
  handler = lambda
    ? lambdaListener(lambdaHandlerForApp(app, deps, { kind: 'public' }), {
        format: lambda,
        stage: prefix === '' ? undefined : prefix.slice(1),
      })
    : options.stack === 'koa'
      ? app.callback()
      : withHotPaths(deps, app.callback(), { oidcEntry: oidc.entry, oidcPage: oidc.page });
  return {
    base,
    issuer: oidc.issuer,
    deps,
    oidc,
    admit: (eventId, by) => deps.room.incrementServingCounter(eventId, by, 'test'),
    async close() {
      await oidc.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The public app with the provider mounted, for `publicUrl` (memory queue store, real time). */
export async function buildOidcApp(
  base: string,
  options: {
    adapter?: AdapterFactory;
    raw?: Record<string, unknown>;
    now?: () => number;
    keys?: KeyRing;
  } = {},
) {
  const config = loadConfig({
    raw: {
      publicUrl: base,
      adminKeys: ['oidc-test-admin-key-uxdw9Dn9BoSVcNM7Hojx2n'],
      events: EVENTS,
      limits: { enqueuePerClientPerMinute: 0 },
      keys: { type: 'env' },
      oidc: { clients: CLIENTS, cookieKeys: COOKIE_KEYS },
      ...options.raw,
    },
    env: {},
  });
  const deps = await createAppDeps(config, {
    store: new MemoryStore(),
    keys: options.keys ?? (await keys()),
    logger: testLogger(),
    cacheMs: 0,
    defaultMetrics: false,
    ...(options.now ? { now: options.now } : {}),
  });
  const oidc = await createOidcMiddleware(deps, {
    ...(options.adapter ? { adapter: options.adapter } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const app = createPublicApp(deps, { beforeRoutes: [oidc.middleware] });
  return { deps, oidc, app };
}

// ---------------------------------------------------------------------------------
// The browser: fetch, a cookie jar, manual redirects.

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export class Browser {
  readonly cookies = new Map<string, Cookie>();

  cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter(
        (cookie) =>
          url.pathname === cookie.path ||
          url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`),
      )
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val;
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
      }
      const key = `${name};${path}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url);
    if (cookie !== '') headers.set('Cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response);
    return response;
  }
}

export type Landing =
  /** Back at the relying party's redirect URI (not fetched). */
  | { kind: 'callback'; url: URL }
  /** An HTML page of ours (waiting page, closed page, error page). */
  | { kind: 'page'; url: URL; status: number; html: string };

/** Follow redirects from `start` until the relying party's URI (`rp`) or a page. */
export async function navigate(
  browser: Browser,
  start: string | URL,
  rp = RP,
  init: RequestInit = {},
): Promise<Landing> {
  let url = new URL(start);
  let request = init;
  for (let hop = 0; hop < 10; hop++) {
    const response = await browser.fetch(url, request);
    const location = response.headers.get('Location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      url = new URL(location, url);
      request = {};
      if (url.href.startsWith(rp) || url.href.startsWith('http://localhost:5173'))
        return { kind: 'callback', url };
      continue;
    }
    return { kind: 'page', url, status: response.status, html: await response.text() };
  }
  throw new Error(`too many redirects from ${start}`);
}

/** openid-client's configuration for a confidential client of `server` (client_secret_post). */
export function discoverClient(
  server: OidcServer,
  clientId: string,
  secret: string,
): Promise<oc.Configuration> {
  return oc.discovery(new URL(server.issuer), clientId, secret, oc.ClientSecretPost(secret), {
    execute: [oc.allowInsecureRequests],
  });
}

/** An authorization request as a relying party makes it: PKCE S256, `state`, `nonce`. */
export async function startFlow(
  config: oc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await oc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}
