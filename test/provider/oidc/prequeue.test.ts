/**
 * The authorization code flow through a scheduled sale's pre-queue, with openid-client as the
 * relying party (API.md section 6 and section 3): the interaction waits in the pre-queue with
 * its countdown and nobody is let in, the draw gives the waiting visitors their positions, and
 * the admitted one comes back with a code whose tokens carry the drawn position.
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

const SECRET = 'drop-client-secret-0123456789abcdef';
const BASE = Math.floor(Date.now() / 1000);
const START_AT = BASE + 40;
let clock = BASE;
let server: OidcServer;

before(async () => {
  server = await startOidcServer({
    now: () => clock,
    raw: {
      events: [
        {
          id: 'drop',
          inlet: { type: 'manual' },
          schedule: { prequeueAt: BASE - 60, startAt: START_AT },
          draw: 'shuffle',
        },
      ],
      oidc: {
        clients: [
          {
            client_id: 'drop-client',
            client_secret: SECRET,
            redirect_uris: [`${RP}/drop/callback`],
            event_id: 'drop',
          },
        ],
        cookieKeys: ['cookie-key-0123456789abcdef0123456789'],
      },
    },
  });
});
after(() => server.close());

/** What a visitor sees: the sections not hidden, their tags dropped. */
function shownText(page: string): string {
  return page
    .replace(/<(section|p|div)\b[^>]*\shidden\b[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<(script|style|title)\b[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ');
}

interface Polled {
  phase: string;
  queue_number: number | null;
  starts_at: number | null;
  state: string;
}

async function poll(browser: Browser, page: string): Promise<Polled> {
  const statusUrl = /data-status-url="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
  assert.ok(statusUrl, 'the page names its status URL');
  return (await (await browser.fetch(new URL(statusUrl, server.base))).json()) as Polled;
}

test('a relying party’s visitor waits in the pre-queue, is drawn, admitted, and gets tokens with the drawn position', async () => {
  const config = await discoverClient(server, 'drop-client', SECRET);
  const visitors = await Promise.all(
    [0, 1].map(async () => {
      const flow = await startFlow(config, `${RP}/drop/callback`);
      const browser = new Browser();
      const landing = await navigate(browser, flow.url);
      assert.ok(landing.kind === 'page', 'a waiting page, not the relying party');
      assert.equal(landing.status, 200);
      return { flow, browser, page: landing.url, html: landing.html };
    }),
  );

  const [first] = visitors;
  assert.ok(first);
  const shown = shownText(first.html);
  assert.match(shown, /You're in the pre-queue/);
  assert.match(shown, /random draw/);
  assert.doesNotMatch(shown, /You're in the queue/);
  assert.match(first.html, /data-field="starts_in">40 s</);
  assert.deepEqual(
    [(await poll(first.browser, first.html)).phase, (await poll(first.browser, first.html)).queue_number],
    ['prequeue', null],
  );

  // An operator moving the counter before the start lets nobody in: the interaction keeps waiting.
  clock = START_AT - 15;
  await server.admit('drop', 5);
  const stillWaiting = await navigate(first.browser, first.page);
  assert.ok(stillWaiting.kind === 'page', 'no code before the draw');
  assert.match(stillWaiting.html, /data-phase="prequeue"/);
  assert.match(stillWaiting.html, /data-field="starts_in">15 s</);
  // Without JavaScript the page reloads just after the start.
  assert.match(stillWaiting.html, /<meta http-equiv="refresh" content="16">/);

  // The start: the inlet loop's tick draws the pre-queue.
  clock = START_AT;
  await server.deps.room.tick('test');
  const positions: number[] = [];
  for (const visitor of visitors) {
    const polled = await poll(visitor.browser, visitor.html);
    assert.equal(polled.phase, 'queue');
    positions.push(polled.queue_number as number);
  }
  assert.deepEqual([...positions].sort(), [1, 2], 'the draw gives positions 1..n');

  // The serving counter (5) already covers both: each comes back with a code.
  for (const [index, visitor] of visitors.entries()) {
    const back = await navigate(visitor.browser, visitor.page);
    assert.ok(back.kind === 'callback', 'admitted: back at the relying party');
    const tokens = await oc.authorizationCodeGrant(config, back.url, {
      pkceCodeVerifier: visitor.flow.verifier,
      expectedState: visitor.flow.state,
      expectedNonce: visitor.flow.nonce,
    });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims['event_id'], 'drop');
    assert.equal(claims['queue_position'], positions[index]);
  }
});
