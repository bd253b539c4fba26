/**
 * The built-in sample relying party at /sample-site/: the real server (`startServer`) in the
 * no-configuration development mode, a fetch + cookie-jar browser with manual redirects, the
 * whole code flow through the waiting room, and the refusals (tampered state, not configured).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../provider/config/server-config.ts';
import { type RunningServer, startServer } from '../../provider/server/server.ts';
import { Browser, navigate } from '../provider/oidc/harness.ts';
import { testKeys } from '../provider/support.ts';
import { testLogger } from '../support/logs.ts';
import { startPrefixProxy } from '../support/prefix-proxy.ts';
import { freePort } from '../support/redis.ts';

/** No inlet pass during a test: only the test admits (the demo event's inlet would otherwise). */
const NO_TICKS = 3_600_000;

async function startDevServer(env: NodeJS.ProcessEnv = {}, port?: number): Promise<RunningServer> {
  port ??= await freePort();
  // No configuration file, no events, no clients: the development mode of `npm start`.
  const config = loadConfig({
    cwd: mkdtempSync(join(tmpdir(), 'anteroom-sample-site-')),
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      ANTEROOM_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
  });
  return startServer(config, { keys: await testKeys(), logger: testLogger(), tickMs: NO_TICKS });
}

function setCookies(response: Response): string[] {
  return response.headers.getSetCookie();
}

/** `/sample-site/` → the provider → the waiting page; the visitor is then admitted and comes back. */
async function signIn(server: RunningServer, browser: Browser) {
  const site = `${server.publicUrl}/sample-site/`;
  const start = await browser.fetch(site);
  await start.body?.cancel();
  assert.equal(start.status, 302);
  const authorization = new URL(start.headers.get('Location') ?? '');
  const waiting = await navigate(browser, authorization, site);
  assert.ok(waiting.kind === 'page', 'the visitor waits in the queue first');
  assert.equal(waiting.status, 200);
  assert.equal(waiting.url.origin, new URL(server.publicUrl).origin);
  assert.match(waiting.url.pathname, /\/oidc\/interaction\/[\w-]+$/);
  assert.match(waiting.html, /in the queue/i);
  await server.deps.room.incrementServingCounter('demo', 1, 'test');
  const back = await navigate(browser, waiting.url, site);
  assert.ok(back.kind === 'callback', 'once admitted, the provider answers the sample site');
  return { start, authorization, callback: back.url };
}

describe('sample site in development mode', () => {
  let server: RunningServer;
  before(async () => {
    server = await startDevServer();
  });
  after(() => server.close());

  test('the development configuration registers the sample client and turns the site on', () => {
    const { config } = server.deps;
    assert.equal(config.sampleSite, true);
    const client = config.oidc.clients[0] as Record<string, unknown>;
    assert.equal(client.client_id, 'sample-site');
    assert.equal(client.event_id, 'demo');
    assert.deepEqual(client.redirect_uris, [`${server.publicUrl}/sample-site/callback`]);
    assert.ok(typeof client.client_secret === 'string' && client.client_secret.length >= 32);
  });

  test('a visitor signs in through the waiting room and sees the claims', async () => {
    const browser = new Browser();
    const { start, authorization, callback } = await signIn(server, browser);

    // The authorization request: code flow, PKCE S256, state and nonce, our registered redirect URI.
    assert.equal(authorization.origin + authorization.pathname, `${server.publicUrl}/oidc/auth`);
    const params = authorization.searchParams;
    assert.equal(params.get('client_id'), 'sample-site');
    assert.equal(params.get('redirect_uri'), `${server.publicUrl}/sample-site/callback`);
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('scope'), 'openid');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.match(params.get('state') ?? '', /^[\w-]{43}$/);
    assert.match(params.get('nonce') ?? '', /^[\w-]{43}$/);
    const flowCookie = setCookies(start).find((line) => line.startsWith('anteroom_sample_flow='));
    assert.ok(flowCookie);
    assert.match(flowCookie, /; Path=\/sample-site\/;/);
    assert.match(flowCookie, /; HttpOnly/);
    assert.match(flowCookie, /; SameSite=Lax/);

    assert.equal(callback.searchParams.get('state'), params.get('state'));
    const answered = await browser.fetch(callback);
    assert.equal(answered.status, 302);
    assert.equal(answered.headers.get('Location'), '/sample-site/');
    assert.ok(setCookies(answered).some((line) => line.startsWith('anteroom_sample_session=')));

    const home = await browser.fetch(`${server.publicUrl}/sample-site/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('Content-Security-Policy') ?? '', /script-src 'self'/);
    const page = await home.text();
    assert.match(page, /You are in — admitted from the waiting room/);
    assert.match(page, /data-claim="queue_position">1</);
    assert.match(page, /data-claim="event_id">demo</);
    assert.match(page, /data-claim="queued_at">\d{4}-\d\d-\d\dT/);
    assert.match(page, /data-claim="admitted_at">\d{4}-\d\d-\d\dT/);
    assert.match(page, /href="\/assets\/anteroom\.css"/);
    assert.doesNotMatch(page, /<script>/);
  });

  test('a tampered state is refused: a 400 page and no session', async () => {
    const browser = new Browser();
    const { callback } = await signIn(server, browser);
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const refused = await browser.fetch(tampered);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /could not be checked/);
    assert.ok(!setCookies(refused).some((line) => /^anteroom_sample_session=[^;]/.test(line)));
    // The flow cookie is spent: the genuine answer cannot be replayed after the refusal.
    const replay = await browser.fetch(callback);
    assert.equal(replay.status, 400);
    // Still not signed in: the site sends the browser to the provider again.
    const home = await browser.fetch(`${server.publicUrl}/sample-site/`);
    assert.equal(home.status, 302);
    await home.body?.cancel();
  });

  test('an altered flow cookie is refused', async () => {
    const browser = new Browser();
    const { callback } = await signIn(server, browser);
    // The first character, not the last: a base64url string's last character may carry padding
    // bits that decoding ignores, so changing it can leave the bytes (and the seal) intact.
    for (const cookie of browser.cookies.values()) {
      if (cookie.name === 'anteroom_sample_flow')
        cookie.value = cookie.value.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    }
    const refused = await browser.fetch(callback);
    assert.equal(refused.status, 400);
    await refused.body?.cancel();
  });

  test('signing out ends the local session and returns through the provider to the site', async () => {
    const browser = new Browser();
    const { callback } = await signIn(server, browser);
    await (await browser.fetch(callback)).body?.cancel();
    const site = `${server.publicUrl}/sample-site/`;
    const confirm = await navigate(browser, `${site}logout`, site);
    assert.ok(confirm.kind === 'page');
    assert.equal(confirm.status, 200);
    assert.ok(![...browser.cookies.values()].some((cookie) => cookie.name === 'anteroom_sample_session'));
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1];
    assert.ok(xsrf);
    const done = await navigate(browser, `${server.publicUrl}/oidc/session/end/confirm`, site, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    assert.ok(done.kind === 'callback');
    assert.equal(done.url.href, site);
  });

  test('the demo waiting page sends admitted visitors on to the sample site', async () => {
    const browser = new Browser();
    const origin = server.publicUrl;
    const joined = await browser.fetch(`${origin}/waiting-room/demo/join`, {
      method: 'POST',
      headers: { Origin: origin },
    });
    assert.equal(joined.status, 303);
    await joined.body?.cancel();
    await server.deps.room.incrementServingCounter('demo', 5, 'test');
    const admitted = await browser.fetch(`${origin}/waiting-room/demo/admit`, {
      method: 'POST',
      headers: { Origin: origin },
    });
    assert.equal(admitted.status, 303);
    await admitted.body?.cancel();
    const page = await (await browser.fetch(`${origin}/waiting-room/demo`)).text();
    assert.match(page, /<a class="button primary" href="\/sample-site\/">Continue to the site<\/a>/);
  });
});

describe('sample site behind a proxy that mounts Anteroom under /queue', () => {
  test('every URL keeps the prefix, and the code is redeemed over the listener, not the proxy', async () => {
    const listenPort = await freePort();
    // The proxy refuses anything outside /queue/: a token request sent to publicUrl's origin
    // without the prefix, or one that went out through the proxy, would show up here.
    let proxied = 0;
    const proxy = await startPrefixProxy('/queue', listenPort);
    proxy.server.on('request', (req) => {
      if (req.url?.startsWith('/queue/oidc/token')) proxied += 1;
    });
    const server = await startDevServer({ ANTEROOM_PUBLIC_URL: proxy.base }, listenPort);
    try {
      assert.equal(server.publicUrl, proxy.base);
      const browser = new Browser();
      const { start, authorization, callback } = await signIn(server, browser);
      assert.equal(authorization.href.split('?')[0], `${proxy.base}/oidc/auth`);
      assert.match(
        setCookies(start).find((line) => line.startsWith('anteroom_sample_flow=')) ?? '',
        /; Path=\/queue\/sample-site\/;/,
      );
      assert.equal(callback.href.split('?')[0], `${proxy.base}/sample-site/callback`);
      const answered = await browser.fetch(callback);
      assert.equal(answered.status, 302, await answered.clone().text());
      assert.equal(answered.headers.get('Location'), '/queue/sample-site/');
      assert.equal(proxied, 0);
      const home = await browser.fetch(`${proxy.base}/sample-site/`);
      const page = await home.text();
      assert.equal(home.status, 200);
      assert.match(page, /data-claim="queue_position">1</);
      assert.match(page, /href="\/queue\/assets\/anteroom\.css"/);
      assert.match(page, /href="\/queue\/sample-site\/logout"/);
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});

describe('sample site when configured', () => {
  test('with events configured there is no sample site (404) and no sample client', async () => {
    const port = await freePort();
    const config = loadConfig({
      cwd: mkdtempSync(join(tmpdir(), 'anteroom-sample-site-')),
      raw: {
        publicUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
        events: [{ id: 'sale', inlet: { type: 'manual' } }],
      },
      env: {},
    });
    assert.equal(config.sampleSite, false);
    assert.deepEqual(config.oidc.clients, []);
    const configured = await startServer(config, {
      keys: await testKeys(),
      logger: testLogger(),
      tickMs: NO_TICKS,
    });
    try {
      const response = await fetch(`${configured.publicUrl}/sample-site/`, { redirect: 'manual' });
      assert.equal(response.status, 404);
      await response.body?.cancel();
    } finally {
      await configured.close();
    }
  });
});
