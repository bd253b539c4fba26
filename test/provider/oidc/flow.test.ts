/**
 * The authorization code flow end to end with openid-client (an independent relying-party
 * library): discovery, PKCE + state + nonce, the waiting page, admission through the serving
 * counter, code exchange, ID token validation, JWT access token, userinfo.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oc from 'openid-client';
import {
  Browser,
  navigate,
  type OidcServer,
  RP,
  SECRET_A,
  SECRET_B,
  startFlow,
  startOidcServer,
} from './harness.ts';

let server: OidcServer;

before(async () => {
  server = await startOidcServer();
});
after(() => server.close());

async function discover(clientId: string, auth: oc.ClientAuth, secret?: string): Promise<oc.Configuration> {
  return oc.discovery(new URL(server.issuer), clientId, secret, auth, {
    execute: [oc.allowInsecureRequests],
  });
}

test('discovery advertises a code-flow-only, S256-only, RS256 provider under the issuer', async () => {
  const response = await fetch(`${server.issuer}/.well-known/openid-configuration`);
  assert.equal(response.status, 200);
  const meta = (await response.json()) as Record<string, unknown>;
  assert.equal(meta['issuer'], server.issuer);
  for (const endpoint of [
    'authorization_endpoint',
    'token_endpoint',
    'userinfo_endpoint',
    'jwks_uri',
    'end_session_endpoint',
    'introspection_endpoint',
    'revocation_endpoint',
  ]) {
    assert.ok(String(meta[endpoint]).startsWith(`${server.issuer}/`), `${endpoint}: ${meta[endpoint]}`);
  }
  assert.deepEqual(meta['response_types_supported'], ['code']);
  assert.deepEqual(meta['code_challenge_methods_supported'], ['S256']);
  assert.deepEqual(meta['id_token_signing_alg_values_supported'], ['RS256']);
  assert.ok((meta['token_endpoint_auth_methods_supported'] as string[]).includes('client_secret_basic'));
  assert.ok((meta['token_endpoint_auth_methods_supported'] as string[]).includes('client_secret_post'));
  assert.ok((meta['claims_supported'] as string[]).includes('request_id'));
  assert.equal(meta['authorization_response_iss_parameter_supported'], true);
});

test('a visitor waits, is admitted, and the relying party gets validated tokens (client_secret_post)', async () => {
  const config = await discover('client-a', oc.ClientSecretPost(SECRET_A), SECRET_A);
  const redirectUri = `${RP}/a/callback`;
  const flow = await startFlow(config, redirectUri);
  const browser = new Browser();

  const waiting = await navigate(browser, flow.url);
  assert.equal(waiting.kind, 'page');
  assert.ok(waiting.kind === 'page');
  assert.equal(waiting.status, 200);
  assert.match(waiting.url.pathname, /^\/oidc\/interaction\/[\w-]+$/);
  assert.match(waiting.html, /in the queue/i);
  // Reloading keeps the place: still position 1, still waiting.
  const again = await navigate(browser, waiting.url);
  assert.ok(again.kind === 'page');
  assert.match(again.html, /data-field="queue_number">1</);

  // The page's poll reads the queue.
  const statusUrl = /data-status-url="([^"]+)"/.exec(waiting.html)?.[1]?.replaceAll('&amp;', '&');
  assert.ok(statusUrl);
  const polled = (await (await browser.fetch(new URL(statusUrl, server.base))).json()) as {
    state: string;
    queue_number: number;
  };
  assert.equal(polled.state, 'waiting');

  await server.admit('event-a', 1);
  const served = (await (await browser.fetch(new URL(statusUrl, server.base))).json()) as { state: string };
  assert.equal(served.state, 'admitted');

  const back = await navigate(browser, waiting.url);
  assert.equal(back.kind, 'callback');
  assert.ok(back.kind === 'callback');
  assert.equal(back.url.searchParams.get('iss'), server.issuer);

  const tokens = await oc.authorizationCodeGrant(config, back.url, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  const claims = tokens.claims()!;
  assert.equal(claims['event_id'], 'event-a');
  assert.equal(claims['queue_position'], 1);
  assert.match(String(claims['request_id']), /^[0-9a-f-]{36}$/);
  assert.equal(typeof claims['queued_at'], 'number');
  assert.equal(typeof claims['admitted_at'], 'number');
  const header = decodeProtectedHeader(tokens.id_token!);
  assert.equal(header.alg, 'RS256');
  assert.equal(typeof header.kid, 'string');

  // The access token is a JWT an API verifies offline against the JWKS.
  const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: [] };
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
    issuer: server.issuer,
    audience: 'event-a',
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.sub, claims.sub);
  assert.ok(payload.exp! - payload.iat! <= 1800);

  const info = await oc.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info['request_id'], claims['request_id']);
  assert.equal(info['queue_position'], 1);
  assert.equal(info['event_id'], 'event-a');
});

test('client_secret_basic works the same way', async () => {
  const config = await discover('client-b', oc.ClientSecretBasic(SECRET_B), SECRET_B);
  const flow = await startFlow(config, `${RP}/b/callback`);
  const browser = new Browser();
  const waiting = await navigate(browser, flow.url);
  assert.ok(waiting.kind === 'page');
  await server.admit('event-b', 1);
  const back = await navigate(browser, waiting.url);
  assert.ok(back.kind === 'callback');
  const tokens = await oc.authorizationCodeGrant(config, back.url, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  assert.equal(tokens.claims()!['event_id'], 'event-b');
});

test('a public client (no secret) gets through with PKCE; its access token carries its own audience', async () => {
  const config = await discover('spa', oc.None());
  const redirectUri = 'http://localhost:5173/callback';
  const flow = await startFlow(config, redirectUri);
  const browser = new Browser();
  const waiting = await navigate(browser, flow.url);
  assert.ok(waiting.kind === 'page');
  const served = await server.admit('event-a', 1);
  const back = await navigate(browser, waiting.url);
  assert.ok(back.kind === 'callback');
  assert.ok(back.url.href.startsWith(redirectUri));
  const tokens = await oc.authorizationCodeGrant(config, back.url, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  assert.equal(tokens.claims()!['queue_position'], served);
  assert.equal(tokens.refresh_token, undefined);
  const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: [] };
  const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
    issuer: server.issuer,
    audience: 'https://api.shop.example',
  });
  assert.equal(payload['client_id'], 'spa');
  // The token endpoint answers the SPA's origin (CORS), not others.
  const preflight = await fetch(`${server.issuer}/token`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(preflight.headers.get('Access-Control-Allow-Origin'), 'http://localhost:5173');
  const foreign = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: 'spa',
      code: 'x',
      redirect_uri: redirectUri,
    }),
  });
  assert.equal(foreign.headers.get('Access-Control-Allow-Origin'), null);
  assert.equal(((await foreign.json()) as { error: string }).error, 'invalid_request');
});

test('userinfo by POST (header or form body); prompt=login and max_age re-run the interaction without a loop', async () => {
  const config = await discover('client-a', oc.ClientSecretBasic(SECRET_A), SECRET_A);
  const redirectUri = `${RP}/a/callback`;
  const browser = new Browser();
  const first = await startFlow(config, redirectUri);
  const waiting = await navigate(browser, first.url);
  assert.ok(waiting.kind === 'page');
  await server.admit('event-a', 1);
  const back = await navigate(browser, waiting.url);
  assert.ok(back.kind === 'callback');
  const tokens = await oc.authorizationCodeGrant(config, back.url, {
    pkceCodeVerifier: first.verifier,
    expectedState: first.state,
    expectedNonce: first.nonce,
  });
  const sub = tokens.claims()!.sub;

  const byHeader = await fetch(`${server.issuer}/me`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(((await byHeader.json()) as { sub: string }).sub, sub);
  const byBody = await fetch(`${server.issuer}/me`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  assert.equal(((await byBody.json()) as { sub: string }).sub, sub);

  // An admitted browser asked to log in again (or with max_age=0) goes through the interaction
  // once and comes back: no queue, no loop, same subject, a fresh auth_time.
  for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
    const again = await startFlow(config, redirectUri, extra);
    const landing = await navigate(browser, again.url);
    assert.ok(
      landing.kind === 'callback',
      `${JSON.stringify(extra)}: ${JSON.stringify(landing).slice(0, 300)}`,
    );
    const renewed = await oc.authorizationCodeGrant(config, landing.url, {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
      ...(extra.max_age ? { maxAge: 0 } : {}),
    });
    assert.equal(renewed.claims()!.sub, sub);
  }
});
