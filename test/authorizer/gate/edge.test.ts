/**
 * The site gate on CloudFront, end to end on loopback: a real `anteroom serve`, the test playing
 * the browser between CloudFront viewer-request events handed to `createEdgeHandler` and real
 * HTTP requests to Anteroom (API.md §8), then the refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEdgeHandler, type EdgeHandler } from '../../../authorizer/edge.ts';
import type { GateConfig } from '../../../authorizer/gate.ts';
import {
  type Anteroom,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  cfHeader,
  EVENT_ID,
  followWithin,
  GateBrowser,
  isResponse,
  OTHER_CLIENT_ID,
  OTHER_CLIENT_SECRET,
  OTHER_SITE,
  queueThrough,
  SITE,
  startAnteroom,
  viewerRequest,
} from './support.ts';

const SESSION = '__Host-anteroom-session';
const silent = () => undefined;

describe('Lambda@Edge gate', () => {
  let anteroom: Anteroom;
  let config: GateConfig;
  let edge: EdgeHandler;

  before(async () => {
    anteroom = await startAnteroom();
    config = {
      issuer: anteroom.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      cookieSecret: COOKIE_SECRET,
      log: silent,
    };
    edge = createEdgeHandler(config);
  });
  after(() => anteroom?.close());

  function browserFor(handler: EdgeHandler = edge): GateBrowser {
    const browser = new GateBrowser();
    browser.edges.set(SITE, handler);
    return browser;
  }

  /** A gate whose token responses pass through `swap` (what a mix-up or a hostile network would hand it). */
  function withTokenResponses(swap: (body: Record<string, unknown>) => Record<string, unknown>): EdgeHandler {
    return createEdgeHandler({
      ...config,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (!String(input).endsWith('/token')) return response;
        const body = (await response.json()) as Record<string, unknown>;
        return Response.json(swap(body), { status: response.status });
      },
    });
  }

  /** A visitor signed in through the queue; returns the browser holding the session. */
  async function signedIn(handler: EdgeHandler = edge, page = '/') {
    const browser = browserFor(handler);
    const { callback } = await queueThrough(browser, anteroom, new URL(page, SITE));
    const landed = await browser.visit(callback);
    assert.equal(landed.status, 302, landed.body);
    return { browser, callback, landed };
  }

  it('queues the visitor at Anteroom, then forwards the page with the x-anteroom-* headers', async () => {
    const browser = browserFor();
    const page = new URL('/shop/item?colour=red&size=4', SITE);
    const { start, authorization, callback } = await queueThrough(browser, anteroom, page);

    // The authorization request (API.md §8), and the flow cookie that carries what the callback checks.
    const params = authorization.searchParams;
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), CLIENT_ID);
    assert.equal(params.get('redirect_uri'), `${SITE}/_anteroom/callback`);
    assert.equal(params.get('scope'), 'openid');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.match(params.get('nonce') ?? '', /^[\w-]{43}$/);
    const state = params.get('state') ?? '';
    assert.match(state, /^[\w-]{43}$/);
    assert.equal(start.headers['cache-control'], 'no-store');
    const flowCookie = start.setCookies.find((line) => line.startsWith(`__Host-anteroom-flow-${state}=`));
    assert.ok(flowCookie, 'one flow cookie named after the state');
    for (const attribute of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']) {
      assert.ok(flowCookie.split('; ').includes(attribute), `${attribute} in ${flowCookie}`);
    }
    assert.doesNotMatch(flowCookie, /Domain=/i);
    const sealed = flowCookie.split(';')[0]?.split('=')[1] ?? '';
    assert.ok(
      !Buffer.from(sealed, 'base64url')
        .toString('latin1')
        .includes(params.get('nonce') ?? ''),
    );

    // Back from the queue with a code: exchanged, a session, and off to the page first asked for.
    assert.equal(`${callback.origin}${callback.pathname}`, `${SITE}/_anteroom/callback`);
    assert.equal(callback.searchParams.get('state'), state);
    const landed = await browser.visit(callback);
    assert.equal(landed.status, 302, landed.body);
    assert.equal(landed.location?.href, page.href);
    const session = landed.setCookies.find((line) => line.startsWith(`${SESSION}=`));
    assert.ok(session, 'a session cookie');
    for (const attribute of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']) {
      assert.ok(session.split('; ').includes(attribute), `${attribute} in ${session}`);
    }
    const maxAge = Number(/Max-Age=(\d+)/.exec(session)?.[1]);
    assert.ok(maxAge > 0 && maxAge <= 1800, `the session ends with the admission (Max-Age ${maxAge})`);
    assert.ok(
      landed.setCookies.some(
        (line) => line.startsWith(`__Host-anteroom-flow-${state}=;`) && /Max-Age=0/.test(line),
      ),
      'the flow cookie is spent',
    );

    // The page itself: forwarded to the origin with who the visitor is.
    const forwarded = (await browser.visit(page)).forwarded;
    assert.ok(forwarded, 'CloudFront gets the request back');
    assert.equal(forwarded.uri, '/shop/item');
    assert.equal(forwarded.querystring, 'colour=red&size=4');
    const requestId = cfHeader(forwarded.headers, 'x-anteroom-request-id') ?? '';
    assert.equal(cfHeader(forwarded.headers, 'x-anteroom-event-id'), EVENT_ID);
    assert.ok((cfHeader(forwarded.headers, 'x-anteroom-sub') ?? '').length > 0);
    const position = Number(cfHeader(forwarded.headers, 'x-anteroom-queue-position'));
    assert.equal(position, await anteroom.queueNumber(requestId), 'the position the queue gave');
    assert.equal(forwarded.headers['x-anteroom-sub']?.[0]?.key, 'X-Anteroom-Sub');
  });

  it('forwards signed-in requests with the headers of the session, never those the client sent', async () => {
    const { browser } = await signedIn();
    const forged = {
      'X-Anteroom-Sub': 'someone-else',
      'x-anteroom-request-id': '00000000-0000-4000-8000-000000000000',
      'X-Anteroom-Queue-Position': '1',
      'x-anteroom-admin': 'true',
    };
    const forwarded = (await browser.visit(new URL('/account', SITE), { headers: forged })).forwarded;
    assert.ok(forwarded);
    assert.notEqual(cfHeader(forwarded.headers, 'x-anteroom-sub'), 'someone-else');
    assert.notEqual(cfHeader(forwarded.headers, 'x-anteroom-request-id'), forged['x-anteroom-request-id']);
    assert.equal(forwarded.headers['x-anteroom-sub']?.length, 1);
    assert.equal(forwarded.headers['x-anteroom-admin'], undefined);
  });

  it('strips forged x-anteroom-* headers on public paths too', async () => {
    const handler = createEdgeHandler({ ...config, publicPaths: ['/assets'] });
    const result = await handler(
      viewerRequest(new URL('/assets/site.css', SITE), { 'X-Anteroom-Sub': 'forged' }),
    );
    assert.ok(!isResponse(result));
    assert.equal(result.headers['x-anteroom-sub'], undefined);
  });

  it('counts a missing, edited, foreign or expired session cookie as none', async () => {
    const { browser } = await signedIn();
    const page = new URL('/', SITE);
    const original = browser.cookie('site.test', SESSION) ?? '';
    assert.ok((await browser.visit(page)).forwarded, 'the genuine cookie passes');

    const refused = async (value: string | null, handler: EdgeHandler = edge) => {
      const cookie: Record<string, string> = value === null ? {} : { cookie: `${SESSION}=${value}` };
      const result = await handler(viewerRequest(page, { ...cookie, 'sec-fetch-mode': 'navigate' }));
      assert.ok(isResponse(result), 'answered at the edge, not forwarded');
      assert.equal(result.status, '302');
      assert.ok(cfHeader(result.headers, 'location')?.startsWith(`${anteroom.issuer}/auth?`));
      return result;
    };
    await refused(null);
    // Edited: one character of the sealed value.
    const edited = await refused(original.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
    assert.ok(
      edited.headers?.['set-cookie']?.some((entry) => entry.value.startsWith(`${SESSION}=;`)),
      'the unusable cookie is cleared',
    );
    await refused(`${original}${original}`);
    await refused('');
    // Another deployment: another cookie secret, or the same secret for another client.
    await refused(original, createEdgeHandler({ ...config, cookieSecret: `${COOKIE_SECRET}-other` }));
    await refused(
      original,
      createEdgeHandler({ ...config, clientId: OTHER_CLIENT_ID, clientSecret: OTHER_CLIENT_SECRET }),
    );
    // Expired: the same gate an hour and a half later (the session lasts at most the admission).
    await refused(original, createEdgeHandler({ ...config, now: () => Date.now() + 5400 * 1000 }));
  });

  it('refuses a wrong state with a 400 page and no session', async () => {
    const browser = browserFor();
    const { callback } = await queueThrough(browser, anteroom, new URL('/', SITE));
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${(callback.searchParams.get('state') ?? '').slice(1)}A`);
    const refused = await browser.visit(tampered);
    assert.equal(refused.status, 400);
    assert.match(refused.headers['content-type'] ?? '', /text\/html/);
    assert.match(refused.body, /flow_not_found/);
    assert.ok(!refused.setCookies.some((line) => line.startsWith(`${SESSION}=`)));
    assert.equal(browser.cookie('site.test', SESSION), undefined);
  });

  it('refuses a replayed code with a 400 page, with or without the flow cookie', async () => {
    const browser = browserFor();
    const { callback } = await queueThrough(browser, anteroom, new URL('/', SITE));
    const flowName = `__Host-anteroom-flow-${callback.searchParams.get('state')}`;
    const flowValue = browser.cookie('site.test', flowName) ?? '';
    assert.equal((await browser.visit(callback)).status, 302);
    // The browser dropped the spent flow cookie: the answer no longer belongs to a sign-in here.
    const again = await browser.visit(callback);
    assert.equal(again.status, 400);
    assert.match(again.body, /flow_not_found/);
    // A copy of both (a stolen URL and cookie): the provider refuses the code a second time.
    const thief = browserFor();
    thief.setCookie('site.test', flowName, flowValue);
    const replay = await thief.visit(callback);
    assert.equal(replay.status, 400);
    assert.match(replay.body, /code_rejected/);
    assert.ok(!replay.setCookies.some((line) => line.startsWith(`${SESSION}=`)));
  });

  it('refuses an ID token issued to another client with a 401 page', async () => {
    // A genuine ID token for the other client, with the nonce of this sign-in, swapped into the
    // token response the gate receives (what a mix-up or a hostile network would hand it).
    const other = browserFor();
    other.edges.set(
      OTHER_SITE,
      createEdgeHandler({ ...config, clientId: OTHER_CLIENT_ID, clientSecret: OTHER_CLIENT_SECRET }),
    );
    let swapped = '';
    const intercepting = withTokenResponses((body) => ({ ...body, id_token: swapped }));
    const browser = browserFor(intercepting);
    const { authorization, callback } = await queueThrough(browser, anteroom, new URL('/', SITE));
    const nonce = authorization.searchParams.get('nonce') ?? '';

    // The other client's sign-in, asked with this nonce (and without PKCE: confidential clients may).
    const otherStart = await other.visit(new URL('/', OTHER_SITE));
    const otherAuthorization = otherStart.location as URL;
    otherAuthorization.searchParams.set('nonce', nonce);
    otherAuthorization.searchParams.delete('code_challenge');
    otherAuthorization.searchParams.delete('code_challenge_method');
    const issuerOrigin = new URL(anteroom.issuer).origin;
    const waiting = await followWithin(other, otherAuthorization, issuerOrigin);
    await anteroom.admit(1);
    const back = await followWithin(other, waiting.url, issuerOrigin);
    assert.ok(
      back.location?.href.startsWith(`${OTHER_SITE}/_anteroom/callback`),
      'the other client got a code',
    );
    const response = await fetch(`${anteroom.issuer}/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${OTHER_CLIENT_ID}:${OTHER_CLIENT_SECRET}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: back.location?.searchParams.get('code') ?? '',
        redirect_uri: `${OTHER_SITE}/_anteroom/callback`,
      }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    swapped = ((await response.json()) as { id_token: string }).id_token;
    assert.equal(jwtClaims(swapped).nonce, nonce);
    assert.equal(jwtClaims(swapped).aud, OTHER_CLIENT_ID);

    const refused = await browser.visit(callback);
    assert.equal(refused.status, 401);
    assert.match(refused.body, /id_token_invalid/);
    assert.ok(!refused.setCookies.some((line) => line.startsWith(`${SESSION}=`)));
  });

  it('refuses an ID token of another sign-in of this client (another nonce) with a 401 page', async () => {
    // Two sign-ins of one browser; the second's genuine ID token is handed to the first's callback.
    let captured = '';
    let substitute: string | null = null;
    const intercepting = withTokenResponses((body) => {
      captured = String(body['id_token']);
      return substitute === null ? body : { ...body, id_token: substitute };
    });
    const first = browserFor(intercepting);
    const { callback: firstCallback } = await queueThrough(first, anteroom, new URL('/a', SITE));
    const second = browserFor(intercepting);
    const { callback: secondCallback } = await queueThrough(second, anteroom, new URL('/b', SITE));
    assert.equal((await second.visit(secondCallback)).status, 302);
    substitute = captured;
    const refused = await first.visit(firstCallback);
    assert.equal(refused.status, 401);
    assert.match(refused.body, /id_token_invalid/);
    assert.equal(first.cookie('site.test', SESSION), undefined);
  });

  it('protects path prefixes on segment boundaries and leaves public paths alone', async () => {
    const handler = createEdgeHandler({
      ...config,
      protect: ['/shop', '/account/'],
      publicPaths: ['/shop/assets'],
    });
    const outcome = async (path: string) => {
      const url = new URL(`https://site.test${path}`);
      const event = viewerRequest(url);
      // Keep the path exactly as sent (URL would normalise it).
      (event.Records[0] as { cf: { request: { uri: string } } }).cf.request.uri = path.split(
        '?',
      )[0] as string;
      const result = await handler(event);
      return isResponse(result) ? result.status : 'forwarded';
    };
    assert.equal(await outcome('/shop'), '302');
    assert.equal(await outcome('/shop/cart'), '302');
    assert.equal(await outcome('/shopping'), 'forwarded');
    assert.equal(await outcome('/shop-news'), 'forwarded');
    assert.equal(await outcome('/account'), 'forwarded', '"/account/" covers what lies below it only');
    assert.equal(await outcome('/account/orders'), '302');
    assert.equal(await outcome('/'), 'forwarded');
    assert.equal(await outcome('/shop/assets/site.css'), 'forwarded');
    assert.equal(await outcome('/shop/assetsy'), '302');
    assert.equal(await outcome('/shop/assets/../cart'), '302');
    assert.equal(await outcome('/shop/assets/%2e%2e/cart'), '302');
    assert.equal(await outcome('/shop/assets%2F..%2Fcart'), '302');
    assert.equal(await outcome('/%73hop/cart'), '302');
    assert.equal(await outcome('/shop/assets/%E0%A4%A'), '302', 'undecodable: protected');
  });

  it('answers 401 instead of a redirect to requests that are not page navigations', async () => {
    for (const mode of ['cors', 'no-cors', 'same-origin']) {
      const result = await edge(viewerRequest(new URL('/api/cart', SITE), { 'sec-fetch-mode': mode }));
      assert.ok(isResponse(result));
      assert.equal(result.status, '401');
      assert.equal(cfHeader(result.headers, 'set-cookie'), undefined, 'no sign-in started');
    }
  });

  it('keeps one flow per tab, at most four', async () => {
    const browser = browserFor();
    for (let tab = 0; tab < 6; tab++) {
      const start = await browser.visit(new URL(`/tab/${tab}`, SITE));
      assert.equal(start.status, 302);
    }
    const flows = browser.names('site.test').filter((name) => name.startsWith('__Host-anteroom-flow-'));
    assert.equal(flows.length, 4);
  });

  it('signs out: the session is cleared and the visitor sent to the provider to end its session', async () => {
    const { browser } = await signedIn();
    const out = await browser.visit(new URL('/_anteroom/sign-out', SITE));
    assert.equal(out.status, 302);
    assert.equal(`${out.location?.origin}${out.location?.pathname}`, `${anteroom.issuer}/session/end`);
    assert.equal(out.location?.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(browser.cookie('site.test', SESSION), undefined);
    assert.equal((await browser.visit(new URL('/', SITE))).status, 302, 'no session any more');
  });

  it('ends the session at the edge once Anteroom ends it, when re-checking', async () => {
    let clock = Date.now();
    const rechecking = createEdgeHandler({ ...config, recheckSeconds: 30, now: () => clock });
    const { browser } = await signedIn(rechecking);
    const page = new URL('/', SITE);
    const forwarded = (await browser.visit(page)).forwarded;
    assert.ok(forwarded);
    await anteroom.endSession(cfHeader(forwarded.headers, 'x-anteroom-request-id') ?? '');
    assert.ok((await browser.visit(page)).forwarded, 'within the interval: no call to Anteroom');
    clock += 31_000;
    const ended = await browser.visit(page);
    assert.equal(ended.status, 302);
    assert.ok(ended.location?.href.startsWith(`${anteroom.issuer}/auth?`));
    assert.equal(browser.cookie('site.test', SESSION), undefined, 'the session cookie is cleared');
  });

  it('answers 503 with Retry-After while Anteroom is out of reach', async () => {
    const handler = createEdgeHandler({ ...config, issuer: 'http://127.0.0.1:9/oidc' });
    const result = await handler(viewerRequest(new URL('/', SITE)));
    assert.ok(isResponse(result));
    assert.equal(result.status, '503');
    assert.equal(cfHeader(result.headers, 'retry-after'), '2');
    assert.equal(cfHeader(result.headers, 'cache-control'), 'no-store');
  });
});

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}
