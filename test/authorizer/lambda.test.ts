import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier, type Verifier } from '../../authorizer/index.ts';
import {
  type AuthorizerEvent,
  type AuthorizerResult,
  createLambdaHandler,
  handler,
  readAuthorizerEnv,
} from '../../authorizer/lambda.ts';
import { API_WILDCARD, httpV1Event, httpV2Event, restRequestEvent, tokenEvent } from './events.ts';
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

type Handler = (event: AuthorizerEvent) => Promise<AuthorizerResult>;

function call(h: Handler, event: unknown): Promise<AuthorizerResult> {
  return h(event as AuthorizerEvent);
}

function allowPolicy(requestId: string, queuePosition: number) {
  return {
    principalId: requestId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: API_WILDCARD }],
    },
    context: { event_id: EVENT_ID, queue_position: queuePosition, request_id: requestId },
  };
}

function denyPolicy(reason: string) {
  return {
    principalId: 'denied',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: API_WILDCARD }],
    },
    context: { reason },
  };
}

const unauthorized = (error: Error) => error.message === 'Unauthorized';

describe('Lambda authorizer', () => {
  let key: TestKey;
  let server: JwksServer;
  let verifier: Verifier;
  let logs: { level: string; reason: string }[];
  let authorize: Handler;
  let token: string;

  before(async () => {
    key = await makeKey('ES256');
    server = await startJwksServer([key.publicJwk]);
    verifier = createVerifier({
      jwksUrl: server.url,
      issuer: ISSUER,
      audience: EVENT_ID,
      now: makeClock().now,
    });
    logs = [];
    authorize = createLambdaHandler(verifier, { log: (entry) => logs.push(entry) });
    token = await mint(key, { claims: { sub: 'req-77', queue_position: 77 } });
  });
  after(() => server.close());

  describe('REST API, TOKEN authorizer', () => {
    it('allows a raw token (as the AWS sample clients send it) on the whole API', async () => {
      assert.deepEqual(await call(authorize, tokenEvent(token)), allowPolicy('req-77', 77));
    });

    it('allows a Bearer token', async () => {
      assert.deepEqual(await call(authorize, tokenEvent(`Bearer ${token}`)), allowPolicy('req-77', 77));
    });

    it('passes only strings and numbers as context values', async () => {
      const result = (await call(authorize, tokenEvent(token))) as { context: Record<string, unknown> };
      for (const value of Object.values(result.context))
        assert.match(typeof value, /^(string|number|boolean)$/);
    });

    it('denies a token that fails verification, on the whole API, and logs the reason only', async () => {
      const idToken = await mint(key, { claims: { token_use: 'id' } });
      logs.length = 0;
      assert.deepEqual(await call(authorize, tokenEvent(idToken)), denyPolicy('invalid_token_use'));
      const expired = await mint(key, { at: Date.UTC(2020, 0, 1) });
      assert.deepEqual(await call(authorize, tokenEvent(expired)), denyPolicy('token_expired'));
      assert.deepEqual(
        logs.map((entry) => entry.reason),
        ['invalid_token_use', 'token_expired'],
      );
      assert.ok(!JSON.stringify(logs).includes(idToken.split('.')[2] as string), 'no token in the log');
    });

    it('answers 401 (throws "Unauthorized") for a missing or garbage header', async () => {
      for (const value of ['', '   ', 'Bearer', 'Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'hello']) {
        await assert.rejects(call(authorize, tokenEvent(value)), unauthorized, JSON.stringify(value));
      }
      await assert.rejects(
        call(authorize, { type: 'TOKEN', methodArn: tokenEvent('').methodArn }),
        unauthorized,
      );
    });

    it('refuses events it does not understand', async () => {
      for (const event of [null, {}, { type: 'TOKEN', authorizationToken: token }, { type: 'OTHER' }]) {
        await assert.rejects(call(authorize, event), unauthorized, JSON.stringify(event));
      }
    });
  });

  describe('REST API, REQUEST authorizer', () => {
    it('reads the Authorization header whatever its case', async () => {
      for (const name of ['Authorization', 'authorization', 'AUTHORIZATION']) {
        assert.deepEqual(
          await call(authorize, restRequestEvent(`Bearer ${token}`, name)),
          allowPolicy('req-77', 77),
        );
      }
    });

    it('denies a bad token and throws Unauthorized without one', async () => {
      const wrongEvent = await mint(key, { claims: { aud: 'other-event' } });
      assert.deepEqual(await call(authorize, restRequestEvent(wrongEvent)), denyPolicy('invalid_audience'));
      await assert.rejects(call(authorize, restRequestEvent(undefined)), unauthorized);
      await assert.rejects(call(authorize, { ...restRequestEvent(undefined), headers: null }), unauthorized);
    });
  });

  describe('HTTP API', () => {
    it('answers a policy for payload format 1.0', async () => {
      const result = await call(authorize, httpV1Event(token));
      assert.deepEqual(result, allowPolicy('req-77', 77));
    });

    it('answers a simple response for payload format 2.0', async () => {
      assert.deepEqual(await call(authorize, httpV2Event(`Bearer ${token}`)), {
        isAuthorized: true,
        context: { event_id: EVENT_ID, queue_position: 77, request_id: 'req-77' },
      });
      const refresh = await mint(key, { claims: { token_use: 'refresh' } });
      assert.deepEqual(await call(authorize, httpV2Event(refresh)), { isAuthorized: false });
      assert.deepEqual(await call(authorize, httpV2Event(undefined)), { isAuthorized: false });
      assert.deepEqual(await call(authorize, httpV2Event('garbage')), { isAuthorized: false });
    });
  });

  it('fails (HTTP 500, not a cached Deny) while the JWKS cannot be loaded', async () => {
    const down = await startJwksServer([key.publicJwk]);
    down.failWith(502);
    try {
      const failing = createLambdaHandler(
        createVerifier({ jwksUrl: down.url, issuer: ISSUER, audience: EVENT_ID, now: makeClock().now }),
        { log: () => {} },
      );
      for (const event of [tokenEvent(token), httpV2Event(token)]) {
        await assert.rejects(
          call(failing, event),
          (error: Error & { code?: string }) =>
            error.message !== 'Unauthorized' && error.code === 'jwks_unavailable',
        );
      }
    } finally {
      await down.close();
    }
  });
});

describe('Lambda authorizer configured by environment', () => {
  it('reads the environment once, on the first invocation, and keeps its caches', async () => {
    const key = await makeKey('RS256');
    const server = await startJwksServer([key.publicJwk]);
    const names = ['ANTEROOM_JWKS_URL', 'ANTEROOM_ISSUER', 'ANTEROOM_AUDIENCE', 'ANTEROOM_CLOCK_TOLERANCE'];
    try {
      process.env['ANTEROOM_JWKS_URL'] = server.url;
      process.env['ANTEROOM_ISSUER'] = ISSUER;
      process.env['ANTEROOM_AUDIENCE'] = `warm-up, ${EVENT_ID}`;
      process.env['ANTEROOM_CLOCK_TOLERANCE'] = '10';
      const now = Date.now();
      const first = await mint(key, { at: now, claims: { sub: 'a' } });
      const second = await mint(key, { at: now, claims: { sub: 'b', aud: 'warm-up' } });
      const one = (await handler(tokenEvent(first))) as { principalId: string };
      const two = (await handler(httpV1Event(`Bearer ${second}`))) as { principalId: string };
      assert.equal(one.principalId, 'a');
      assert.equal(two.principalId, 'b');
      assert.equal(server.requests, 1, 'one verifier per container: the JWKS is fetched once');
    } finally {
      for (const name of names) delete process.env[name];
      await server.close();
    }
  });

  it('validates and derives its settings', () => {
    assert.deepEqual(
      readAuthorizerEnv({ ANTEROOM_ISSUER: 'https://q.example.com/', ANTEROOM_AUDIENCE: 'a,b' }),
      {
        jwksUrl: 'https://q.example.com/.well-known/jwks.json',
        issuer: ['https://q.example.com/'],
        audience: ['a', 'b'],
      },
    );
    const field = (name: string) => (error: Error & { field?: string }) => error.field === name;
    assert.throws(() => readAuthorizerEnv({ ANTEROOM_AUDIENCE: 'a' }), field('ANTEROOM_ISSUER'));
    assert.throws(() => readAuthorizerEnv({ ANTEROOM_ISSUER: 'https://q' }), field('ANTEROOM_AUDIENCE'));
    assert.throws(
      () =>
        readAuthorizerEnv({
          ANTEROOM_ISSUER: 'https://q',
          ANTEROOM_AUDIENCE: 'a',
          ANTEROOM_CLOCK_TOLERANCE: 'soon',
        }),
      field('ANTEROOM_CLOCK_TOLERANCE'),
    );
  });

  it('reads the initial key set from ANTEROOM_INITIAL_JWKS, as JSON', () => {
    const field = (name: string) => (error: Error & { field?: string }) => error.field === name;
    const env = { ANTEROOM_ISSUER: 'https://q.example.com', ANTEROOM_AUDIENCE: 'a' };
    const keys = [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k' }];
    assert.deepEqual(
      readAuthorizerEnv({ ...env, ANTEROOM_INITIAL_JWKS: JSON.stringify({ keys }) }).initialJwks,
      {
        keys,
      },
    );
    assert.throws(
      () => readAuthorizerEnv({ ...env, ANTEROOM_INITIAL_JWKS: '{"keys": [' }),
      field('ANTEROOM_INITIAL_JWKS'),
    );
  });
});
