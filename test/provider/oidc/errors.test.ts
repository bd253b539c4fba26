/**
 * Every malformed authorization, token or userinfo request gets the OAuth error the
 * specifications name — never a 500, never a redirect to an unregistered URI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oc from 'openid-client';
import { memoryAdapter } from '../../../provider/oidc/adapters/memory.ts';
import { Browser, navigate, type OidcServer, RP, SECRET_A, startOidcServer } from './harness.ts';

let server: OidcServer;
const adapter = memoryAdapter();
const OPEN_REDIRECT = `${RP}/open/callback`;

before(async () => {
  server = await startOidcServer({ adapter });
});
after(() => server.close());

function authUrl(params: Record<string, string>): URL {
  const url = new URL(`${server.issuer}/auth`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}

const pkce = { verifier: 'a'.repeat(43), challenge: oc.calculatePKCECodeChallenge('a'.repeat(43)) };

/** A code for the pass-through client (admitted at once), with PKCE. */
async function codeFor(browser = new Browser()): Promise<string> {
  const landing = await navigate(
    browser,
    authUrl({
      client_id: 'open-client',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: OPEN_REDIRECT,
      state: 's',
      code_challenge: await pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  assert.ok(landing.kind === 'callback', `expected a callback, got ${JSON.stringify(landing).slice(0, 300)}`);
  const code = landing.url.searchParams.get('code');
  assert.ok(code);
  return code;
}

async function token(
  body: Record<string, string>,
  secret: string | null = SECRET_A,
  clientId = 'open-client',
) {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (secret !== null)
    headers['Authorization'] = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: OPEN_REDIRECT,
    code_verifier: pkce.verifier,
    ...extra,
  });

test('a redirect_uri that is not registered exactly is refused on a page, never redirected to', async () => {
  for (const redirect of [
    `${RP}/open/callback/`,
    `${RP}/open/callback?x=1`,
    'https://evil.example/cb',
    `${RP}/open`,
  ]) {
    const response = await fetch(
      authUrl({
        client_id: 'open-client',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: redirect,
        state: 's',
      }),
      {
        redirect: 'manual',
      },
    );
    assert.equal(response.status, 400, redirect);
    assert.equal(response.headers.get('Location'), null);
    assert.match(await response.text(), /redirect_uri/);
  }
});

test('an unknown client is refused on a page', async () => {
  const response = await fetch(
    authUrl({ client_id: 'nobody', response_type: 'code', scope: 'openid', redirect_uri: OPEN_REDIRECT }),
    {
      redirect: 'manual',
    },
  );
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('Location'), null);
  assert.match(await response.text(), /invalid_client/);
});

test('authorization request errors go back to the client with the OAuth error', async () => {
  const base = {
    client_id: 'open-client',
    redirect_uri: OPEN_REDIRECT,
    state: 'st',
    scope: 'openid',
    response_type: 'code',
  };
  const cases: [Record<string, string>, string][] = [
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ response_type: 'code id_token' }, 'unsupported_response_type'],
    [{ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    [{ scope: 'openid "quoted"' }, 'invalid_scope'],
    [{ client_id: 'spa', redirect_uri: 'http://localhost:5173/callback' }, 'invalid_request'], // public client without PKCE
  ];
  for (const [override, error] of cases) {
    const landing = await navigate(new Browser(), authUrl({ ...base, ...override }));
    assert.ok(
      landing.kind === 'callback',
      `${JSON.stringify(override)}: ${JSON.stringify(landing).slice(0, 200)}`,
    );
    // Token-bearing response types answer in the fragment (their default response mode).
    const params =
      landing.url.hash === '' ? landing.url.searchParams : new URLSearchParams(landing.url.hash.slice(1));
    assert.equal(params.get('error'), error, JSON.stringify(override));
    assert.equal(params.get('state'), 'st');
    assert.equal(params.get('iss'), server.issuer);
  }
});

test('prompt=none without an admission answers login_required (and takes no place)', async () => {
  const before = await server.deps.room.waitingNum('event-b');
  const landing = await navigate(
    new Browser(),
    authUrl({
      client_id: 'client-b',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${RP}/b/callback`,
      prompt: 'none',
      state: 'n',
    }),
  );
  assert.ok(landing.kind === 'callback');
  assert.equal(landing.url.searchParams.get('error'), 'login_required');
  assert.equal(await server.deps.room.waitingNum('event-b'), before);
});

test('PKCE: a missing or wrong code_verifier is invalid_grant', async () => {
  const missing = await exchange(await codeFor(), { code_verifier: '' });
  assert.equal(missing.status, 400);
  assert.equal(missing.body['error'], 'invalid_grant');
  const wrong = await exchange(await codeFor(), { code_verifier: 'b'.repeat(43) });
  assert.equal(wrong.body['error'], 'invalid_grant');
});

test('a code is single-use: the second exchange is invalid_grant', async () => {
  const code = await codeFor();
  const first = await exchange(code);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const second = await exchange(code);
  assert.equal(second.status, 400);
  assert.equal(second.body['error'], 'invalid_grant');
});

test('a wrong client secret, or none, is invalid_client', async () => {
  const wrong = await exchange(await codeFor(), {});
  assert.equal(wrong.status, 200);
  const bad = await token(
    {
      grant_type: 'authorization_code',
      code: await codeFor(),
      redirect_uri: OPEN_REDIRECT,
      code_verifier: pkce.verifier,
    },
    'not-the-secret-0123456789',
  );
  assert.equal(bad.status, 401);
  assert.equal(bad.body['error'], 'invalid_client');
  const none = await token(
    {
      grant_type: 'authorization_code',
      code: await codeFor(),
      redirect_uri: OPEN_REDIRECT,
      code_verifier: pkce.verifier,
      client_id: 'open-client',
    },
    null,
  );
  assert.equal(none.status, 401);
  assert.equal(none.body['error'], 'invalid_client');
});

test('an expired code is invalid_grant', async () => {
  const code = await codeFor();
  const codes = adapter('AuthorizationCode');
  const stored = await codes.find(code);
  assert.ok(stored);
  await codes.upsert(code, { ...stored, exp: Math.floor(Date.now() / 1000) - 1 }, 60);
  // The response hides the detail; the provider's event names it.
  const detail = new Promise<string>((resolve) =>
    server.oidc.provider.once('grant.error', (_ctx: unknown, error: { error_detail?: string }) =>
      resolve(String(error.error_detail)),
    ),
  );
  const result = await exchange(code);
  assert.equal(result.status, 400);
  assert.equal(result.body['error'], 'invalid_grant');
  assert.match(await detail, /expired/);
});

test('revocation and introspection authenticate a confidential client: a wrong secret, or none, is invalid_client', async () => {
  for (const path of ['/token/revocation', '/token/introspection']) {
    const call = async (secret: string | null) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
      if (secret !== null)
        headers['Authorization'] = `Basic ${Buffer.from(`open-client:${secret}`).toString('base64')}`;
      const body = new URLSearchParams({ token: 'not-a-token-0123456789' });
      if (secret === null) body.set('client_id', 'open-client');
      const response = await fetch(`${server.issuer}${path}`, { method: 'POST', headers, body });
      return {
        status: response.status,
        body: (await response.json().catch(() => ({}))) as Record<string, string>,
      };
    };
    const wrong = await call('not-the-secret-0123456789');
    assert.equal(wrong.status, 401, path);
    assert.equal(wrong.body['error'], 'invalid_client', path);
    const none = await call(null);
    assert.equal(none.status, 401, path);
    assert.equal(none.body['error'], 'invalid_client', path);
    // The right secret is heard (an unknown token: 200, as RFC 7009 and RFC 7662 answer it).
    assert.equal((await call(SECRET_A)).status, 200, path);
  }
});

test('the token endpoint refuses unknown grant types and missing parameters', async () => {
  assert.equal(
    (await token({ grant_type: 'password', username: 'u', password: 'p' })).body['error'],
    'unsupported_grant_type',
  );
  assert.equal((await token({ grant_type: 'client_credentials' })).body['error'], 'unsupported_grant_type');
  assert.equal(
    (await token({ grant_type: 'refresh_token', refresh_token: 'nope' })).body['error'],
    'invalid_request',
  );
  assert.equal(
    (await token({ grant_type: 'authorization_code', redirect_uri: OPEN_REDIRECT })).body['error'],
    'invalid_request',
  );
});

test('userinfo refuses alg none, tampered, foreign and missing tokens with invalid_token', async () => {
  const result = await exchange(await codeFor());
  const accessToken = result.body['access_token']!;
  const call = (value: string | null) =>
    fetch(`${server.issuer}/me`, { headers: value === null ? {} : { Authorization: `Bearer ${value}` } });
  assert.equal((await call(accessToken)).status, 200);

  const [, payload] = accessToken.split('.');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  const tampered = accessToken.replace(
    payload!,
    Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'),
  );
  for (const value of [none, tampered, 'not-a-token', null]) {
    const response = await call(value);
    assert.equal(response.status, 401, String(value));
    assert.match(response.headers.get('WWW-Authenticate') ?? '', /^Bearer realm=.*error="invalid_token"/);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_token');
  }
});

test('malformed requests never answer 500 nor redirect anywhere unregistered', async () => {
  const attempts: URL[] = [
    authUrl({}),
    authUrl({ client_id: 'open-client' }),
    authUrl({ client_id: 'open-client', response_type: 'code', redirect_uri: 'javascript:alert(1)' }),
    authUrl({
      client_id: 'open-client',
      response_type: 'code',
      redirect_uri: OPEN_REDIRECT,
      scope: 'openid',
      request: 'e30.e30.',
    }),
    authUrl({
      client_id: 'open-client',
      response_type: 'code',
      redirect_uri: OPEN_REDIRECT,
      scope: 'openid',
      max_age: 'abc',
    }),
    authUrl({
      client_id: 'open-client',
      response_type: 'code',
      redirect_uri: OPEN_REDIRECT,
      scope: 'openid',
      claims: '{bad json',
    }),
    authUrl({
      client_id: 'open-client',
      response_type: 'code',
      redirect_uri: OPEN_REDIRECT,
      scope: 'openid',
      state: 'x'.repeat(3000),
    }),
    new URL(`${server.issuer}/auth?client_id=open-client&client_id=other&response_type=code`),
    new URL(`${server.issuer}/interaction/not-a-real-uid`),
    new URL(`${server.issuer}/interaction/..%2F..%2Fetc`),
    new URL(`${server.issuer}/auth/unknownuid`),
  ];
  for (const url of attempts) {
    const response = await fetch(url, { redirect: 'manual' });
    assert.ok(response.status < 500, `${url}: ${response.status}`);
    const location = response.headers.get('Location');
    if (location !== null)
      assert.ok(location.startsWith(OPEN_REDIRECT) || location.startsWith('/'), `${url} → ${location}`);
  }
  const posts = [
    ['token', 'grant_type=authorization_code&code=%ZZ'],
    ['token', '{"json":true}'],
    ['introspection', 'token='],
    ['revocation', ''],
  ];
  for (const [endpoint, body] of posts) {
    const response = await fetch(`${server.issuer}/${endpoint}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`open-client:${SECRET_A}`).toString('base64')}`,
      },
      body,
    });
    assert.ok(response.status >= 200 && response.status < 500, `${endpoint} ${body}: ${response.status}`);
  }
});
