import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import request from 'supertest';
import {
  type Admission,
  createDecide,
  createVerifier,
  expressAuthorizer,
  koaAuthorizer,
  parseAuthorizationHeader,
  type Verifier,
} from '../../authorizer/index.ts';
import {
  EVENT_ID,
  ISSUER,
  type JwksServer,
  makeClock,
  makeKey,
  mint,
  startJwksServer,
  type TestKey,
} from './support.ts';

let key: TestKey;
let jwks: JwksServer;
let verifier: Verifier;
let token: string;

before(async () => {
  key = await makeKey('ES256');
  jwks = await startJwksServer([key.publicJwk]);
  verifier = createVerifier({ jwksUrl: jwks.url, issuer: ISSUER, audience: EVENT_ID, now: makeClock().now });
  token = await mint(key, { claims: { sub: 'req-5', queue_position: 5 } });
});
after(() => jwks.close());

describe('parseAuthorizationHeader', () => {
  it('accepts a raw JWT and the Bearer form', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    assert.equal(parseAuthorizationHeader(jwt), jwt);
    assert.equal(parseAuthorizationHeader(`Bearer ${jwt}`), jwt);
    assert.equal(parseAuthorizationHeader(`bearer   ${jwt} `), jwt);
    assert.equal(parseAuthorizationHeader([`Bearer ${jwt}`]), jwt);
  });

  it('finds no token in anything else', () => {
    for (const value of [
      undefined,
      null,
      '',
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      'a.b',
      'a.b.c.d',
      'a b.c.d',
    ]) {
      assert.equal(parseAuthorizationHeader(value), null, String(value));
    }
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    assert.equal(parseAuthorizationHeader([jwt, jwt]), null, 'a repeated header is ambiguous');
  });
});

describe('decide(headers)', () => {
  it('decides from a header map with any header-name case', async () => {
    const decide = createDecide(verifier);
    const allowed = await decide({ Authorization: `Bearer ${token}` });
    assert.ok(allowed.allow);
    assert.deepEqual(allowed.context, { event_id: EVENT_ID, queue_position: 5, request_id: 'req-5' });
    assert.deepEqual(await decide({}), { allow: false, reason: 'missing_token' });
    assert.deepEqual(await decide({ authorization: 'Bearer junk' }), {
      allow: false,
      reason: 'malformed_token',
    });
  });

  it('is also a method of the verifier', async () => {
    const decision = await verifier.decide({ AUTHORIZATION: token });
    assert.equal(decision.allow, true);
    assert.deepEqual(await verifier.decide({ authorization: [token, token] }), {
      allow: false,
      reason: 'malformed_token',
    });
  });

  it('builds its own verifier from options', async () => {
    const decide = createDecide({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: 'other',
      now: makeClock().now,
    });
    assert.deepEqual(await decide({ authorization: token }), { allow: false, reason: 'invalid_audience' });
  });
});

describe('koaAuthorizer', () => {
  function app() {
    const koa = new Koa<{ admission?: Admission }>();
    koa.use(koaAuthorizer(verifier));
    koa.use((ctx) => {
      ctx.body = { admitted: ctx.state.admission?.context };
    });
    return koa.callback();
  }

  it('lets an admitted visitor through with ctx.state.admission', async () => {
    const response = await request(app())
      .get('/checkout')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    assert.deepEqual(response.body, {
      admitted: { event_id: EVENT_ID, queue_position: 5, request_id: 'req-5' },
    });
    await request(app()).get('/checkout').set('Authorization', token).expect(200);
  });

  it('answers 401 with a stable code and a Bearer challenge', async () => {
    const expired = await mint(key, { at: Date.UTC(2020, 0, 1) });
    const response = await request(app())
      .get('/checkout')
      .set('Authorization', `Bearer ${expired}`)
      .expect(401);
    assert.deepEqual(response.body, { error: 'The admission token has expired.', code: 'token_expired' });
    assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');

    const missing = await request(app()).get('/checkout').expect(401);
    assert.equal(missing.body.code, 'missing_token');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
  });

  it('answers 503 with Retry-After when the keys cannot be loaded', async () => {
    const down = await startJwksServer([key.publicJwk]);
    down.failWith(500);
    try {
      const koa = new Koa();
      koa.use(koaAuthorizer({ jwksUrl: down.url, issuer: ISSUER, audience: EVENT_ID, now: makeClock().now }));
      const response = await request(koa.callback()).get('/').set('Authorization', token).expect(503);
      assert.equal(response.body.code, 'jwks_unavailable');
      assert.equal(response.headers['retry-after'], '2');
    } finally {
      await down.close();
    }
  });
});

describe('expressAuthorizer on a plain node:http server', () => {
  let server: Server;
  let base: string;

  before(async () => {
    const admit = expressAuthorizer(verifier);
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      admit(req, res, (error) => {
        res.writeHead(error ? 500 : 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            admitted: (req as IncomingMessage & { admission?: Admission }).admission?.context,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('calls next() with req.admission for an admitted visitor', async () => {
    const response = await fetch(`${base}/checkout`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      admitted: { event_id: EVENT_ID, queue_position: 5, request_id: 'req-5' },
    });
  });

  it('answers 401 itself for a refused token', async () => {
    const forged = `${token.slice(0, -4)}AAAA`;
    const response = await fetch(`${base}/checkout`, { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), {
      error: 'The admission token signature is invalid.',
      code: 'invalid_signature',
    });
  });
});
