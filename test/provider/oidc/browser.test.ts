/**
 * A real browser (Debian's Chromium through playwright-core): a protected demo page sends the
 * visitor to Anteroom, the visitor waits on the waiting page, is admitted by the operator, and
 * lands back on the demo page logged in — no click needed (the page's poll reloads it). The
 * demo relying party uses openid-client, as a real site would.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as oc from 'openid-client';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowser } from '../../browser/support.ts';
import { CLIENTS, COOKIE_KEYS, type OidcServer, startOidcServer } from './harness.ts';

const skip = browserSkipReason();
/** Bounds a broken run only: every wait ends as soon as the page shows the state. */
const WAIT = { timeout: 20_000 };
const DEMO_SECRET = 'demo-site-secret-0123456789abcdef';

/** The demo site: one protected page, an OIDC callback, sessions in memory. */
function demoSite(getConfig: () => oc.Configuration) {
  const pending = new Map<string, { verifier: string; state: string; nonce: string }>();
  const sessions = new Map<string, Record<string, unknown>>();
  let counter = 0;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const cookie = /demo=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    try {
      if (url.pathname === '/callback' && cookie && pending.has(cookie)) {
        const flow = pending.get(cookie)!;
        const tokens = await oc.authorizationCodeGrant(getConfig(), url, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
        });
        sessions.set(cookie, tokens.claims()!);
        res.writeHead(303, { Location: '/' }).end();
        return;
      }
      const claims = cookie === undefined ? undefined : sessions.get(cookie);
      if (claims !== undefined) {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(
          `<h1>Welcome to the sale</h1><p id="who">Logged in, queue position ${claims['queue_position']}</p>`,
        );
        return;
      }
      const id = `s${++counter}`;
      const flow = {
        verifier: oc.randomPKCECodeVerifier(),
        state: oc.randomState(),
        nonce: oc.randomNonce(),
      };
      pending.set(id, flow);
      const target = oc.buildAuthorizationUrl(getConfig(), {
        redirect_uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
        scope: 'openid',
        code_challenge: await oc.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      res.writeHead(302, { Location: target.href, 'Set-Cookie': `demo=${id}; Path=/; HttpOnly` }).end();
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  return server;
}

describe('a protected site behind Anteroom, in a browser', { skip }, () => {
  let anteroom: OidcServer;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let config: oc.Configuration;

  before(async () => {
    site = demoSite(() => config);
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    const demo = {
      client_id: 'demo',
      client_secret: DEMO_SECRET,
      redirect_uris: [`${siteUrl}/callback`],
      event_id: 'event-a',
    };
    anteroom = await startOidcServer({
      raw: { oidc: { clients: [...CLIENTS, demo], cookieKeys: COOKIE_KEYS } },
    });
    config = await oc.discovery(
      new URL(anteroom.issuer),
      'demo',
      DEMO_SECRET,
      oc.ClientSecretBasic(DEMO_SECRET),
      {
        execute: [oc.allowInsecureRequests],
      },
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await anteroom?.close();
    site?.closeAllConnections();
    site?.close();
  });

  test('protected page → waiting page → admitted → back on the page, logged in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${siteUrl}/`);
    assert.match(page.url(), /\/oidc\/interaction\//);
    await page.getByRole('heading', { name: /in the queue|You're next/i }).waitFor(WAIT);
    assert.equal(await page.locator('[data-field="queue_number"]').textContent(), '1');

    await anteroom.admit('event-a', 1);
    await page.waitForURL(`${siteUrl}/`, WAIT);
    assert.equal(await page.locator('#who').textContent(), 'Logged in, queue position 1');
    assert.deepEqual(consoleErrors, []);

    // Back to the site later: still logged in at the site; and a fresh Anteroom flow passes at once.
    await page.goto(`${siteUrl}/`);
    assert.match((await page.locator('#who').textContent()) ?? '', /Logged in/);
    await context.close();
  });
});
