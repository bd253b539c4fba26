/**
 * Revocation reaches userinfo. A replayed authorization code, a reused (rotated-away) refresh
 * token or an explicit revocation makes the provider revoke the whole grant; the access tokens
 * issued from it are self-contained JWTs, so userinfo must look the grant up, or a stolen
 * access token keeps answering until it expires. Provider state in a real Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import * as oc from 'openid-client';
import { redisAdapter } from '../../provider/oidc/adapters/redis.ts';
import {
  Browser,
  discoverClient,
  navigate,
  type OidcServer,
  RP,
  SECRET_A,
  startFlow,
  startOidcServer,
} from '../provider/oidc/harness.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';

describe('userinfo after the grant was revoked', { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  let connection: Redis;
  let server: OidcServer;
  let config: oc.Configuration;
  before(async () => {
    redis = await startRedis();
    connection = new Redis(redis.url);
    server = await startOidcServer({ adapter: redisAdapter(connection) });
    config = await discoverClient(server, 'client-a', SECRET_A);
  });
  after(async () => {
    await server?.close();
    connection?.disconnect();
    await redis?.stop();
  });

  /** One admitted sign-in of a new browser: the code's callback URL and its PKCE values. */
  async function signIn() {
    const flow = await startFlow(config, `${RP}/a/callback`);
    const browser = new Browser();
    const waiting = await navigate(browser, flow.url);
    assert.ok(waiting.kind === 'page');
    await server.admit('event-a', 1);
    const back = await navigate(browser, waiting.url);
    assert.ok(back.kind === 'callback', JSON.stringify(back));
    return { ...flow, callback: back.url };
  }

  async function exchange(flow: Awaited<ReturnType<typeof signIn>>) {
    return oc.authorizationCodeGrant(config, flow.callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
  }

  async function userinfoStatus(accessToken: string): Promise<number> {
    const answer = await fetch(`${server.issuer}/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    await answer.arrayBuffer();
    return answer.status;
  }

  it('refuses the access token of a code that was replayed', async () => {
    const flow = await signIn();
    const tokens = await exchange(flow);
    assert.equal(await userinfoStatus(tokens.access_token), 200);
    await assert.rejects(exchange(flow), { error: 'invalid_grant' }); // the replay revokes the grant
    assert.equal(await userinfoStatus(tokens.access_token), 401);
  });

  it('refuses the access tokens of a grant whose refresh token was reused', async () => {
    const tokens = await exchange(await signIn());
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(await userinfoStatus(refreshed.access_token), 200);
    // The first refresh token was rotated away: presenting it again is a theft signal.
    await assert.rejects(oc.refreshTokenGrant(config, tokens.refresh_token!), { error: 'invalid_grant' });
    assert.equal(await userinfoStatus(tokens.access_token), 401);
    assert.equal(await userinfoStatus(refreshed.access_token), 401);
  });

  it('refuses the access token once its refresh token is revoked', async () => {
    const tokens = await exchange(await signIn());
    assert.equal(await userinfoStatus(tokens.access_token), 200);
    await oc.tokenRevocation(config, tokens.refresh_token!);
    assert.equal(await userinfoStatus(tokens.access_token), 401);
  });
});
