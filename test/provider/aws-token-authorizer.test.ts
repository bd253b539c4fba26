/**
 * The retired AWS solution's token authorizer, pointed at Anteroom, keeps accepting admission
 * tokens: it fetches `GET /public_key?event_id=` once, keeps that one bare JWK for its
 * container's life (no `kid` matching), verifies with the algorithm the key names, then checks
 * `exp`, `aud` = its event id, `iss` = its ISSUER setting and `token_use` = `access`
 * (`source/token-authorizer/chalice/app.py`). Both admission algorithms, ES256 (the default) and
 * RS256 (the AWS solution's). And what a key rotation does to such a cached key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import request from 'supertest';
import { createVerifier, type Decision } from '../../authorizer/index.ts';
import { createKeysDocument, type KeyAlgorithm } from '../../queue-core/signing-keys/document.ts';
import { KEY_PUBLISH_SECONDS, KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { ADMIN_KEY, buildTestApp, PUBLIC_URL, type TestApp } from './support.ts';

/** The authorizer's settings: WAITING_ROOM_EVENT_ID and ISSUER (the stack's PublicTokenIssuer). */
const EVENT_ID = 'main';
const ISSUER = PUBLIC_URL;

/** Verifies as the AWS authorizer does; its reason when it would deny, or null. */
async function awsAuthorizerDenies(
  token: string,
  cachedJwk: JWK,
  nowSeconds: number,
): Promise<string | null> {
  let claims: Record<string, unknown>;
  try {
    const key = await importJWK(cachedJwk, cachedJwk.alg);
    claims = (
      await jwtVerify(token, key, {
        algorithms: [cachedJwk.alg as string],
        currentDate: new Date(nowSeconds * 1000),
      })
    ).payload;
  } catch {
    return 'signature is invalid or token has expired';
  }
  if (nowSeconds > Number(claims.exp ?? 0)) return 'token is expired';
  if (claims.aud !== EVENT_ID) return 'token was not issued for this event';
  if (claims.iss !== ISSUER) return 'token from the wrong issuer';
  if (claims.token_use !== 'access') return 'token was not issued for access use';
  return null;
}

for (const algorithm of ['ES256', 'RS256'] as const satisfies readonly KeyAlgorithm[]) {
  describe(`the AWS token authorizer's view of ${algorithm} admission tokens`, () => {
    let t: TestApp;
    const pub = () => request(t.publicHandler);

    const admit = async (eventId = EVENT_ID) => {
      const { api_request_id: requestId } = (
        await pub().post('/assign_queue_num').send({ event_id: eventId }).expect(200)
      ).body as { api_request_id: string };
      await request(t.adminHandler)
        .post('/increment_serving_counter')
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .send({ event_id: eventId, increment_by: 1 })
        .expect(200);
      const tokens = await pub()
        .post('/generate_token')
        .send({ event_id: eventId, request_id: requestId })
        .expect(200);
      return {
        requestId,
        ...(tokens.body as { access_token: string; id_token: string; refresh_token: string }),
      };
    };
    /** What the authorizer fetches at its first invocation and keeps. */
    const fetchPublicKey = async () =>
      (await pub().get('/public_key').query({ event_id: EVENT_ID }).expect(200)).body as JWK;

    before(async () => {
      const document = await createKeysDocument(algorithm);
      const keys = await KeyRing.fromDocument(document, { algorithm, now: () => t.clock.seconds });
      t = await buildTestApp(new MemoryStore(), {}, { keys });
    });
    after(() => t.deps.room.close());

    it('serves one bare public JWK that names its algorithm, and the access token verifies with it', async () => {
      const jwk = await fetchPublicKey();
      assert.equal(jwk.alg, algorithm);
      assert.equal(jwk.kty, algorithm === 'ES256' ? 'EC' : 'RSA');
      assert.equal(jwk.d, undefined, 'no private part');
      const { access_token: access, requestId } = await admit();
      assert.equal(await awsAuthorizerDenies(access, jwk, t.clock.seconds), null);
      // What the authorizer hands on as principalId: the claims its policy is built from.
      const { payload } = await jwtVerify(access, await importJWK(jwk, jwk.alg));
      assert.equal(payload.sub, requestId);
      assert.equal(typeof payload.queue_position, 'number');
    });

    it('denies the id and refresh tokens, another event’s token, and an expired one', async () => {
      const jwk = await fetchPublicKey();
      const tokens = await admit();
      assert.match(String(await awsAuthorizerDenies(tokens.id_token, jwk, t.clock.seconds)), /access use/);
      assert.match(
        String(await awsAuthorizerDenies(tokens.refresh_token, jwk, t.clock.seconds)),
        /access use/,
      );
      const other = await admit('noexp');
      assert.match(String(await awsAuthorizerDenies(other.access_token, jwk, t.clock.seconds)), /this event/);
      const pastExpiry = t.clock.seconds + 3601;
      assert.ok(await awsAuthorizerDenies(tokens.access_token, jwk, pastExpiry));
    });

    it('after a key rotation, keeps working with its cached key until the new key signs, then denies', async () => {
      const cached = await fetchPublicKey();
      const issuedEarlier = await admit();
      await t.deps.keys.rotate();
      // The new key is published at once but signs only KEY_PUBLISH_SECONDS later.
      const during = await admit();
      assert.equal(await awsAuthorizerDenies(during.access_token, cached, t.clock.seconds), null);
      t.clock.advance(KEY_PUBLISH_SECONDS);
      const issuedLater = await admit();
      assert.match(
        String(await awsAuthorizerDenies(issuedLater.access_token, cached, t.clock.seconds)),
        /signature/,
      );
      // Tokens signed before the switch still verify; a container that fetches the key again
      // (a cold start) accepts the new tokens.
      assert.equal(await awsAuthorizerDenies(issuedEarlier.access_token, cached, t.clock.seconds), null);
      const fresh = await fetchPublicKey();
      assert.notEqual(fresh.kid, cached.kid);
      assert.equal(await awsAuthorizerDenies(issuedLater.access_token, fresh, t.clock.seconds), null);
    });
  });
}

describe('a cut-over: one API accepts the AWS solution’s tokens and Anteroom’s while both run', () => {
  // The AWS solution's issuer is its public API's execute-api URL (output PublicTokenIssuer).
  const AWS_ISSUER = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api';
  let t: TestApp;

  before(async () => {
    t = await buildTestApp(new MemoryStore());
  });
  after(() => t.deps.room.close());

  it('tries Anteroom’s JWKS, then the AWS key (docs/migrating-from-aws.md)', async () => {
    // An AWS-issued access token, as generate_token_base.py signs it: RS256, a hex kid, its claims.
    const aws = await generateKeyPair('RS256');
    const awsJwk = {
      ...(await exportJWK(aws.publicKey)),
      alg: 'RS256',
      kid: 'b1946ac92492d2347c6235b4d2611184',
    };
    const now = Math.floor(Date.now() / 1000);
    const awsToken = await new SignJWT({ queue_position: 2582, token_use: 'access' })
      .setProtectedHeader({ alg: 'RS256', kid: awsJwk.kid, typ: 'JWT' })
      .setAudience(EVENT_ID)
      .setSubject('9f8e7d6c-1111-4222-8333-444455556666')
      .setIssuer(AWS_ISSUER)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .sign(aws.privateKey);

    const jwks = (await request(t.publicHandler).get('/.well-known/jwks.json').expect(200)).body;
    const fromAnteroom = createVerifier({ jwks, issuer: PUBLIC_URL, audience: EVENT_ID });
    const fromAws = createVerifier({ jwks: { keys: [awsJwk] }, issuer: AWS_ISSUER, audience: EVENT_ID });
    const either = async (token: string): Promise<Decision> => {
      const first = await fromAnteroom.verify(token);
      return first.allow ? first : fromAws.verify(token);
    };

    const { api_request_id: requestId } = (
      await request(t.publicHandler).post('/assign_queue_num').send({ event_id: EVENT_ID }).expect(200)
    ).body as { api_request_id: string };
    await t.deps.room.incrementServingCounter(EVENT_ID, 1, 'test');
    const anteroomToken = (
      await request(t.publicHandler)
        .post('/generate_token')
        .send({ event_id: EVENT_ID, request_id: requestId })
    ).body.access_token as string;

    assert.equal((await either(anteroomToken)).allow, true);
    const awsDecision = await either(awsToken);
    assert.equal(awsDecision.allow, true);
    assert.equal(awsDecision.allow && awsDecision.principalId, '9f8e7d6c-1111-4222-8333-444455556666');
    const stranger = await generateKeyPair('RS256');
    const forged = await new SignJWT({ queue_position: 1, token_use: 'access' })
      .setProtectedHeader({ alg: 'RS256', kid: awsJwk.kid })
      .setAudience(EVENT_ID)
      .setSubject('9f8e7d6c-1111-4222-8333-444455556666')
      .setIssuer(AWS_ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(stranger.privateKey);
    assert.equal((await either(forged)).allow, false);
  });
});
