/**
 * `anteroom serve` parks `GET /oidc/auth` on its fast path (`provider/server/hot-path.ts`), by
 * the same checks and the same parking as the provider's Koa mount (`OidcEntry` of
 * `provider/oidc/index.ts`). Side by side, one app behind two listeners (the fast path in front
 * of the Koa app, and the Koa app alone): a parkable request gets the same 303 from both, without
 * reaching the Koa app on the fast path, and its waiting page opens; every other request is
 * handed to the Koa app and answered as the Koa app alone answers it; and what the fast path
 * found is not done twice (the per-client budget is taken once per request). The parked
 * request's waiting page likewise: answered on the fast path with the Koa app's page, headers and
 * cookies, until admission (the 303 to the hand-over with its ticket); a refused token is the
 * Koa app's to answer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { withHotPaths } from '../../../provider/server/hot-path.ts';
import { Browser, buildOidcApp, navigate, RP } from './harness.ts';

const PARKED_LOCATION = /^\/oidc\/interaction\/[A-Za-z0-9_-]{65,}$/;
const HEADERS = ['cache-control', 'content-type', 'content-length', 'retry-after'];

async function listen(handler: RequestListener): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One app behind two listeners: `fast` (withHotPaths in front, as `anteroom serve`) and `koa`. */
async function twoStacks(raw: Record<string, unknown> = {}) {
  let handler: RequestListener = (_req, res) => res.end();
  const fast = await listen((req, res) => handler(req, res));
  const { deps, oidc, app } = await buildOidcApp(fast.base, { raw });
  const koaHandler = app.callback();
  const koa = await listen(koaHandler);
  const counts = { handedToKoa: 0 };
  handler = withHotPaths(
    deps,
    (req, res) => {
      counts.handedToKoa++;
      koaHandler(req, res);
    },
    { oidcEntry: oidc.entry, oidcPage: oidc.page },
  );
  return {
    deps,
    fast: fast.base,
    koa: koa.base,
    counts,
    async close() {
      await oidc.close();
      deps.room.close();
      for (const { server } of [fast, koa]) {
        server.closeAllConnections();
        server.close();
      }
    },
  };
}

function authorizeQuery(extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    client_id: 'client-b',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${RP}/b/callback`,
    state: 'state-0123456789',
    nonce: 'nonce-0123456789',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
}

async function get(base: string, query: string, cookie?: string) {
  const answer = await fetch(`${base}/oidc/auth?${query}`, {
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
  });
  const body = await answer.text();
  return { answer, body, error: /Error: <code>([^<]+)<\/code>/.exec(body)?.[1] };
}

/** Set-Cookie names and attributes (the values are fresh ids). */
const cookieShape = (answer: Response) =>
  answer.headers.getSetCookie().map((cookie) => cookie.replace(/=[^;]*;/, '=…;'));

test('a parkable request is parked on the fast path, with the answer the Koa app gives', async () => {
  const stacks = await twoStacks();
  try {
    for (const cookie of [undefined, 'fresh']) {
      let visitorCookie: string | undefined;
      if (cookie === 'fresh') {
        const first = await get(stacks.koa, authorizeQuery());
        visitorCookie = first.answer.headers.getSetCookie()[0]?.split(';')[0];
        assert.ok(visitorCookie?.startsWith('anteroom_vid='));
      }
      const before = stacks.counts.handedToKoa;
      const hot = await get(stacks.fast, authorizeQuery(), visitorCookie);
      assert.equal(stacks.counts.handedToKoa, before, 'answered on the fast path');
      const plain = await get(stacks.koa, authorizeQuery(), visitorCookie);
      assert.equal(hot.answer.status, 303);
      assert.equal(plain.answer.status, 303);
      for (const name of HEADERS) {
        assert.equal(hot.answer.headers.get(name), plain.answer.headers.get(name), name);
      }
      assert.ok(hot.answer.headers.get('x-request-id'));
      assert.deepEqual(cookieShape(hot.answer), cookieShape(plain.answer));
      assert.equal(cookieShape(hot.answer).length, visitorCookie === undefined ? 1 : 0);
      assert.equal(hot.body, '');
      const location = hot.answer.headers.get('location') ?? '';
      assert.match(location, PARKED_LOCATION);
      assert.match(plain.answer.headers.get('location') ?? '', PARKED_LOCATION);

      // The fast path's parked request is the Koa app's: its waiting page opens in this browser.
      const browser = new Browser();
      browser.store(new URL(`${stacks.fast}/oidc/auth`), hot.answer);
      if (visitorCookie !== undefined) {
        const [name = '', value = ''] = visitorCookie.split('=');
        browser.cookies.set(`${name};/`, { name, value, path: '/' });
      }
      const page = await browser.fetch(`${stacks.fast}${location}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /data-field="queue_number"/);
    }
  } finally {
    await stacks.close();
  }
});

test('every request parking does not take is handed to the Koa app and answered as it answers it', async () => {
  const stacks = await twoStacks();
  try {
    const requests: Array<[string, string]> = [
      ['unknown client', authorizeQuery({ client_id: 'nobody' })],
      ['unregistered redirect URI', authorizeQuery({ redirect_uri: `${RP}/elsewhere` })],
      ['response type', authorizeQuery({ response_type: 'token' })],
      ['PKCE plain', authorizeQuery({ code_challenge_method: 'plain' })],
      ['prompt=none', authorizeQuery({ prompt: 'none' })],
      ['max_age', authorizeQuery({ max_age: '0' })],
      ['oversized state', authorizeQuery({ state: 'x'.repeat(3000) })],
      [
        'pass-through event',
        authorizeQuery({ client_id: 'open-client', redirect_uri: `${RP}/open/callback` }),
      ],
    ];
    for (const [label, query] of requests) {
      const before = stacks.counts.handedToKoa;
      const hot = await get(stacks.fast, query);
      assert.equal(stacks.counts.handedToKoa, before + 1, `${label}: handed to the Koa app`);
      const plain = await get(stacks.koa, query);
      assert.equal(hot.answer.status, plain.answer.status, label);
      assert.equal(hot.error, plain.error, label);
      const where = (answer: Response) => {
        const location = answer.headers.get('location');
        // The provider's own interactions have a fresh uid each.
        return location === null
          ? null
          : new URL(location, 'http://x').pathname.replace(/\/interaction\/[^/]+$/, '/interaction/:uid');
      };
      assert.equal(where(hot.answer), where(plain.answer), label);
      const [hotLocation, plainLocation] = [hot, plain].map((one) => one.answer.headers.get('location'));
      if (hotLocation?.startsWith(RP)) {
        // An error or pass-through back at the client: the same parameters but the fresh code.
        const params = (location: string) => {
          const found = new URL(location).searchParams;
          found.delete('code');
          return found.toString();
        };
        assert.equal(params(hotLocation), params(plainLocation ?? ''), label);
      }
    }
  } finally {
    await stacks.close();
  }
});

test('the per-client budget is taken once per request, whichever stack answers it', async () => {
  const stacks = await twoStacks({
    limits: { enqueuePerClientPerMinute: 0, authorizePerClientPerMinute: 4 },
  });
  try {
    const statuses: number[] = [];
    const sequence = [
      authorizeQuery(), // parked on the fast path
      authorizeQuery({ client_id: 'nobody' }), // handed to Koa after the budget was taken
      authorizeQuery({ prompt: 'none' }), // handed to Koa: parking leaves it to the provider
      authorizeQuery(), // the fourth: still within the budget
      authorizeQuery(), // the fifth: refused (by the Koa app's page)
      authorizeQuery({ client_id: 'nobody' }), // refused too, before any other check
    ];
    let retryAfter: string | null = null;
    for (const query of sequence) {
      const { answer } = await get(stacks.fast, query);
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers.get('retry-after');
    }
    assert.deepEqual(statuses, [303, 400, 303, 303, 429, 429]);
    assert.ok(Number(retryAfter) > 0, 'a 429 page with Retry-After');
  } finally {
    await stacks.close();
  }
});

/** A browser parked for client-b through `base`: its jar and the waiting page's path. */
async function parkedBrowser(base: string) {
  const browser = new Browser();
  const entry = await browser.fetch(`${base}/oidc/auth?${authorizeQuery()}`);
  await entry.body?.cancel();
  assert.equal(entry.status, 303);
  const location = entry.headers.get('location') ?? '';
  assert.match(location, PARKED_LOCATION);
  return { browser, page: location };
}

const PAGE_HEADERS = [
  'content-type',
  'cache-control',
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'vary',
];

function assertSamePage(hot: Response, plain: Response, label: string): void {
  assert.equal(hot.status, plain.status, label);
  for (const name of PAGE_HEADERS) {
    assert.equal(hot.headers.get(name), plain.headers.get(name), `${label}: ${name}`);
  }
  assert.ok(hot.headers.get('x-request-id'), label);
  assert.deepEqual(cookieShape(hot), cookieShape(plain), `${label}: cookies`);
}

const requestIdOf = (html: string) => /data-request-id="([^"]+)"/.exec(html)?.[1];
/** A page without the clock it was rendered at (two renders may fall in different seconds). */
const clockless = (html: string) =>
  html.replace(/data-now="\d+"/, '').replace(/<time datetime="[^"]*">[^<]*<\/time>/, '<time></time>');

test("a parked request's waiting page is answered on the fast path as the Koa app answers it", async () => {
  const stacks = await twoStacks();
  try {
    const a = await parkedBrowser(stacks.fast);
    const b = await parkedBrowser(stacks.fast);
    // First views (each takes its place and gets the place cookie): A on the fast path, B on Koa.
    const before = stacks.counts.handedToKoa;
    const hot = await a.browser.fetch(`${stacks.fast}${a.page}`);
    assert.equal(stacks.counts.handedToKoa, before, 'answered on the fast path');
    const plain = await b.browser.fetch(`${stacks.koa}${b.page}`);
    assertSamePage(hot, plain, 'first view');
    assert.equal(cookieShape(hot).length, 1, 'the place cookie');
    const [hotHtml, plainHtml] = [await hot.text(), await plain.text()];
    assert.equal(Number(hot.headers.get('content-length')), Buffer.byteLength(hotHtml));
    assert.match(hotHtml, /data-field="queue_number">1</);
    assert.match(plainHtml, /data-field="queue_number">2</);
    // Later views of A: the same place, no new cookie, and the same page on either stack (but
    // the clock it was rendered at).
    const later: string[] = [];
    for (const base of [stacks.koa, stacks.fast]) {
      const again = await a.browser.fetch(`${base}${a.page}`);
      assert.equal(again.status, 200);
      assert.deepEqual(cookieShape(again), []);
      const html = await again.text();
      assert.equal(requestIdOf(html), requestIdOf(hotHtml));
      later.push(clockless(html));
    }
    assert.equal(later[0], later[1]);
    assert.equal(later[1], clockless(hotHtml));

    // A token opened by another browser is refused, by the Koa app on both stacks.
    const handed = stacks.counts.handedToKoa;
    const [refusedHot, refusedPlain] = [
      await b.browser.fetch(`${stacks.fast}${a.page}`),
      await b.browser.fetch(`${stacks.koa}${a.page}`),
    ];
    assert.equal(stacks.counts.handedToKoa, handed + 1, 'handed to the Koa app');
    assert.equal(refusedHot.status, 400);
    assertSamePage(refusedHot, refusedPlain, 'another browser');
    assert.match(await refusedHot.text(), /another browser/);
    await refusedPlain.body?.cancel();

    // Admitted: the fast path's 303 to the hand-over, with the ticket, as Koa's; then the code.
    await stacks.deps.room.incrementServingCounter('event-b', 2, 'test');
    const handedBefore = stacks.counts.handedToKoa;
    const admittedHot = await a.browser.fetch(`${stacks.fast}${a.page}`);
    assert.equal(stacks.counts.handedToKoa, handedBefore, 'the admitted view answered on the fast path');
    const admittedPlain = await b.browser.fetch(`${stacks.koa}${b.page}`);
    assert.equal(admittedHot.status, 303);
    for (const name of ['cache-control', 'content-type', 'content-length']) {
      assert.equal(admittedHot.headers.get(name), admittedPlain.headers.get(name), name);
    }
    assert.deepEqual(cookieShape(admittedHot), cookieShape(admittedPlain));
    assert.match(cookieShape(admittedHot)[0] ?? '', /^_ar_admitted=…; Path=\/oidc\/auth\//);
    assert.equal(admittedHot.headers.get('location'), `${stacks.fast}/oidc/auth/${a.page.split('/').at(-1)}`);
    const landing = await navigate(a.browser, admittedHot.headers.get('location') ?? '');
    assert.equal(landing.kind, 'callback');
    assert.ok(landing.kind === 'callback' && landing.url.searchParams.get('code'));
  } finally {
    await stacks.close();
  }
});
