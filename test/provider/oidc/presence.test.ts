/**
 * Absent visitors through the OIDC interaction (API.md section 6 and section 3), with
 * openid-client as the relying party: the waiting page's status polls keep a visitor present,
 * the inlet admits them and passes one who went away; that one, back on the interaction URL, is
 * told to wait, admitted by the next pass ahead of the line, and comes back with a code.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oc from 'openid-client';
import {
  Browser,
  discoverClient,
  navigate,
  type OidcServer,
  RP,
  startFlow,
  startOidcServer,
} from './harness.ts';

const SECRET = 'sale-client-secret-0123456789abcdef';
const BASE = Math.floor(Date.now() / 1000);
let clock = BASE;
let server: OidcServer;

before(async () => {
  server = await startOidcServer({
    now: () => clock,
    raw: {
      events: [
        {
          id: 'sale',
          inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 10 },
          abandonAfterSeconds: 30,
          queuePositionExpirySeconds: null,
        },
      ],
      oidc: {
        clients: [
          {
            client_id: 'sale-client',
            client_secret: SECRET,
            redirect_uris: [`${RP}/sale/callback`],
            event_id: 'sale',
          },
        ],
        cookieKeys: ['cookie-key-0123456789abcdef0123456789'],
      },
    },
  });
});
after(() => server.close());

async function poll(browser: Browser, page: string): Promise<{ queue_number: number; state: string }> {
  const statusUrl = /data-status-url="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
  assert.ok(statusUrl, 'the page names its status URL');
  return (await (await browser.fetch(new URL(statusUrl, server.base))).json()) as {
    queue_number: number;
    state: string;
  };
}

/** The inlet loop's tick at `seconds`, after the polls' presence writes have left (presence/tracker.ts). */
async function tickAt(seconds: number): Promise<void> {
  clock = seconds;
  await new Promise((resolve) => setTimeout(resolve, 20));
  await server.deps.room.tick('test');
}

test('the waiting page keeps its visitor present; one who left is admitted on return, ahead of the line', async () => {
  const config = await discoverClient(server, 'sale-client', SECRET);
  const visitors = [];
  for (let i = 0; i < 3; i++) {
    const flow = await startFlow(config, `${RP}/sale/callback`);
    const browser = new Browser();
    const landing = await navigate(browser, flow.url);
    assert.ok(landing.kind === 'page', 'a waiting page, not the relying party');
    visitors.push({ flow, browser, page: landing.url, html: landing.html });
  }
  const [gone, staying, third] = visitors;
  assert.ok(gone && staying && third);

  // The window passes; only the second page keeps polling.
  clock = BASE + 40;
  assert.equal((await poll(staying.browser, staying.html)).queue_number, 2);
  await tickAt(BASE + 40);
  const admitted = await navigate(staying.browser, staying.page);
  assert.ok(
    admitted.kind === 'callback',
    'the present visitor is admitted, the absent one before them passed',
  );
  const tokens = await oc.authorizationCodeGrant(config, admitted.url, {
    pkceCodeVerifier: staying.flow.verifier,
    expectedState: staying.flow.state,
    expectedNonce: staying.flow.nonce,
  });
  assert.equal(tokens.claims()?.['queue_position'], 2);

  // The one who left comes back: passed while away, they wait for the next pass.
  const back = await navigate(gone.browser, gone.page);
  assert.ok(back.kind === 'page', 'no code on the serving counter alone');
  assert.equal((await poll(gone.browser, back.html)).state, 'waiting');
  await tickAt(BASE + 50);
  const returned = await navigate(gone.browser, gone.page);
  assert.ok(returned.kind === 'callback', 'admitted by the next pass, ahead of the third visitor');
  const third_ = await navigate(third.browser, third.page);
  assert.ok(third_.kind === 'page', 'the pass admitted one: the one who came back');
});
