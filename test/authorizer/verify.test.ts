import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { createVerifier, type Decision, type VerifierOptions } from '../../authorizer/index.ts';
import {
  b64url,
  type Clock,
  decodePayload,
  EVENT_ID,
  ISSUER,
  type JwksServer,
  makeClock,
  makeKey,
  mint,
  startJwksServer,
  T0,
  type TestKey,
} from './support.ts';

function reasonOf(decision: Decision): string {
  return decision.allow ? 'allowed' : decision.reason;
}

describe('createVerifier against a JWKS served over HTTP', () => {
  let es: TestKey;
  let rs: TestKey;
  let server: JwksServer;
  let clock: Clock;

  before(async () => {
    es = await makeKey('ES256');
    rs = await makeKey('RS256');
    server = await startJwksServer([es.publicJwk, rs.publicJwk]);
  });
  after(() => server.close());

  function verifier(extra: Partial<VerifierOptions> = {}) {
    clock = makeClock();
    return createVerifier({
      jwksUrl: server.url,
      issuer: ISSUER,
      audience: EVENT_ID,
      now: clock.now,
      ...extra,
    });
  }

  it('admits a valid ES256 access token with the admission context', async () => {
    const token = await mint(es, { claims: { sub: 'req-1', queue_position: 7 } });
    const decision = await verifier().verify(token);
    assert.equal(decision.allow, true);
    assert.ok(decision.allow);
    assert.equal(decision.principalId, 'req-1');
    assert.deepEqual(decision.context, { event_id: EVENT_ID, queue_position: 7, request_id: 'req-1' });
    assert.equal(decision.claims.token_use, 'access');
  });

  it('admits a valid RS256 access token (the AWS solution’s algorithm)', async () => {
    const decision = await verifier().verify(await mint(rs));
    assert.equal(reasonOf(decision), 'allowed');
  });

  it('names the matching event when the token and the verifier list several audiences', async () => {
    const v = verifier({ audience: ['other-event', EVENT_ID] });
    const decision = await v.verify(await mint(es, { claims: { aud: ['unrelated', EVENT_ID] } }));
    assert.ok(decision.allow);
    assert.equal(decision.context.event_id, EVENT_ID);
  });

  it('refuses an expired token, but honours the clock tolerance', async () => {
    const v = verifier({ clockToleranceSeconds: 5 });
    const token = await mint(es, { validitySeconds: 60 });
    clock.advance(63);
    assert.equal(reasonOf(await v.verify(token)), 'allowed');
    clock.advance(3);
    assert.equal(reasonOf(await v.verify(token)), 'token_expired');
  });

  it('refuses a token that is not valid yet', async () => {
    const v = verifier();
    const token = await mint(es, { at: T0 + 60_000 });
    assert.equal(reasonOf(await v.verify(token)), 'token_not_yet_valid');
    clock.advance(56);
    assert.equal(reasonOf(await v.verify(token)), 'allowed');
  });

  it('refuses a token from another issuer', async () => {
    const token = await mint(es, { claims: { iss: 'https://evil.example.com' } });
    assert.equal(reasonOf(await verifier().verify(token)), 'invalid_issuer');
  });

  it('refuses a token for another event', async () => {
    const token = await mint(es, { claims: { aud: 'another-event' } });
    assert.equal(reasonOf(await verifier().verify(token)), 'invalid_audience');
  });

  it('refuses id and refresh tokens, and tokens without token_use', async () => {
    const v = verifier();
    for (const use of ['id', 'refresh', undefined]) {
      const token = await mint(es, { claims: { token_use: use } });
      assert.equal(reasonOf(await v.verify(token)), 'invalid_token_use', `token_use=${use}`);
    }
  });

  it('refuses tokens without exp, sub or an integer queue_position', async () => {
    const v = verifier();
    for (const claims of [
      { exp: undefined },
      { sub: undefined },
      { queue_position: '3' },
      { queue_position: 1.5 },
    ]) {
      assert.equal(
        reasonOf(await v.verify(await mint(es, { claims }))),
        'invalid_claims',
        JSON.stringify(claims),
      );
    }
  });

  it('refuses a token whose payload was altered', async () => {
    const token = await mint(es, { claims: { queue_position: 900 } });
    const [header, , signature] = token.split('.');
    const forged = b64url({ ...decodePayload(token), queue_position: 1 });
    assert.equal(reasonOf(await verifier().verify(`${header}.${forged}.${signature}`)), 'invalid_signature');
  });

  it('refuses a token whose signature was altered', async () => {
    const token = await mint(es);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    assert.equal(reasonOf(await verifier().verify(`${header}.${payload}.${flipped}`)), 'invalid_signature');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const token = await mint(es);
    const unsigned = `${b64url({ alg: 'none', kid: es.kid, typ: 'JWT' })}.${token.split('.')[1]}.`;
    assert.equal(reasonOf(await verifier().verify(unsigned)), 'unsupported_algorithm');
  });

  it('refuses an HS256 token signed with the public key as secret, even if HS256 is configured', async () => {
    const claims = decodePayload(await mint(rs));
    for (const secret of [rs.publicPem, JSON.stringify(rs.publicJwk)]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: rs.kid, typ: 'JWT' })
        .sign(new TextEncoder().encode(secret));
      assert.equal(reasonOf(await verifier().verify(forged)), 'unsupported_algorithm');
      const careless = verifier({ algorithms: ['HS256', 'RS256'] });
      assert.equal(reasonOf(await careless.verify(forged)), 'unsupported_algorithm');
    }
  });

  it('refuses a token signed with an algorithm outside the configured list', async () => {
    const esOnly = verifier({ algorithms: ['ES256'] });
    assert.equal(reasonOf(await esOnly.verify(await mint(rs))), 'unsupported_algorithm');
  });

  it('admits a token without kid by trying each key of its type (as AWS re-issues came)', async () => {
    const other = await makeKey('ES256');
    const v = createVerifier({
      jwks: { keys: [other.publicJwk, es.publicJwk] },
      issuer: ISSUER,
      audience: EVENT_ID,
      now: makeClock().now,
    });
    assert.equal(reasonOf(await v.verify(await mint(es, { header: { kid: undefined } }))), 'allowed');
    const stranger = await makeKey('ES256');
    assert.equal(
      reasonOf(await v.verify(await mint(stranger, { header: { kid: undefined } }))),
      'invalid_signature',
    );
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    const stranger = await makeKey('ES256');
    assert.equal(reasonOf(await verifier().verify(await mint(stranger))), 'unknown_key');
    // Same kid as a published key but another private key: the signature cannot match.
    const impostor = { ...stranger, kid: es.kid };
    assert.equal(reasonOf(await verifier().verify(await mint(impostor))), 'invalid_signature');
  });

  it('never throws on garbage, and refuses it', async () => {
    const v = createVerifier({ jwks: { keys: [es.publicJwk] }, issuer: ISSUER, audience: EVENT_ID });
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/);
    const input = fc.oneof(
      fc.string(),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.json().map((json) => `${b64url({ alg: 'ES256', kid: es.kid })}.${b64url(json)}.AAAA`),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(input, async (garbage) => {
        const decision = await v.verify(garbage as string);
        assert.equal(decision.allow, false);
      }),
      { numRuns: 300 },
    );
    assert.equal(reasonOf(await v.verify('x'.repeat(20_000))), 'malformed_token');
  });
});

describe('key rotation through the remote JWKS', () => {
  it('picks up a key published later, refetching at most once per cooldown', async () => {
    const first = await makeKey('ES256');
    const rotated = await makeKey('ES256');
    const server = await startJwksServer([first.publicJwk]);
    try {
      const clock = makeClock();
      const v = createVerifier({
        jwksUrl: server.url,
        issuer: ISSUER,
        audience: EVENT_ID,
        jwksCooldownSeconds: 30,
        now: clock.now,
      });
      assert.equal(reasonOf(await v.verify(await mint(first))), 'allowed');
      assert.equal(server.requests, 1);

      const fromRotatedKey = await mint(rotated);
      // The waiting room has not published the new key yet: refetch once, still unknown.
      clock.advance(31);
      assert.equal(reasonOf(await v.verify(fromRotatedKey)), 'unknown_key');
      assert.equal(server.requests, 2);

      // Published now, but within the cooldown: no refetch storm from unknown kids.
      server.setKeys([first.publicJwk, rotated.publicJwk]);
      assert.equal(reasonOf(await v.verify(fromRotatedKey)), 'unknown_key');
      assert.equal(server.requests, 2);

      clock.advance(31);
      assert.equal(reasonOf(await v.verify(fromRotatedKey)), 'allowed');
      assert.equal(server.requests, 3);
      // Tokens of the old key keep working during the overlap.
      assert.equal(reasonOf(await v.verify(await mint(first))), 'allowed');
      assert.equal(server.requests, 3);
    } finally {
      await server.close();
    }
  });

  it('loads the JWKS once for a burst of concurrent first requests', async () => {
    const key = await makeKey('ES256');
    const server = await startJwksServer([key.publicJwk]);
    try {
      const v = createVerifier({
        jwksUrl: server.url,
        issuer: ISSUER,
        audience: EVENT_ID,
        now: makeClock().now,
      });
      const tokens = await Promise.all(Array.from({ length: 10 }, () => mint(key)));
      const decisions = await Promise.all(tokens.map((token) => v.verify(token)));
      assert.deepEqual(new Set(decisions.map(reasonOf)), new Set(['allowed']));
      assert.equal(server.requests, 1);
    } finally {
      await server.close();
    }
  });

  it('refreshes a set older than its maximum age, and keeps the last good set if that fails', async () => {
    const key = await makeKey('ES256');
    const server = await startJwksServer([key.publicJwk]);
    try {
      const clock = makeClock();
      const v = createVerifier({
        jwksUrl: server.url,
        issuer: ISSUER,
        audience: EVENT_ID,
        jwksCacheMaxAgeSeconds: 600,
        cacheMaxEntries: 0,
        now: clock.now,
      });
      const token = await mint(key, { validitySeconds: 7200 });
      assert.equal(reasonOf(await v.verify(token)), 'allowed');
      clock.advance(601);
      server.failWith(500);
      assert.equal(reasonOf(await v.verify(token)), 'allowed');
      assert.equal(server.requests, 2);
      server.failWith(null);
      clock.advance(31);
      assert.equal(reasonOf(await v.verify(token)), 'allowed');
      assert.equal(server.requests, 3);
    } finally {
      await server.close();
    }
  });

  it('answers jwks_unavailable while the JWKS cannot be loaded, and recovers', async () => {
    const key = await makeKey('ES256');
    const server = await startJwksServer([key.publicJwk]);
    try {
      server.failWith(503);
      const clock = makeClock();
      const v = createVerifier({ jwksUrl: server.url, issuer: ISSUER, audience: EVENT_ID, now: clock.now });
      const token = await mint(key);
      assert.equal(reasonOf(await v.verify(token)), 'jwks_unavailable');
      server.failWith(null);
      clock.advance(2);
      assert.equal(reasonOf(await v.verify(token)), 'allowed');
    } finally {
      await server.close();
    }
  });
});

describe('a key set delivered with the configuration (initialJwks)', () => {
  it('decides a fresh verifier’s first token without the network, then the fetched set governs', async () => {
    const kept = await makeKey('ES256');
    const removed = await makeKey('ES256');
    // The waiting room has dropped `removed` since the configuration was written.
    const server = await startJwksServer([kept.publicJwk]);
    try {
      const v = createVerifier({
        jwksUrl: server.url,
        initialJwks: { keys: [kept.publicJwk, removed.publicJwk] },
        issuer: ISSUER,
        audience: EVENT_ID,
        now: makeClock().now,
      });
      const fromRemoved = await mint(removed);
      assert.equal(reasonOf(await v.verify(fromRemoved)), 'allowed');
      assert.equal(server.requests, 0, 'the first answer did not wait on the key set');
      // The fetch starts once that decision is answered; the next decision waits for it.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(reasonOf(await v.verify(fromRemoved)), 'unknown_key', 'not reused from the cache');
      assert.equal(server.requests, 1);
      assert.equal(reasonOf(await v.verify(await mint(kept))), 'allowed');
      assert.equal(reasonOf(await v.verify(await mint(removed))), 'unknown_key');
      assert.equal(server.requests, 1);
    } finally {
      await server.close();
    }
  });

  it('waits for the fetch when the configured set has no key for the token (a rotation since)', async () => {
    const old = await makeKey('ES256');
    const rotated = await makeKey('ES256');
    const server = await startJwksServer([old.publicJwk, rotated.publicJwk]);
    try {
      const v = createVerifier({
        jwksUrl: server.url,
        initialJwks: { keys: [old.publicJwk] },
        issuer: ISSUER,
        audience: EVENT_ID,
        now: makeClock().now,
      });
      assert.equal(reasonOf(await v.verify(await mint(rotated))), 'allowed');
      assert.equal(server.requests, 1);
    } finally {
      await server.close();
    }
  });

  it('keeps deciding with the configured keys while the key set cannot be fetched, and retries', async () => {
    const key = await makeKey('ES256');
    const server = await startJwksServer([key.publicJwk]);
    try {
      server.failWith(503);
      const clock = makeClock();
      const v = createVerifier({
        jwksUrl: server.url,
        initialJwks: { keys: [key.publicJwk] },
        issuer: ISSUER,
        audience: EVENT_ID,
        now: clock.now,
      });
      assert.equal(reasonOf(await v.verify(await mint(key))), 'allowed');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(reasonOf(await v.verify(await mint(key))), 'allowed');
      assert.equal(server.requests, 1);
      server.failWith(null);
      clock.advance(2);
      assert.equal(reasonOf(await v.verify(await mint(key))), 'allowed');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(reasonOf(await v.verify(await mint(key))), 'allowed');
      assert.equal(server.requests, 2);
    } finally {
      await server.close();
    }
  });
});

describe('decision cache', () => {
  it('reuses a decision for the same token but still refuses it once expired', async () => {
    const key = await makeKey('ES256');
    const clock = makeClock();
    const v = createVerifier({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: EVENT_ID,
      cacheTtlSeconds: 3600,
      now: clock.now,
    });
    const token = await mint(key, { validitySeconds: 60 });
    const first = await v.verify(token);
    assert.equal(first.allow, true);
    assert.equal(await v.verify(token), first, 'a repeat decision comes from the cache');
    clock.advance(66);
    assert.equal(reasonOf(await v.verify(token)), 'token_expired');
  });

  it('stays bounded', async () => {
    const key = await makeKey('ES256');
    const v = createVerifier({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: EVENT_ID,
      cacheMaxEntries: 2,
      now: makeClock().now,
    });
    const [a, b, c] = await Promise.all([mint(key), mint(key), mint(key)]);
    const first = await v.verify(a as string);
    await v.verify(b as string);
    await v.verify(c as string);
    assert.notEqual(await v.verify(a as string), first, 'the oldest entry was evicted');
  });
});

describe('revocation check', () => {
  it('refuses a token whose session has ended, caching the answer briefly', async () => {
    const key = await makeKey('ES256');
    const clock = makeClock();
    const ended = new Set<string>();
    const calls: string[] = [];
    const v = createVerifier({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: EVENT_ID,
      now: clock.now,
      revocation: {
        cacheSeconds: 5,
        check: async (eventId, requestId) => {
          calls.push(`${eventId}/${requestId}`);
          return ended.has(requestId);
        },
      },
    });
    const token = await mint(key, { claims: { sub: 'req-9' } });
    assert.equal(reasonOf(await v.verify(token)), 'allowed');
    assert.deepEqual(calls, [`${EVENT_ID}/req-9`]);

    ended.add('req-9');
    assert.equal(reasonOf(await v.verify(token)), 'allowed', 'within the cache window');
    assert.equal(calls.length, 1);
    clock.advance(6);
    assert.equal(reasonOf(await v.verify(token)), 'session_ended');
    assert.equal(calls.length, 2);
    // Another token of the same ended session is refused without asking the store again.
    assert.equal(reasonOf(await v.verify(await mint(key, { claims: { sub: 'req-9' } }))), 'session_ended');
    assert.equal(calls.length, 2);
  });

  it('fails closed when the session store cannot answer', async () => {
    const key = await makeKey('ES256');
    const v = createVerifier({
      jwks: { keys: [key.publicJwk] },
      issuer: ISSUER,
      audience: EVENT_ID,
      now: makeClock().now,
      revocation: {
        check: async () => {
          throw new Error('redis down');
        },
      },
    });
    assert.equal(reasonOf(await v.verify(await mint(key))), 'revocation_unavailable');
  });
});

describe('createVerifier options', () => {
  it('rejects unusable configuration with the field name', () => {
    const base = { issuer: ISSUER, audience: EVENT_ID };
    const cases: [Partial<VerifierOptions>, string][] = [
      [{}, 'jwksUrl'],
      [{ jwksUrl: 'not a url' }, 'jwksUrl'],
      [{ jwksUrl: 'ftp://x/jwks.json' }, 'jwksUrl'],
      [{ jwks: { keys: [] }, jwksUrl: 'https://x/jwks' }, 'jwksUrl'],
      [{ jwks: { keys: [] }, audience: [] }, 'audience'],
      [{ jwks: { keys: [] }, issuer: '' }, 'issuer'],
      [{ jwks: { keys: [] }, algorithms: ['HS256', 'none'] }, 'algorithms'],
      [{ jwks: { keys: [] }, clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
      [{ jwks: { keys: [] }, initialJwks: { keys: [] } }, 'initialJwks'],
      [{ jwksUrl: 'https://x/jwks', initialJwks: { keys: ['not a key'] } } as never, 'initialJwks'],
    ];
    for (const [options, field] of cases) {
      assert.throws(
        () => createVerifier({ ...base, ...options } as VerifierOptions),
        (error: Error & { field?: string }) => error.field === field,
        JSON.stringify(options),
      );
    }
  });
});
