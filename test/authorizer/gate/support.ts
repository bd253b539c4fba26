/**
 * Site-gate test support: a real `anteroom serve` (memory store, manual inlet, admin listener),
 * admission through its admin API over HTTP, CloudFront viewer-request events as AWS documents
 * them, and a browser (cookie jar per host, manual redirects, navigation headers) that talks to
 * Anteroom over real HTTP and to the site either over real HTTP or through a Lambda@Edge handler.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type {
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontResultResponse,
  EdgeHandler,
} from '../../../authorizer/edge.ts';
import { loadConfig } from '../../../provider/config/server-config.ts';
import { type RunningServer, startServer } from '../../../provider/server/server.ts';
import { testKeys } from '../../provider/support.ts';
import { testLogger } from '../../support/logs.ts';
import { freePort } from '../../support/redis.ts';

export const SITE = 'https://site.test';
export const OTHER_SITE = 'https://other.test';
export const EVENT_ID = 'shop';
export const CLIENT_ID = 'site';
export const CLIENT_SECRET = 'site-client-secret-0123456789abcdef';
export const OTHER_CLIENT_ID = 'other-site';
export const OTHER_CLIENT_SECRET = 'other-client-secret-0123456789abcdef';
export const COOKIE_SECRET = 'gate-cookie-secret-0123456789abcdef-0123';
const ADMIN_KEY = 'gate-test-admin-key-W3kPq9ZxT7mLr2VbN8cJd5';

export interface Anteroom {
  server: RunningServer;
  issuer: string;
  /** Move the serving counter through the admin API (what an operator or inlet does). */
  admit(count: number): Promise<void>;
  /** End a visitor's session through the admin API (`update_session`, status 1 = completed). */
  endSession(requestId: string): Promise<void>;
  queueNumber(requestId: string): Promise<number>;
  close(): Promise<void>;
}

/** A real server; `sites` are the base URLs whose `/_anteroom/callback` the `site` client may use. */
export async function startAnteroom(
  options: { sites?: string[]; otherSites?: string[]; tokenValiditySeconds?: number } = {},
): Promise<Anteroom> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const callbacks = (sites: string[]) => sites.map((site) => `${site}/_anteroom/callback`);
  const config = loadConfig({
    raw: {
      publicUrl,
      listen: { port, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: [ADMIN_KEY],
      store: { type: 'memory' },
      keys: { type: 'env' },
      events: [
        {
          id: EVENT_ID,
          inlet: { type: 'manual' },
          tokenValiditySeconds: options.tokenValiditySeconds ?? 1800,
        },
      ],
      limits: { enqueuePerClientPerMinute: 0, authorizePerClientPerMinute: 0 },
      oidc: {
        cookieKeys: ['gate-test-cookie-key-0123456789abcdef'],
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: callbacks(options.sites ?? [SITE]),
            post_logout_redirect_uris: [`${SITE}/`],
            event_id: EVENT_ID,
          },
          {
            client_id: OTHER_CLIENT_ID,
            client_secret: OTHER_CLIENT_SECRET,
            redirect_uris: callbacks(options.otherSites ?? [OTHER_SITE]),
            event_id: EVENT_ID,
          },
        ],
      },
    },
    env: {},
  });
  const server = await startServer(config, { keys: await testKeys(), logger: testLogger() });
  async function admin(method: string, path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${server.adminUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, `admin ${path}: ${await response.clone().text()}`);
    return response.json();
  }
  return {
    server,
    issuer: `${publicUrl}/oidc`,
    async admit(count) {
      await admin('POST', '/increment_serving_counter', { event_id: EVENT_ID, increment_by: count });
    },
    async endSession(requestId) {
      await admin('POST', '/update_session', { event_id: EVENT_ID, request_id: requestId, status: 1 });
    },
    async queueNumber(requestId) {
      const url = `${publicUrl}/queue_num?event_id=${EVENT_ID}&request_id=${encodeURIComponent(requestId)}`;
      return ((await (await fetch(url)).json()) as { queue_number: number }).queue_number;
    },
    close: () => server.close(),
  };
}

// ---------------------------------------------------------------------------------
// CloudFront events.

/** A viewer-request event as CloudFront hands it to Lambda@Edge (AWS's documented example shape). */
export function viewerRequest(
  url: URL,
  headers: Record<string, string | string[]> = {},
  method = 'GET',
): CloudFrontRequestEvent {
  const cf: CloudFrontRequest['headers'] = {
    host: [{ key: 'Host', value: url.host }],
    'user-agent': [{ key: 'User-Agent', value: 'Mozilla/5.0 (gate test)' }],
  };
  for (const [name, value] of Object.entries(headers)) {
    cf[name.toLowerCase()] = (Array.isArray(value) ? value : [value]).map((entry) => ({
      key: name,
      value: entry,
    }));
  }
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'viewer-request',
            requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
          },
          request: {
            clientIp: '203.0.113.178',
            headers: cf,
            method,
            querystring: url.search.replace(/^\?/, ''),
            uri: url.pathname,
          },
        },
      },
    ],
  };
}

export function isResponse(
  result: CloudFrontRequest | CloudFrontResultResponse,
): result is CloudFrontResultResponse {
  return typeof (result as CloudFrontResultResponse).status === 'string';
}

/** A header of a CloudFront request or response, by lower-case name. */
export function cfHeader(
  headers: CloudFrontRequest['headers'] | undefined,
  name: string,
): string | undefined {
  return headers?.[name]?.[0]?.value;
}

// ---------------------------------------------------------------------------------
// The browser.

export interface Visit {
  url: URL;
  status: number;
  location: URL | null;
  setCookies: string[];
  body: string;
  headers: Record<string, string>;
  /** Through the edge handler: the request CloudFront would send to the origin, or null. */
  forwarded: CloudFrontRequest | null;
}

interface Cookie {
  host: string;
  name: string;
  value: string;
}

const NAVIGATION = {
  accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'user-agent': 'anteroom-gate-test/1 (like a browser)',
};

export class GateBrowser {
  /** Keyed by host (browsers share cookies across ports) and name; every cookie here has Path=/ or is Anteroom's. */
  readonly cookies = new Map<string, Cookie>();
  /** Sites served by a Lambda@Edge handler instead of over HTTP: origin → handler. */
  readonly edges = new Map<string, EdgeHandler>();

  cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => cookie.host === url.hostname)
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  cookie(host: string, name: string): string | undefined {
    return this.cookies.get(`${host};${name}`)?.value;
  }

  setCookie(host: string, name: string, value: string): void {
    this.cookies.set(`${host};${name}`, { host, name, value });
  }

  names(host: string): string[] {
    return [...this.cookies.values()].filter((cookie) => cookie.host === host).map((cookie) => cookie.name);
  }

  store(url: URL, lines: string[]): void {
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((attribute) => /^max-age=(0|-\d+)$/i.test(attribute));
      const key = `${url.hostname};${name}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { host: url.hostname, name, value });
    }
  }

  /** One navigation (GET unless `method`); redirects are returned, not followed. */
  async visit(target: string | URL, options: { headers?: Record<string, string>; method?: string } = {}) {
    const url = new URL(target);
    const headers: Record<string, string> = { ...NAVIGATION, ...options.headers };
    const cookie = this.cookieHeader(url);
    if (cookie !== '') headers['cookie'] = cookie;
    const edge = this.edges.get(url.origin);
    const visit = edge
      ? await this.throughEdge(edge, url, headers, options.method)
      : await this.overHttp(url, headers, options.method);
    this.store(url, visit.setCookies);
    return visit;
  }

  private async throughEdge(
    edge: EdgeHandler,
    url: URL,
    headers: Record<string, string>,
    method = 'GET',
  ): Promise<Visit> {
    const result = await edge(viewerRequest(url, headers, method));
    if (!isResponse(result)) {
      return { url, status: 0, location: null, setCookies: [], body: '', headers: {}, forwarded: result };
    }
    const flat: Record<string, string> = {};
    for (const [name, entries] of Object.entries(result.headers ?? {})) {
      assert.equal(name, name.toLowerCase(), 'CloudFront header names are lower-case');
      flat[name] = entries.map((entry) => entry.value).join(', ');
    }
    const location = cfHeader(result.headers, 'location');
    return {
      url,
      status: Number(result.status),
      location: location === undefined ? null : new URL(location, url),
      setCookies: (result.headers?.['set-cookie'] ?? []).map((entry) => entry.value),
      body: result.body ?? '',
      headers: flat,
      forwarded: null,
    };
  }

  private overHttp(url: URL, headers: Record<string, string>, method = 'GET'): Promise<Visit> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({
            url,
            status: res.statusCode ?? 0,
            location: res.headers.location === undefined ? null : new URL(res.headers.location, url),
            setCookies: res.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8'),
            headers: flat,
            forwarded: null,
          });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }
}

/** Follow redirects (at most `hops`) while they stay on `origin`; the first visit elsewhere or not a redirect. */
export async function followWithin(
  browser: GateBrowser,
  start: URL,
  origin: string,
  hops = 8,
): Promise<Visit> {
  let visit = await browser.visit(start);
  for (let hop = 0; hop < hops && visit.location !== null && visit.location.origin === origin; hop++) {
    visit = await browser.visit(visit.location);
  }
  return visit;
}

/**
 * From a protected URL of the site to the callback: out to Anteroom, the waiting page, admission
 * by the operator, back with a code. Returns the authorization request and the callback URL.
 */
export async function queueThrough(
  browser: GateBrowser,
  anteroom: Anteroom,
  protectedUrl: URL,
): Promise<{ start: Visit; authorization: URL; callback: URL }> {
  const start = await browser.visit(protectedUrl);
  assert.equal(start.status, 302, `expected the redirect to Anteroom, got ${start.status}: ${start.body}`);
  const authorization = start.location as URL;
  assert.equal(`${authorization.origin}${authorization.pathname}`, `${anteroom.issuer}/auth`);
  const issuerOrigin = new URL(anteroom.issuer).origin;
  const waiting = await followWithin(browser, authorization, issuerOrigin);
  assert.equal(waiting.status, 200, 'the waiting page');
  assert.match(waiting.body, /in the queue/i);
  await anteroom.admit(1);
  const back = await followWithin(browser, waiting.url, issuerOrigin);
  assert.ok(back.location, `Anteroom should send the visitor back, got ${back.status}`);
  return { start, authorization, callback: back.location };
}
