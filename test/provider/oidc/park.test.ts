/**
 * Parked authorization requests (`provider/oidc/park.ts`): a waiting visitor's request lives in
 * the waiting page's URL, sealed, until admission. What must not get through: the URL opened in
 * another browser, an edited one, one whose client or redirect URI is gone by the time it comes
 * back, one sealed with a key that has left the list. And what parking must not change: every
 * bad request gets the answer the provider gives it (sent side by side to a browser the provider
 * sees at once, one with a provider session). A parked request lasts as long as an interaction
 * would (`interactionTtlSeconds`, 3 hours).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oc from 'openid-client';
import { parkedRequestSealer } from '../../../provider/oidc/parked-request.ts';
import { OIDC_INTERACTION_TTL_SECONDS } from '../../../queue-core/defaults.ts';
import { createKeysDocument, OIDC_ALGORITHM } from '../../../queue-core/signing-keys/document.ts';
import { KEY_PUBLISH_SECONDS, KeyRing } from '../../../queue-core/signing-keys/key-ring.ts';
import {
  Browser,
  CLIENTS,
  COOKIE_KEYS,
  discoverClient,
  type Landing,
  navigate,
  type OidcServer,
  RP,
  SECRET_A,
  SECRET_B,
  startFlow,
  startOidcServer,
} from './harness.ts';

const PARKED_PAGE = /\/oidc\/interaction\/([A-Za-z0-9_-]{65,})$/;

/** A browser parked for client-b: its waiting page and the token in its URL. */
async function parkedVisitor(server: OidcServer, browser = new Browser()) {
  const config = await discoverClient(server, 'client-b', SECRET_B);
  const flow = await startFlow(config, `${RP}/b/callback`);
  const landing = await navigate(browser, flow.url);
  assert.ok(landing.kind === 'page' && landing.status === 200, JSON.stringify(landing).slice(0, 300));
  const token = PARKED_PAGE.exec(landing.url.pathname)?.[1];
  assert.ok(token, `parked: ${landing.url.pathname}`);
  return { browser, config, flow, page: landing.url, token };
}

async function page(browser: Browser, url: string | URL) {
  const answer = await browser.fetch(url);
  return { status: answer.status, html: await answer.text(), location: answer.headers.get('Location') };
}

/** The error code an error page shows (`Error: <code>…</code>`). */
function pageError(html: string): string | undefined {
  return /Error: <code>([^<]+)<\/code>/.exec(html)?.[1];
}

test('a parked request opened in another browser is refused, on the waiting page and at the hand-over', async () => {
  const server = await startOidcServer();
  try {
    const visitor = await parkedVisitor(server);
    const handOver = `${server.issuer}/auth/${visitor.token}`;
    for (const other of [new Browser(), await parkedVisitor(server).then((v) => v.browser)]) {
      for (const url of [visitor.page.href, handOver]) {
        const refused = await page(other, url);
        assert.equal(refused.status, 400, url);
        assert.equal(pageError(refused.html), 'invalid_request');
        assert.match(refused.html, /another browser/);
      }
    }
    assert.equal(await server.deps.room.waitingNum('event-b'), 2, 'the other browsers took no place from it');
    // The visitor's own browser still waits (the hand-over sends it back to its page until it is
    // admitted), and gets through once admitted.
    assert.match((await page(visitor.browser, visitor.page)).html, /data-field="queue_number">1</);
    const early = await page(visitor.browser, handOver);
    assert.equal(early.status, 303);
    assert.equal(early.location, visitor.page.pathname, 'not admitted yet: back to the waiting page');
    await server.admit('event-b', 1);
    // Admitted: the page hands the request over, and the provider answers with the code at once
    // (no interaction of its own: the admission was the interaction).
    const reload = await page(visitor.browser, visitor.page);
    assert.equal(reload.status, 303);
    assert.equal(reload.location, handOver);
    const handed = await page(visitor.browser, handOver);
    assert.equal(handed.status, 303);
    assert.ok(handed.location?.startsWith(`${RP}/b/callback?code=`), String(handed.location));
    const tokens = await oc.authorizationCodeGrant(visitor.config, new URL(String(handed.location)), {
      pkceCodeVerifier: visitor.flow.verifier,
      expectedState: visitor.flow.state,
      expectedNonce: visitor.flow.nonce,
    });
    assert.equal(tokens.claims()!['queue_position'], 1);
  } finally {
    await server.close();
  }
});

test('an edited parked request is refused', async () => {
  const server = await startOidcServer();
  try {
    const visitor = await parkedVisitor(server);
    const { token } = visitor;
    const middle = Math.floor(token.length / 2);
    const flipped = `${token.slice(0, middle)}${token[middle] === 'A' ? 'B' : 'A'}${token.slice(middle + 1)}`;
    const edits = [flipped, token.slice(0, -4), `${token}AAAA`, `${token.slice(0, 10)}${'x'.repeat(80)}`];
    for (const edited of edits) {
      for (const url of [`${server.issuer}/interaction/${edited}`, `${server.issuer}/auth/${edited}`]) {
        const refused = await page(visitor.browser, url);
        assert.equal(refused.status, 400, url);
        assert.match(refused.html, /changed or is not a sign-in link/);
      }
    }
    await server.admit('event-b', 1);
    // The edits were refused before the queue: the visitor's place is untouched and usable.
    const back = await navigate(visitor.browser, visitor.page);
    assert.equal(back.kind, 'callback');
  } finally {
    await server.close();
  }
});

test('a parked request whose client was removed or whose redirect URI changed is refused as the provider refuses it', async () => {
  const first = await startOidcServer();
  let visitor: Awaited<ReturnType<typeof parkedVisitor>>;
  try {
    visitor = await parkedVisitor(first);
  } finally {
    await first.close();
  }
  const query = new URL(visitor.flow.url).search;
  const variants: [string, Record<string, unknown>[], string][] = [
    ['client removed', CLIENTS.filter((client) => client.client_id !== 'client-b'), 'invalid_client'],
    [
      'redirect URI changed',
      CLIENTS.map((client) =>
        client.client_id === 'client-b' ? { ...client, redirect_uris: [`${RP}/b/new-callback`] } : client,
      ),
      'invalid_redirect_uri',
    ],
  ];
  for (const [what, clients, error] of variants) {
    // The next deployment: same cookie keys, other clients.
    const server = await startOidcServer({ raw: { oidc: { clients, cookieKeys: COOKIE_KEYS } } });
    try {
      const provider = await page(new Browser(), `${server.issuer}/auth${query}`);
      assert.equal(provider.status, 400, what);
      assert.equal(pageError(provider.html), error, `${what}: the provider's own answer`);
      for (const path of [`/interaction/${visitor.token}`, `/auth/${visitor.token}`]) {
        const refused = await page(visitor.browser, `${server.issuer}${path}`);
        assert.equal(refused.status, 400, `${what} ${path}`);
        assert.equal(refused.location, null, 'never redirected');
        assert.equal(pageError(refused.html), error, `${what} ${path}`);
      }
      assert.equal(await server.deps.room.waitingNum('event-b'), 0, `${what}: no place taken`);
    } finally {
      await server.close();
    }
  }
});

test('a parked request continues across a key rotation, and is refused once its key is removed', async () => {
  let clock = 1_900_000_000;
  const ring = await KeyRing.fromDocument(await createKeysDocument('ES256', clock), {
    algorithm: 'ES256',
    now: () => clock,
  });
  // Cookie keys derived from the RS256 keys: a rotation of the OIDC key rotates them.
  const server = await startOidcServer({ keys: ring, raw: { oidc: { clients: CLIENTS } } });
  try {
    const before = await parkedVisitor(server);
    const oldKid = ring.signingKey(OIDC_ALGORITHM).kid;
    await ring.rotate(OIDC_ALGORITHM);
    clock += KEY_PUBLISH_SECONDS;
    const during = await parkedVisitor(server);
    assert.match((await page(before.browser, before.page)).html, /data-field="queue_number">1</);
    await server.admit('event-b', 1);
    const back = await navigate(before.browser, before.page);
    assert.ok(back.kind === 'callback', 'parked before the rotation, through after it');

    assert.equal(await ring.removeRetired(oldKid), true);
    for (const url of [during.page.href, `${server.issuer}/auth/${during.token}`]) {
      // Sealed with the new key: still good.
      assert.notEqual((await page(during.browser, url)).status, 400);
    }
    const stale = await parkedVisitor(server, new Browser());
    assert.ok(stale);
    const leftover = await page(before.browser, before.page);
    assert.equal(leftover.status, 400);
    assert.match(leftover.html, /key that is no longer in use/);
  } finally {
    await server.close();
  }
});

/** A landing as comparable facts: where it went and which error it carried. */
function outcome(landing: Landing): Record<string, unknown> {
  if (landing.kind === 'page') {
    return {
      kind: 'page',
      status: landing.status,
      error: pageError(landing.html),
      parked: PARKED_PAGE.test(landing.url.pathname),
    };
  }
  const params =
    landing.url.hash === '' ? landing.url.searchParams : new URLSearchParams(landing.url.hash.slice(1));
  return {
    kind: 'callback',
    to: `${landing.url.origin}${landing.url.pathname}`,
    error: params.get('error'),
    description: params.get('error_description'),
    state: params.get('state'),
    iss: params.get('iss'),
    code: params.has('code'),
  };
}

test('bad authorization requests get the same answer parked as from the provider, side by side', async () => {
  // Many requests from one address: the per-client budget would answer them all alike (429).
  const server = await startOidcServer({
    raw: { limits: { enqueuePerClientPerMinute: 0, authorizePerClientPerMinute: 0 } },
  });
  try {
    // A browser with a provider session: the provider sees its requests at once.
    const withSession = new Browser();
    const open = await discoverClient(server, 'open-client', SECRET_A);
    assert.equal(
      (await navigate(withSession, (await startFlow(open, `${RP}/open/callback`)).url)).kind,
      'callback',
    );
    assert.ok([...withSession.cookies.values()].some((cookie) => cookie.name === '_ar_session'));

    const challenge = await oc.calculatePKCECodeChallenge('v'.repeat(43));
    const base: Record<string, string> = {
      client_id: 'client-b',
      redirect_uri: `${RP}/b/callback`,
      response_type: 'code',
      scope: 'openid',
      state: 'side-by-side',
      nonce: 'n-0123456789',
    };
    const cases: Record<string, string | null>[] = [
      { client_id: 'nobody' },
      { client_id: null },
      { redirect_uri: `${RP}/b/callback/` },
      { redirect_uri: `${RP}/b/callback?x=1` },
      { redirect_uri: 'https://evil.example/cb' },
      { redirect_uri: null },
      { response_type: 'token' },
      { response_type: 'code id_token' },
      { response_type: null },
      { code_challenge: challenge, code_challenge_method: 'plain' },
      { code_challenge_method: 'S256' },
      { code_challenge: challenge },
      { code_challenge: 'short', code_challenge_method: 'S256' },
      { client_id: 'spa', redirect_uri: 'http://localhost:5173/callback' },
      { scope: 'openid "quoted"' },
      { scope: 'waiting_room' },
      { scope: null },
      { prompt: 'none' },
      { prompt: 'select_account' },
      { prompt: 'none login' },
      { request: 'eyJhbGciOiJub25lIn0.e30.' },
      { request_uri: 'https://rp.example.test/request.jwt' },
      { max_age: 'soon' },
      { registration: '{}' },
    ];
    const url = (override: Record<string, string | null>, duplicate = false) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...base, ...override }))
        if (value !== null) query.set(name, value);
      if (duplicate) query.append('state', 'twice');
      return `${server.issuer}/auth?${query}`;
    };
    const requests = [...cases.map((override) => url(override)), url({}, true)];
    for (const request of requests) {
      const parked = outcome(await navigate(new Browser(), request));
      const provider = outcome(await navigate(withSession, request));
      assert.deepEqual(parked, provider, request);
      assert.notEqual(parked['status'], 429);
      assert.notEqual(parked['parked'], true, `${request} was parked`);
      assert.ok(parked['error'], `${request}: an error`);
    }
    // Good requests parking leaves to the provider: the same answer either way, never parked.
    const providerOnly: Record<string, string>[] = [
      { response_mode: 'fragment' },
      { max_age: '60' },
      { login_hint: 'x' },
    ];
    for (const override of providerOnly) {
      const parked = outcome(await navigate(new Browser(), url(override)));
      assert.deepEqual(parked, outcome(await navigate(withSession, url(override))));
      assert.equal(parked['parked'], false);
    }
    // The control: good requests are parked, for the fresh browser only (scopes the provider
    // does not know, such as `profile`, it ignores; so does parking).
    const good: Record<string, string | null>[] = [
      {},
      { scope: 'openid profile email' },
      { scope: 'openid offline_access' },
      { prompt: 'login' },
    ];
    for (const override of good) {
      assert.equal(outcome(await navigate(new Browser(), url(override)))['parked'], true);
      assert.equal(outcome(await navigate(withSession, url(override)))['parked'], false);
    }
  } finally {
    await server.close();
  }
});

test('a parked request older than the longest wait is refused', async () => {
  let offset = 0;
  const server = await startOidcServer({ now: () => Math.floor(Date.now() / 1000) + offset });
  try {
    const visitor = await parkedVisitor(server);
    offset = OIDC_INTERACTION_TTL_SECONDS - 60;
    assert.equal((await page(visitor.browser, visitor.page)).status, 200, 'still within the wait');
    offset = OIDC_INTERACTION_TTL_SECONDS + 1;
    for (const url of [visitor.page.href, `${server.issuer}/auth/${visitor.token}`]) {
      const refused = await page(visitor.browser, url);
      assert.equal(refused.status, 400, url);
      assert.match(refused.html, /has expired/);
    }
  } finally {
    await server.close();
  }
});

test('the reload that finds the visitor admitted carries it to the hand-over: a ticket for that request and browser, read once', async () => {
  const server = await startOidcServer();
  try {
    const visitor = await parkedVisitor(server);
    // A second parked request of the same browser: the same place, another token.
    const second = await parkedVisitor(server, visitor.browser);
    const waiting = await page(visitor.browser, visitor.page);
    const requestId = /request_id=([^"&]+)/.exec(waiting.html)?.[1];
    assert.ok(requestId, 'the page names its request id');
    await server.admit('event-b', 1);
    const reload = await page(visitor.browser, visitor.page);
    assert.equal(reload.status, 303);
    assert.equal(reload.location, `${server.issuer}/auth/${visitor.token}`);
    const ticket = [...visitor.browser.cookies.entries()].find(
      ([, cookie]) => cookie.name === '_ar_admitted',
    );
    assert.ok(ticket, 'the reload left a ticket for the hand-over');
    assert.equal(ticket[1].path, `${new URL(server.issuer).pathname}/auth/`, 'sent to the hand-over alone');
    // The operator ends the admission between the reload and the hand-over.
    await server.deps.room.updateSession('event-b', decodeURIComponent(requestId), 'completed', 'test');
    // Another request's hand-over does not take the ticket: it reads the admission (ended) and
    // sends the browser back to its page.
    const other = await page(visitor.browser, `${server.issuer}/auth/${second.token}`);
    assert.equal(other.status, 303);
    assert.equal(other.location, second.page.pathname);
    assert.equal(
      [...visitor.browser.cookies.values()].some((cookie) => cookie.name === '_ar_admitted'),
      false,
      'a hand-over clears the ticket',
    );
    // Its own hand-over, within the minute, takes the ticket for the admission it read a moment
    // ago: the code is given, and the token endpoint, which reads the admission itself, refuses it.
    visitor.browser.cookies.set(ticket[0], ticket[1]);
    const handed = await page(visitor.browser, `${server.issuer}/auth/${visitor.token}`);
    assert.equal(handed.status, 303);
    assert.ok(handed.location?.startsWith(`${RP}/b/callback?code=`), String(handed.location));
    await assert.rejects(
      oc.authorizationCodeGrant(visitor.config, new URL(String(handed.location)), {
        pkceCodeVerifier: visitor.flow.verifier,
        expectedState: visitor.flow.state,
        expectedNonce: visitor.flow.nonce,
      }),
      (error: { error?: string }) => error.error === 'invalid_grant',
    );
  } finally {
    await server.close();
  }
});

test("a waiting page's place cookie is honoured only for its own browser and event", async () => {
  const server = await startOidcServer();
  try {
    const first = await parkedVisitor(server);
    const second = await parkedVisitor(server);
    const place = (browser: Browser) =>
      [...browser.cookies.entries()].find(([, cookie]) => cookie.name === '_ar_place_event-b');
    const mine = place(first.browser);
    assert.ok(mine, 'the page remembers its place');
    assert.equal(mine[1].path, `${new URL(server.issuer).pathname}/interaction/`);
    assert.match((await page(first.browser, first.page)).html, /data-field="queue_number">1</);
    // The second browser given the first one's place cookie: ignored, it keeps its own place.
    second.browser.cookies.set(mine[0], mine[1]);
    assert.match((await page(second.browser, second.page)).html, /data-field="queue_number">2</);
    // An edited one likewise.
    first.browser.cookies.set(mine[0], {
      ...mine[1],
      value: mine[1].value.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
    });
    assert.match((await page(first.browser, first.page)).html, /data-field="queue_number">1</);
    assert.equal(await server.deps.room.waitingNum('event-b'), 2, 'no place was taken twice');
    await server.admit('event-b', 2);
    assert.equal((await navigate(first.browser, first.page)).kind, 'callback');
    assert.equal((await navigate(second.browser, second.page)).kind, 'callback');
  } finally {
    await server.close();
  }
});

test('admitted tickets and place values are bound to their request, browser, event and time', () => {
  const sealer = parkedRequestSealer(['cookie-key-one-0123456789abcdef'], 3600);
  const other = parkedRequestSealer(['cookie-key-two-0123456789abcdef'], 3600);
  const ticket = sealer.admittedTicket('token-a', 'visitor-a', 1_000);
  assert.equal(sealer.admittedBy(ticket, 'token-a', 'visitor-a', 999), true);
  assert.equal(sealer.admittedBy(ticket, 'token-a', 'visitor-a', 1_000), false, 'expired');
  assert.equal(sealer.admittedBy(ticket, 'token-b', 'visitor-a', 999), false, 'another request');
  assert.equal(sealer.admittedBy(ticket, 'token-a', 'visitor-b', 999), false, 'another browser');
  assert.equal(sealer.admittedBy(ticket.replace(/^1000/, '9000'), 'token-a', 'visitor-a', 999), false);
  assert.equal(other.admittedBy(ticket, 'token-a', 'visitor-a', 999), false, 'another key');
  assert.equal(sealer.admittedBy(null, 'token-a', 'visitor-a', 999), false);
  const place = sealer.placeValue('event-a', 'visitor-a', 'request-1');
  assert.equal(sealer.placeOf(place, 'event-a', 'visitor-a'), 'request-1');
  assert.equal(sealer.placeOf(place, 'event-b', 'visitor-a'), undefined, 'another event');
  assert.equal(sealer.placeOf(place, 'event-a', 'visitor-b'), undefined, 'another browser');
  assert.equal(sealer.placeOf(place.replace('request-1', 'request-2'), 'event-a', 'visitor-a'), undefined);
  assert.equal(other.placeOf(place, 'event-a', 'visitor-a'), undefined, 'another key');
});

test('pushed authorization requests stay off: no endpoint in discovery, none at /request', async () => {
  const server = await startOidcServer();
  try {
    const meta = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(meta['pushed_authorization_request_endpoint'], undefined);
    assert.equal(meta['require_pushed_authorization_requests'], undefined);
    const pushed = await fetch(`${server.issuer}/request`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`client-b:${SECRET_B}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        response_type: 'code',
        scope: 'openid',
        redirect_uri: `${RP}/b/callback`,
      }).toString(),
    });
    assert.equal(pushed.status, 404);
  } finally {
    await server.close();
  }
});
