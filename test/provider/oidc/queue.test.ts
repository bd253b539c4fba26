/**
 * The waiting room inside the authorization step: queue order, per-event admission (no bypass
 * through an existing session), pass-through and closed events, the admission window held by
 * refresh tokens, logout, a path prefix, proxies — and what a parked visitor costs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oc from 'openid-client';
import { memoryAdapter, memoryFootprint } from '../../../provider/oidc/adapters/memory.ts';
import {
  Browser,
  type Landing,
  navigate,
  type OidcServer,
  RP,
  SECRET_A,
  SECRET_B,
  startFlow,
  startOidcServer,
} from './harness.ts';

const CLIENT = {
  'client-a': { secret: SECRET_A, redirect: `${RP}/a/callback` },
  'client-b': { secret: SECRET_B, redirect: `${RP}/b/callback` },
  'open-client': { secret: SECRET_A, redirect: `${RP}/open/callback` },
  'shut-client': { secret: SECRET_A, redirect: `${RP}/shut/callback` },
} as const;
type ClientId = keyof typeof CLIENT;

interface Flow {
  config: oc.Configuration;
  verifier: string;
  state: string;
  nonce: string;
  url: URL;
}

async function flow(
  server: OidcServer,
  clientId: ClientId,
  extra: Record<string, string> = {},
): Promise<Flow> {
  const { secret, redirect } = CLIENT[clientId];
  const config = await oc.discovery(new URL(server.issuer), clientId, secret, oc.ClientSecretPost(secret), {
    execute: [oc.allowInsecureRequests],
  });
  return { config, ...(await startFlow(config, redirect, extra)) };
}

async function exchange(f: Flow, landing: Landing) {
  assert.ok(
    landing.kind === 'callback',
    `expected the callback, got ${JSON.stringify(landing).slice(0, 200)}`,
  );
  return oc.authorizationCodeGrant(f.config, landing.url, {
    pkceCodeVerifier: f.verifier,
    expectedState: f.state,
    expectedNonce: f.nonce,
  });
}

test('ten visitors start; admitting three lets exactly the first three through, in queue order', async () => {
  const server = await startOidcServer();
  try {
    const visitors = [];
    for (let i = 0; i < 10; i++) {
      const f = await flow(server, 'client-b');
      const browser = new Browser();
      const landing = await navigate(browser, f.url);
      assert.ok(landing.kind === 'page');
      assert.match(landing.html, new RegExp(`data-field="queue_number">${i + 1}<`));
      visitors.push({ f, browser, page: landing.url });
    }
    await server.admit('event-b', 3);
    const outcomes = await Promise.all(visitors.map((v) => navigate(v.browser, v.page)));
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['callback', 'callback', 'callback', 'page', 'page', 'page', 'page', 'page', 'page', 'page'],
    );
    const positions = [];
    for (let i = 0; i < 3; i++)
      positions.push((await exchange(visitors[i]!.f, outcomes[i]!)).claims()!['queue_position']);
    assert.deepEqual(positions, [1, 2, 3]);
  } finally {
    await server.close();
  }
});

test('admission is per event: a session from event A does not pass event B; after B, same sub', async () => {
  const server = await startOidcServer();
  try {
    const browser = new Browser();
    const a = await flow(server, 'client-a');
    const waitingA = await navigate(browser, a.url);
    assert.ok(waitingA.kind === 'page');
    await server.admit('event-a', 1);
    const tokensA = await exchange(a, await navigate(browser, waitingA.url));

    // Same browser, same provider session, another event: the waiting page, not B's redirect URI.
    const b = await flow(server, 'client-b');
    const waitingB = await navigate(browser, b.url);
    assert.equal(waitingB.kind, 'page');
    assert.ok(waitingB.kind === 'page');
    assert.match(waitingB.html, /in the queue/i);
    assert.match(waitingB.html, /event-b/);
    // prompt=none for B is refused too.
    const silent = await flow(server, 'client-b', { prompt: 'none' });
    const refused = await navigate(browser, silent.url);
    assert.ok(refused.kind === 'callback');
    assert.equal(refused.url.searchParams.get('error'), 'login_required');

    await server.admit('event-b', 1);
    const tokensB = await exchange(b, await navigate(browser, waitingB.url));
    assert.equal(tokensB.claims()!.sub, tokensA.claims()!.sub);
    assert.equal(tokensB.claims()!['event_id'], 'event-b');
    assert.notEqual(tokensB.claims()!['request_id'], tokensA.claims()!['request_id']);

    // Back to A while admitted: straight through, silently too, with A's claims.
    const again = await flow(server, 'client-a', { prompt: 'none' });
    const tokensA2 = await exchange(again, await navigate(browser, again.url));
    assert.equal(tokensA2.claims()!['request_id'], tokensA.claims()!['request_id']);
  } finally {
    await server.close();
  }
});

test('a second tab of the same interaction, and a new authorization request, keep the place', async () => {
  const server = await startOidcServer();
  try {
    const browser = new Browser();
    const first = await navigate(browser, (await flow(server, 'client-b')).url);
    assert.ok(first.kind === 'page');
    const tab = await navigate(browser, first.url);
    const restart = await navigate(browser, (await flow(server, 'client-b')).url);
    for (const landing of [first, tab, restart]) {
      assert.ok(landing.kind === 'page');
      assert.match(landing.html, /data-field="queue_number">1</);
    }
    assert.equal(await server.deps.room.waitingNum('event-b'), 1);
  } finally {
    await server.close();
  }
});

test('a pass-through event admits at once; a closed event shows a clear page and issues nothing', async () => {
  const server = await startOidcServer();
  try {
    const open = await flow(server, 'open-client');
    const tokens = await exchange(open, await navigate(new Browser(), open.url));
    assert.equal(tokens.claims()!['event_id'], 'open');

    const browser = new Browser();
    const shut = await flow(server, 'shut-client');
    const page = await navigate(browser, shut.url);
    assert.ok(page.kind === 'page');
    assert.equal(page.status, 200);
    assert.match(page.html, /closed/i);
    const reload = await navigate(browser, page.url);
    assert.equal(reload.kind, 'page');
    assert.equal(await server.deps.room.waitingNum('shut'), 0);
  } finally {
    await server.close();
  }
});

test('refresh tokens live as long as the admission window and stop when the session ends or the window closes', async () => {
  // Real time plus an offset the test moves: the provider's own clock (real time) stays in step.
  let offset = 0;
  const server = await startOidcServer({ now: () => Math.floor(Date.now() / 1000) + offset });
  try {
    const f = await flow(server, 'client-a', { scope: 'openid offline_access', prompt: 'consent' });
    const browser = new Browser();
    const waiting = await navigate(browser, f.url);
    assert.ok(waiting.kind === 'page');
    await server.admit('event-a', 1);
    const tokens = await exchange(f, await navigate(browser, waiting.url));
    assert.ok(tokens.refresh_token, 'client-a is configured with refresh: true');
    const claims = tokens.claims()!;
    const windowEnd = Number(claims['admitted_at']) + 1800;
    assert.ok(decodeJwt(tokens.access_token).exp! <= windowEnd);

    const introspected = await oc.tokenIntrospection(f.config, tokens.refresh_token);
    assert.equal(introspected.active, true);
    assert.ok(introspected.exp! <= windowEnd + 1);

    const refreshed = await oc.refreshTokenGrant(f.config, tokens.refresh_token);
    assert.equal(decodeJwt(refreshed.access_token).sub, claims.sub);

    // The window closes: the next refresh is refused, and userinfo stops answering.
    offset = windowEnd - Math.floor(Date.now() / 1000);
    await assert.rejects(oc.refreshTokenGrant(f.config, refreshed.refresh_token!), {
      error: 'invalid_grant',
    });
    await assert.rejects(
      oc.fetchUserInfo(f.config, refreshed.access_token, claims.sub),
      (error: Error & { cause?: unknown }) => {
        return /invalid_token|401/.test(`${error.message} ${JSON.stringify(error.cause ?? '')}`);
      },
    );
    // Sent back to the authorization endpoint (as ALB does when refresh fails): a new place.
    const back = await flow(server, 'client-a');
    const requeued = await navigate(browser, back.url);
    assert.ok(requeued.kind === 'page');
    assert.match(requeued.html, /data-field="queue_number">2</);
  } finally {
    await server.close();
  }
});

test('ending the session through the admin API refuses refresh; revocation and introspection work', async () => {
  const server = await startOidcServer();
  try {
    const f = await flow(server, 'client-a');
    const browser = new Browser();
    const waiting = await navigate(browser, f.url);
    assert.ok(waiting.kind === 'page');
    await server.admit('event-a', 1);
    const tokens = await exchange(f, await navigate(browser, waiting.url));
    assert.ok(tokens.refresh_token);

    const second = await oc.refreshTokenGrant(f.config, tokens.refresh_token);
    await oc.tokenRevocation(f.config, second.refresh_token!);
    assert.equal((await oc.tokenIntrospection(f.config, second.refresh_token!)).active, false);

    const f2 = await flow(server, 'client-a');
    const t2 = await exchange(f2, await navigate(browser, f2.url));
    await server.deps.room.updateSession('event-a', String(t2.claims()!['request_id']), 'completed', 'test');
    await assert.rejects(oc.refreshTokenGrant(f2.config, t2.refresh_token!), { error: 'invalid_grant' });
    // And the next authorization request waits again (a new place), rather than passing.
    const f3 = await flow(server, 'client-a');
    assert.equal((await navigate(browser, f3.url)).kind, 'page');
  } finally {
    await server.close();
  }
});

test('RP-initiated logout ends the provider session and returns to the registered URI', async () => {
  const server = await startOidcServer();
  try {
    const browser = new Browser();
    const f = await flow(server, 'open-client');
    const tokens = await exchange(f, await navigate(browser, f.url));
    const end = oc.buildEndSessionUrl(f.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${RP}/bye`,
      state: 'bye-state',
    });
    const confirm = await navigate(browser, end);
    assert.ok(confirm.kind === 'page');
    assert.equal(confirm.status, 200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1];
    assert.ok(xsrf, confirm.html.slice(0, 500));
    const done = await navigate(browser, `${server.issuer}/session/end/confirm`, RP, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    assert.ok(done.kind === 'callback');
    assert.equal(done.url.origin + done.url.pathname, `${RP}/bye`);
    assert.equal(done.url.searchParams.get('state'), 'bye-state');
    assert.ok(![...browser.cookies.values()].some((cookie) => cookie.name === '_ar_session'));
  } finally {
    await server.close();
  }
});

test('under a path prefix the issuer, discovery and every redirect keep the prefix', async () => {
  const server = await startOidcServer({ prefix: '/api' });
  try {
    assert.match(server.issuer, /^http:\/\/127\.0\.0\.1:\d+\/api\/oidc$/);
    const meta = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    assert.equal(meta['issuer'], server.issuer);
    assert.equal(meta['authorization_endpoint'], `${server.issuer}/auth`);
    assert.equal(meta['token_endpoint'], `${server.issuer}/token`);
    assert.equal(meta['userinfo_endpoint'], `${server.issuer}/me`);

    const f = await flow(server, 'client-a');
    const browser = new Browser();
    const first = await browser.fetch(f.url, { redirect: 'manual' });
    assert.equal(first.status, 303);
    assert.match(first.headers.get('Location') ?? '', /^\/api\/oidc\/interaction\/[\w-]+$/);
    const waiting = await navigate(browser, new URL(first.headers.get('Location')!, f.url));
    assert.ok(waiting.kind === 'page');
    assert.match(waiting.html, /data-status-url="\/api\/oidc\/interaction\//);
    await server.admit('event-a', 1);
    const resume = await browser.fetch(waiting.url, { redirect: 'manual' });
    assert.equal(resume.status, 303);
    assert.ok(resume.headers.get('Location')!.startsWith(`${server.issuer}/auth/`));
    const tokens = await exchange(f, await navigate(browser, resume.headers.get('Location')!));
    assert.equal(tokens.claims()!['event_id'], 'event-a');
  } finally {
    await server.close();
  }
});

const throughLambda = process.env.ANTEROOM_TEST_LAMBDA
  ? 'on Lambda, API Gateway itself sets X-Forwarded-*: covered by test/lambda/oidc.test.ts'
  : false;
test('behind a trusted proxy too, discovery follows publicUrl, not X-Forwarded-Proto and -Host', {
  skip: throughLambda,
}, async () => {
  const server = await startOidcServer({
    raw: { limits: { enqueuePerClientPerMinute: 0, trustProxy: 1 } },
  });
  try {
    const response = await fetch(`${server.issuer}/.well-known/openid-configuration`, {
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'queue.example.test' },
    });
    const meta = (await response.json()) as Record<string, string>;
    assert.equal(meta['token_endpoint'], `${server.issuer}/token`);
  } finally {
    await server.close();
  }
});

test('a parked visitor leaves no provider state; an admitted one a visit record, a session, a grant', async (t) => {
  const adapter = memoryAdapter();
  const server = await startOidcServer({ adapter });
  try {
    const parked = 20;
    const waiting = [];
    for (let i = 0; i < parked; i++) {
      const f = await flow(server, 'client-b');
      const browser = new Browser();
      const landing = await navigate(browser, f.url);
      assert.ok(landing.kind === 'page');
      assert.match(landing.html, new RegExp(`data-field="queue_number">${i + 1}<`));
      waiting.push({ f, browser, page: landing.url });
    }
    // The authorization request waits in the page's URL: nothing in the provider's store.
    assert.deepEqual(memoryFootprint(adapter.space), {});
    assert.equal(await server.deps.room.waitingNum('event-b'), parked);

    await server.admit('event-b', 1);
    const first = waiting[0]!;
    await exchange(first.f, await navigate(first.browser, first.page));
    const footprint = memoryFootprint(adapter.space);
    t.diagnostic(`provider state after one admission: ${JSON.stringify(footprint)}`);
    assert.equal(footprint['AnteroomVisit']?.count, 1);
    assert.equal(footprint['Session']?.count, 1);
    assert.equal(footprint['Interaction'], undefined, 'no interaction on the way in');
  } finally {
    await server.close();
  }
});

test('the per-client enqueue budget applies to new places taken through the provider, not to reloads', async () => {
  const server = await startOidcServer({ raw: { limits: { enqueuePerClientPerMinute: 2 } } });
  try {
    const first = new Browser();
    const page = await navigate(first, (await flow(server, 'client-b')).url);
    assert.ok(page.kind === 'page');
    assert.equal((await navigate(new Browser(), (await flow(server, 'client-b')).url)).kind, 'page');
    const refused = await navigate(new Browser(), (await flow(server, 'client-b')).url);
    assert.ok(refused.kind === 'page');
    assert.equal(refused.status, 429);
    for (let i = 0; i < 3; i++) {
      const reload = await navigate(first, page.url);
      assert.ok(reload.kind === 'page');
      assert.equal(reload.status, 200);
    }
    assert.equal(await server.deps.room.waitingNum('event-b'), 2);
  } finally {
    await server.close();
  }
});

test('a place taken through the queue API is the place the provider finds for the same browser', async () => {
  const server = await startOidcServer();
  try {
    await navigate(new Browser(), (await flow(server, 'client-b')).url);
    const browser = new Browser();
    const assigned = await browser.fetch(`${server.base}/assign_queue_num`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ event_id: 'event-b' }),
    });
    const { queue_number: position } = (await assigned.json()) as { queue_number: number };
    assert.equal(position, 2);
    const page = await navigate(browser, (await flow(server, 'client-b')).url);
    assert.ok(page.kind === 'page');
    assert.match(page.html, /data-field="queue_number">2</);
    assert.equal(await server.deps.room.waitingNum('event-b'), 2);
  } finally {
    await server.close();
  }
});

test('a place replaced on the waiting page is the place the provider finds: one replacement per spent place', async () => {
  const server = await startOidcServer();
  try {
    const browser = new Browser();
    const page = (path: string) =>
      browser.fetch(`${server.base}/waiting-room/event-b/${path}`, { method: 'POST' });
    const requestCookie = () =>
      [...browser.cookies.values()].find((cookie) => cookie.name === 'ar_rq_event-b')?.value;
    assert.equal((await page('join')).status, 303);
    await server.admit('event-b', 1);
    assert.equal((await page('admit')).status, 303);
    const first = requestCookie();
    assert.ok(first);
    // The operator ends the session: the place is spent, and the page offers to join again.
    await server.deps.room.updateSession('event-b', first, 'abandoned', 'test');
    assert.equal((await page('join')).status, 303);
    const replacement = requestCookie();
    assert.ok(replacement && replacement !== first);

    const landing = await navigate(browser, (await flow(server, 'client-b')).url);
    assert.ok(landing.kind === 'page');
    assert.match(landing.html, new RegExp(`data-request-id="${replacement}"`));
    assert.equal(await server.deps.room.waitingNum('event-b'), 1, 'no third place');
  } finally {
    await server.close();
  }
});
