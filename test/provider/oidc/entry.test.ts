/**
 * The entry challenge and enqueue tokens in the OpenID Connect flow (API.md section 6): the
 * waiting-room interaction shows the join form with the challenge, its answer (posted to the
 * interaction) takes the place, and the site's JWT comes as the `enqueue_token` authorization
 * parameter: one identity holds one place, from any browser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { solvePow } from '../../support/pow.ts';
import { type SiteKeys, siteKeys } from '../../support/site-keys.ts';
import {
  Browser,
  discoverClient,
  EVENTS,
  navigate,
  type OidcServer,
  RP,
  SECRET_A,
  startFlow,
  startOidcServer,
} from './harness.ts';

const SITE = 'https://shop.example.test';

describe('entry challenge and enqueue tokens in the OIDC flow', () => {
  let server: OidcServer;
  let site: SiteKeys;

  before(async () => {
    site = await siteKeys(SITE, () => Math.floor(Date.now() / 1000));
    server = await startOidcServer({
      raw: {
        events: [
          ...EVENTS,
          { id: 'pow', inlet: { type: 'manual' }, challenge: { type: 'pow', difficulty: 8 } },
          {
            id: 'members',
            inlet: { type: 'manual' },
            enqueueToken: { issuer: SITE, jwks: site.jwks, audience: 'members' },
          },
        ],
        oidc: {
          clients: [
            {
              client_id: 'pow-client',
              client_secret: SECRET_A,
              redirect_uris: [`${RP}/pow/callback`],
              event_id: 'pow',
            },
            {
              client_id: 'members-client',
              client_secret: SECRET_A,
              redirect_uris: [`${RP}/members/callback`],
              event_id: 'members',
            },
          ],
          cookieKeys: ['cookie-key-0123456789abcdef0123456789'],
        },
      },
    });
  });

  after(async () => {
    await server?.close();
  });

  const queueLength = async (eventId: string) => (await server.deps.store.getCounters(eventId)).queue;
  const requestIdOf = (html: string) => /data-request-id="([^"]+)"/.exec(html)?.[1];

  test('the interaction asks for the proof of work, and its posted answer takes the place', async () => {
    const config = await discoverClient(server, 'pow-client', SECRET_A);
    const browser = new Browser();
    const flow = await startFlow(config, `${RP}/pow/callback`);
    const first = await navigate(browser, flow.url);
    assert.ok(first.kind === 'page');
    assert.equal(first.status, 200);
    const prefix = /data-prefix="([^"]+)"/.exec(first.html)?.[1];
    assert.ok(prefix, 'the page carries a proof of work');
    assert.match(first.html, /data-auto-submit="true"/, 'solved, it goes on by itself');
    assert.match(first.html, /\/assets\/entry-challenge\.js/);
    assert.equal(await queueLength('pow'), 0, 'showing the challenge takes no place');

    const post = (answer: string) =>
      navigate(browser, first.url, RP, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ challenge: answer }),
      });
    const wrong = await post(`${prefix}:wrong`);
    assert.ok(wrong.kind === 'page');
    assert.equal(wrong.status, 403);
    assert.match(wrong.html, /The check did not go through/);
    assert.equal(await queueLength('pow'), 0);

    const waiting = await post(solvePow(prefix, 8));
    assert.ok(waiting.kind === 'page');
    assert.equal(waiting.status, 200);
    assert.match(waiting.html, /data-field="waiting_heading">You're next</);
    assert.equal(await queueLength('pow'), 1);

    // A reload is not challenged again: the place is held.
    const reload = await navigate(browser, first.url);
    assert.ok(reload.kind === 'page');
    assert.equal(requestIdOf(reload.html), requestIdOf(waiting.html));

    await server.admit('pow', 1);
    const done = await navigate(browser, first.url);
    assert.equal(done.kind, 'callback', 'once served, the flow continues to the relying party');
  });

  test('the enqueue_token parameter: one identity, one place, from any browser', async () => {
    const config = await discoverClient(server, 'members-client', SECRET_A);
    const redirect = `${RP}/members/callback`;
    const visit = async (browser: Browser, extra: Record<string, string>) => {
      const flow = await startFlow(config, redirect, extra);
      const landing = await navigate(browser, flow.url);
      assert.ok(landing.kind === 'page');
      return landing;
    };

    const missing = await visit(new Browser(), {});
    assert.equal(missing.status, 403);
    assert.match(missing.html, /An enqueue token from the site is required/);
    const forged = await visit(new Browser(), {
      enqueue_token: await site.sign('alice', { aud: 'members', iss: 'https://other.example.test' }),
    });
    assert.equal(forged.status, 403);
    assert.match(forged.html, /The enqueue token is invalid or expired/);
    assert.equal(await queueLength('members'), 0, 'a refusal takes no place');

    const laptop = await visit(new Browser(), {
      enqueue_token: await site.sign('alice', { aud: 'members' }),
    });
    const phone = await visit(new Browser(), { enqueue_token: await site.sign('alice', { aud: 'members' }) });
    const bob = await visit(new Browser(), { enqueue_token: await site.sign('bob', { aud: 'members' }) });
    assert.equal(laptop.status, 200);
    assert.ok(requestIdOf(laptop.html));
    assert.equal(requestIdOf(phone.html), requestIdOf(laptop.html), 'the same identity holds the same place');
    assert.notEqual(requestIdOf(bob.html), requestIdOf(laptop.html));
    assert.equal(await queueLength('members'), 2);
  });
});
