/**
 * The Apache `mod_auth_openidc` recipe of docs/oidc.md, end to end: a private Apache protects
 * /protected/ with Anteroom (started in-process) as its OpenID Connect provider. The visitor
 * is sent to Anteroom, waits on the waiting page (Apache gets nothing while they wait), is
 * admitted, comes back with a code that Apache exchanges, and the page is served with the
 * waiting-room claims Apache took from the ID token and userinfo.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../provider/config/server-config.ts';
import { type RunningServer, startServer } from '../../provider/server/server.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { testLogger } from '../support/logs.ts';
import { freePort } from '../support/redis.ts';
import { type ApacheServer, apacheSkipReason, startApache } from './apache.ts';
import { NavigatingBrowser, type Page } from './browser.ts';

const EVENT_ID = 'shop';
const CLIENT_ID = 'apache';
const CLIENT_SECRET = 'apache-client-secret-0123456789';
const PAGE = 'the protected page\n';
const ADMIN_KEY = 'e2e-admin-key-M74qmsZT77iSNSTjLY63ih';

/** The recipe's directives, with the test's URLs, plus what a plain-http test needs. */
function recipe(issuer: string, redirectUri: string, loggedOutUrl: string): string[] {
  return [
    `OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration`,
    `OIDCClientID ${CLIENT_ID}`,
    `OIDCClientSecret ${CLIENT_SECRET}`,
    `OIDCRedirectURI ${redirectUri}`,
    'OIDCCryptoPassphrase test-passphrase-0123456789abcdef',
    'OIDCScope "openid"',
    'OIDCPKCEMethod S256',
    'OIDCRemoteUserClaim sub',
    'OIDCRefreshAccessTokenBeforeExpiry 30 logout_on_error',
    `OIDCDefaultLoggedOutURL ${loggedOutUrl}`,
    // Moot over plain http (the provider is on loopback here); needed with a self-signed one.
    'OIDCSSLValidateServer Off',
  ];
}

/** /protected/ behind the provider; each response echoes what Apache got from it. */
const PROTECTED = `<Location /protected/>
  AuthType openid-connect
  Require valid-user
  Header set X-Remote-User "expr=%{REMOTE_USER}"
  Header set X-Claim-Sub "%{OIDC_CLAIM_sub}e"
  Header set X-Claim-Sub-Request-Header "expr=%{req:OIDC_CLAIM_sub}"
  Header set X-Claim-Event-Id "%{OIDC_CLAIM_event_id}e"
  Header set X-Claim-Queue-Position "%{OIDC_CLAIM_queue_position}e"
  Header set X-Claim-Request-Id "%{OIDC_CLAIM_request_id}e"
  Header set X-Access-Token "%{OIDC_access_token}e"
</Location>`;

function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** One navigation; the redirect target, asserting it is a redirect. */
async function redirectOf(browser: NavigatingBrowser, url: string | URL): Promise<URL> {
  const page = await browser.navigate(url);
  assert.ok(
    page.status >= 300 && page.status < 400 && page.location !== null,
    `${url} answered ${page.status}, not a redirect: ${page.body.slice(0, 300)}`,
  );
  return page.location;
}

const skip = apacheSkipReason();

describe('Apache mod_auth_openidc recipe', { skip }, () => {
  let anteroom: RunningServer;
  let apache: ApacheServer;
  let issuer: string;
  let redirectUri: string;

  before(async () => {
    // Both ports first: the issuer and the redirect URI name each other's server.
    const [anteroomPort, apachePort] = [await freePort(), await freePort()];
    const publicUrl = `http://127.0.0.1:${anteroomPort}`;
    issuer = `${publicUrl}/oidc`;
    redirectUri = `http://127.0.0.1:${apachePort}/protected/oidc-callback`;
    const config = loadConfig({
      raw: {
        publicUrl,
        listen: { port: anteroomPort, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
        adminKeys: [ADMIN_KEY],
        store: { type: 'memory' },
        keys: { type: 'env' },
        // Access tokens shorter-lived than OIDCRefreshAccessTokenBeforeExpiry (30 s): Apache
        // refreshes on every request, which is what the admission-window test needs.
        events: [{ id: EVENT_ID, inlet: { type: 'manual' }, tokenValiditySeconds: 20 }],
        limits: { enqueuePerClientPerMinute: 0 },
        oidc: {
          cookieKeys: ['e2e-cookie-key-0123456789abcdef0123'],
          clients: [
            {
              client_id: CLIENT_ID,
              client_secret: CLIENT_SECRET,
              redirect_uris: [redirectUri],
              event_id: EVENT_ID,
              refresh: true,
            },
          ],
        },
      },
      env: {},
    });
    const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
    anteroom = await startServer(config, { keys, logger: testLogger() });
    assert.equal(anteroom.publicListenUrl, publicUrl);
    apache = await startApache({
      port: apachePort,
      directives: recipe(issuer, redirectUri, `http://127.0.0.1:${apachePort}/protected/`),
      blocks: [PROTECTED],
      files: { 'protected/index.html': PAGE },
    });
  });

  after(async () => {
    await apache?.stop();
    await anteroom?.close();
  });

  /** Runs a scenario; on failure, prints what mod_auth_openidc logged (the useful half). */
  async function withApacheLog(scenario: () => Promise<void>): Promise<void> {
    try {
      await scenario();
    } catch (error) {
      console.error(apache.errorLog().slice(-6000));
      throw error;
    }
  }

  let visitors = 0;

  /**
   * A new visitor asks Apache for /protected/, waits at Anteroom, is admitted by the operator and
   * comes back; returns the page Apache then serves.
   */
  async function signIn(browser: NavigatingBrowser): Promise<Page> {
    const page = `${apache.url}/protected/`;

    // Apache sends the visitor to Anteroom's authorization endpoint (from discovery).
    const authorize = await redirectOf(browser, page);
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${issuer}/auth`);
    assert.equal(authorize.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(authorize.searchParams.get('redirect_uri'), redirectUri);
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');

    // Not admitted: the provider shows the waiting page and does not go back to Apache.
    const interaction = await redirectOf(browser, authorize);
    assert.equal(interaction.origin, new URL(issuer).origin);
    assert.match(interaction.pathname, /^\/oidc\/interaction\/[\w-]+$/);
    for (const visit of ['first visit', 'reload']) {
      const waiting = await browser.navigate(interaction);
      assert.equal(waiting.status, 200, visit);
      assert.equal(waiting.location, null, visit);
      assert.match(waiting.body, /in the queue/i, visit);
    }

    // The operator admits one visitor; the reload of the waiting page goes on to the code.
    visitors += 1;
    await anteroom.deps.room.incrementServingCounter(EVENT_ID, 1, 'test');
    let next = await redirectOf(browser, interaction);
    for (let hop = 0; hop < 5 && next.href.startsWith(issuer); hop++) next = await redirectOf(browser, next);
    assert.equal(`${next.origin}${next.pathname}`, redirectUri);
    assert.ok(next.searchParams.get('code'), 'a code for Apache');
    assert.equal(next.searchParams.get('iss'), issuer);

    // Apache exchanges the code, opens its session and returns to the page first asked for.
    const back = await redirectOf(browser, next);
    assert.equal(back.href, page);
    const served = await browser.navigate(back);
    assert.equal(served.status, 200);
    assert.equal(served.body, PAGE);
    return served;
  }

  it('queues the visitor at Anteroom, then serves the page with the waiting-room claims', () =>
    withApacheLog(async () => {
      const browser = new NavigatingBrowser();
      const served = await signIn(browser);

      const sub = served.header('X-Claim-Sub') ?? '';
      assert.ok(sub.length > 0, 'sub reached Apache');
      assert.equal(served.header('X-Remote-User'), sub, 'OIDCRemoteUserClaim sub');
      assert.equal(served.header('X-Claim-Sub-Request-Header'), sub, 'claims as request headers too');
      assert.equal(served.header('X-Claim-Event-Id'), EVENT_ID);
      assert.equal(served.header('X-Claim-Queue-Position'), String(visitors));
      const requestId = served.header('X-Claim-Request-Id') ?? '';
      assert.ok(requestId.length > 0, 'request_id reached Apache');
      const position = await fetch(
        `${anteroom.publicListenUrl}/queue_num?event_id=${EVENT_ID}&request_id=${encodeURIComponent(requestId)}`,
      );
      assert.equal(((await position.json()) as { queue_number: number }).queue_number, visitors);
      const accessToken = jwtPayload(served.header('X-Access-Token') ?? '');
      assert.equal(accessToken.aud, EVENT_ID);
      assert.equal(accessToken.sub, sub);

      // Apache's own session now: the next request is served without a trip through the queue.
      const again = await browser.navigate(`${apache.url}/protected/`);
      assert.equal(again.status, 200);
      assert.equal(again.header('X-Claim-Sub'), sub);

      // A script's request (fetch: `Sec-Fetch-Mode: cors`) without the session is answered 401,
      // not sent into the queue: mod_auth_openidc's default for non-navigations.
      const scripted = await fetch(`${apache.url}/protected/`, { redirect: 'manual' });
      await scripted.body?.cancel();
      assert.equal(scripted.status, 401);
    }));

  it('holds the Apache session to the admission window through refresh tokens', () =>
    withApacheLog(async () => {
      const browser = new NavigatingBrowser();
      const page = `${apache.url}/protected/`;
      const first = await signIn(browser);
      const requestId = first.header('X-Claim-Request-Id') ?? '';

      // The access token lives less than OIDCRefreshAccessTokenBeforeExpiry: every request
      // refreshes it at Anteroom's token endpoint while the admission lasts.
      const refreshed = await browser.navigate(page);
      assert.equal(refreshed.status, 200);
      const issued = jwtPayload(first.header('X-Access-Token') ?? '');
      const renewed = jwtPayload(refreshed.header('X-Access-Token') ?? '');
      assert.equal(renewed.sub, issued.sub);
      assert.notEqual(renewed.jti, issued.jti, 'a new access token from the refresh');

      // The operator ends the visitor's session: the next refresh is refused and Apache drops
      // its session (logout_on_error) without serving the page...
      const ended = await fetch(`${anteroom.adminUrl}/update_session`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ event_id: EVENT_ID, request_id: requestId, status: 1 }),
      });
      assert.equal(ended.status, 200);
      const refused = await browser.navigate(page);
      assert.equal(refused.status, 302);
      assert.equal(refused.location?.href, page, 'to OIDCDefaultLoggedOutURL');
      assert.ok(!refused.body.includes(PAGE), 'no protected content with the refusal');
      // ...so the visitor is sent back to Anteroom, which does not let them straight back in.
      const sentBack = await redirectOf(browser, page);
      assert.equal(`${sentBack.origin}${sentBack.pathname}`, `${issuer}/auth`);
      let landing = await browser.navigate(sentBack);
      for (let hop = 0; hop < 5 && landing.location !== null; hop++) {
        assert.ok(!landing.location.href.startsWith(redirectUri), `no code for Apache: ${landing.location}`);
        landing = await browser.navigate(landing.location);
      }
      assert.equal(landing.location, null, 'the visitor lands on a page');
      assert.equal(landing.url.origin, new URL(issuer).origin, 'a page of Anteroom');
    }));
});
