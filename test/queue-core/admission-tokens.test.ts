import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { issueAdmissionTokens, verifyAdmissionToken } from '../../queue-core/admission-tokens.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import {
  createKeysDocument,
  type KeysDocument,
  privateFields,
} from '../../queue-core/signing-keys/document.ts';
import { jwkThumbprint } from '../../queue-core/signing-keys/jws.ts';
import { KEY_PUBLISH_SECONDS, KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import type { SessionRecord } from '../../queue-core/types.ts';

const session: SessionRecord = {
  requestId: '0b6a4c1e-7d0f-4a59-9c55-2f1f1f7f0e11',
  eventId: 'sale',
  position: 42,
  issuedAt: 1_767_225_600,
  expiresAt: 1_767_229_200,
  issuer: 'https://queue.example.com',
  status: 'active',
};

let ring: KeyRing;
let rsaRing: KeyRing;

before(async () => {
  const document = await createKeysDocument('ES256', 1_700_000_000);
  ring = await KeyRing.fromDocument(document, { algorithm: 'ES256' });
  rsaRing = await KeyRing.fromDocument(document, { algorithm: 'RS256' });
});

function assertInvalidToken(error: unknown): true {
  assert.ok(error instanceof AnteroomError);
  assert.equal(error.code, 'invalid_token');
  assert.equal(error.status, 401);
  return true;
}

describe('issueAdmissionTokens', () => {
  it('signs three tokens with exactly the API.md claims', async () => {
    const now = session.issuedAt + 100;
    const tokens = await issueAdmissionTokens(ring, session, now);
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 3500);
    const byUse = {
      access: tokens.access_token,
      id: tokens.id_token,
      refresh: tokens.refresh_token,
    };
    const jtis = new Set<string>();
    for (const [use, token] of Object.entries(byUse)) {
      const { jti, ...claims } = decodeJwt(token);
      assert.deepEqual(claims, {
        iss: 'https://queue.example.com',
        aud: 'sale',
        sub: session.requestId,
        queue_position: 42,
        token_use: use,
        iat: session.issuedAt,
        nbf: session.issuedAt,
        exp: session.expiresAt,
      });
      assert.match(String(jti), /^[0-9a-f-]{36}$/);
      jtis.add(String(jti));
      assert.deepEqual(decodeProtectedHeader(token), {
        alg: 'ES256',
        kid: ring.signingKey().kid,
        typ: 'JWT',
      });
    }
    assert.equal(jtis.size, 3, 'jti is unique per token');
  });

  it('re-issues the same claims (except jti), never extending exp', async () => {
    const first = await issueAdmissionTokens(ring, session, session.issuedAt);
    const later = await issueAdmissionTokens(ring, session, session.expiresAt + 50);
    const { jti: jtiA, ...claimsA } = decodeJwt(first.access_token);
    const { jti: jtiB, ...claimsB } = decodeJwt(later.access_token);
    assert.deepEqual(claimsB, claimsA);
    assert.notEqual(jtiA, jtiB);
    assert.equal(later.expires_in, 0, 'an expired set is answered with expires_in 0');
  });

  it('produces tokens any JOSE library verifies against the published JWKS', async () => {
    const tokens = await issueAdmissionTokens(ring, session, session.issuedAt);
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(ring.jwks()), {
      issuer: session.issuer,
      audience: 'sale',
      currentDate: new Date((session.issuedAt + 10) * 1000),
    });
    assert.equal(payload['queue_position'], 42);
  });

  it('signs RS256 when the ring says so', async () => {
    const tokens = await issueAdmissionTokens(rsaRing, session, session.issuedAt);
    assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'RS256');
    await jwtVerify(tokens.id_token, createLocalJWKSet(rsaRing.jwks()), {
      currentDate: new Date(session.issuedAt * 1000),
    });
  });
});

describe('verifyAdmissionToken', () => {
  const at = session.issuedAt + 10;
  /** An access token's claims for position 1, signed by jose as given. */
  const signed = (alg: string, kid: string, key: Parameters<SignJWT['sign']>[0], typ = 'JWT') =>
    new SignJWT({ token_use: 'access', queue_position: 1 })
      .setProtectedHeader({ alg, kid, typ })
      .setIssuedAt(at)
      .setNotBefore(at)
      .setExpirationTime(at + 60)
      .setSubject('x')
      .setAudience('sale')
      .setIssuer(session.issuer)
      .setJti('j')
      .sign(key);

  it('accepts a genuine token and checks audience, issuer and token_use', async () => {
    const tokens = await issueAdmissionTokens(ring, session, at);
    const claims = await verifyAdmissionToken(ring, tokens.access_token, {
      audience: 'sale',
      issuer: session.issuer,
      tokenUse: 'access',
      now: at,
    });
    assert.equal(claims.sub, session.requestId);
    await assert.rejects(
      verifyAdmissionToken(ring, tokens.refresh_token, { tokenUse: 'access', now: at }),
      assertInvalidToken,
    );
    await assert.rejects(
      verifyAdmissionToken(ring, tokens.access_token, { audience: 'other', now: at }),
      assertInvalidToken,
    );
    await assert.rejects(
      verifyAdmissionToken(ring, tokens.access_token, { issuer: 'https://evil.example', now: at }),
      assertInvalidToken,
    );
  });

  it('rejects tampered, expired, not-yet-valid and unsigned tokens', async () => {
    const { access_token: token } = await issueAdmissionTokens(ring, session, at);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const raised = Buffer.from(JSON.stringify({ ...claims, queue_position: 1 })).toString('base64url');
    await assert.rejects(
      verifyAdmissionToken(ring, `${header}.${raised}.${signature}`, { now: at }),
      assertInvalidToken,
    );
    await assert.rejects(
      jwtVerify(`${header}.${raised}.${signature}`, createLocalJWKSet(ring.jwks()), {
        currentDate: new Date(at * 1000),
      }),
      { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
    );

    await assert.rejects(
      verifyAdmissionToken(ring, token, { now: session.expiresAt + 1 }),
      assertInvalidToken,
    );
    await assert.rejects(
      verifyAdmissionToken(ring, token, { now: session.issuedAt - 60 }),
      assertInvalidToken,
    );

    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: ring.signingKey().kid })).toString('base64url')}.${payload}.`;
    await assert.rejects(verifyAdmissionToken(ring, none, { now: at }), assertInvalidToken);
  });

  it('rejects a token signed by a key the ring does not hold, and an HS256 token', async () => {
    const otherRing = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
    const foreign = await issueAdmissionTokens(otherRing, session, at);
    await assert.rejects(verifyAdmissionToken(ring, foreign.access_token, { now: at }), assertInvalidToken);

    const hmac = await signed(
      'HS256',
      ring.signingKey().kid,
      new TextEncoder().encode('a shared secret of enough length!!'),
    );
    await assert.rejects(verifyAdmissionToken(ring, hmac, { now: at }), assertInvalidToken);
  });

  it('accepts what jose signs with a ring key, and binds the algorithm to the key the kid names', async () => {
    const es = ring.signingKey();
    const rs = ring.signingKey('RS256');
    const verified = await verifyAdmissionToken(ring, await signed('ES256', es.kid, es.key), { now: at });
    assert.equal(verified.queue_position, 1);
    await verifyAdmissionToken(ring, await signed('RS256', rs.kid, rs.key, 'application/jwt'), { now: at });
    // An RS256 signature presented under the ES256 key's kid, and the reverse, are refused.
    await assert.rejects(
      verifyAdmissionToken(ring, await signed('RS256', es.kid, rs.key), { now: at }),
      assertInvalidToken,
    );
    await assert.rejects(
      verifyAdmissionToken(ring, await signed('ES256', rs.kid, es.key), { now: at }),
      assertInvalidToken,
    );
    // A typ other than JWT, a header extension (crit) and a token without kid are refused.
    await assert.rejects(
      verifyAdmissionToken(ring, await signed('ES256', es.kid, es.key, 'at+jwt'), { now: at }),
      assertInvalidToken,
    );
    const [, payload] = (await signed('ES256', es.kid, es.key)).split('.');
    const resigned = (header: object) => {
      const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}`;
      const signature = sign('sha256', Buffer.from(input), { key: es.key, dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    };
    await verifyAdmissionToken(ring, resigned({ alg: 'ES256', kid: es.kid, typ: 'JWT' }), { now: at });
    for (const header of [
      { alg: 'ES256', kid: es.kid, typ: 'JWT', crit: ['exp'], exp: 1 },
      { alg: 'ES256', kid: es.kid, typ: 'JWT', b64: false },
      { alg: 'ES256', typ: 'JWT' },
    ]) {
      await assert.rejects(verifyAdmissionToken(ring, resigned(header), { now: at }), assertInvalidToken);
    }
  });

  it('refuses a signature with a stray character (4n+1 long), which Buffer would have decoded to the genuine bytes', async () => {
    // A 3072-bit RSA signature is 384 bytes, 512 base64url characters: one more is the 4n+1 case.
    const jwk = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ format: 'jwk' });
    const stored = { ...privateFields(jwk), kid: jwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
    const keys = [{ ...stored, createdAt: 1_700_000_000, status: 'active' }] as KeysDocument['keys'];
    const rsa3072 = await KeyRing.fromDocument({ keys }, { algorithm: 'RS256' });
    const { access_token: token } = await issueAdmissionTokens(rsa3072, session, at);
    assert.equal(token.length - token.lastIndexOf('.') - 1, 512);
    await verifyAdmissionToken(rsa3072, token, { now: at });
    await assert.rejects(verifyAdmissionToken(rsa3072, `${token}A`, { now: at }), assertInvalidToken);
  });

  it('keeps verifying tokens of a retired key until it is removed', async () => {
    let clock = 1_800_000_000;
    const rotating = await KeyRing.fromDocument(await createKeysDocument('ES256', clock), {
      algorithm: 'ES256',
      now: () => clock,
    });
    const oldKid = rotating.signingKey().kid;
    const old = await issueAdmissionTokens(rotating, session, at);
    clock += 3600;
    await rotating.rotate();
    clock += KEY_PUBLISH_SECONDS;
    const fresh = await issueAdmissionTokens(rotating, session, at);
    assert.notEqual(decodeProtectedHeader(fresh.access_token).kid, oldKid);
    await verifyAdmissionToken(rotating, old.access_token, { now: at });
    await verifyAdmissionToken(rotating, fresh.access_token, { now: at });
    assert.equal(await rotating.removeRetired(oldKid), true);
    await assert.rejects(verifyAdmissionToken(rotating, old.access_token, { now: at }), assertInvalidToken);
    await verifyAdmissionToken(rotating, fresh.access_token, { now: at });
  });
});
