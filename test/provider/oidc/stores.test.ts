/**
 * The whole flow with the provider's state in Redis and in DynamoDB (dynalite): real
 * oidc-provider payloads (interactions, sessions, grants, codes, refresh tokens) round-trip
 * through each adapter, and a code is still single-use.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Redis } from 'ioredis';
import * as oc from 'openid-client';
import { dynamoAdapter, oidcTableDefinition } from '../../../provider/oidc/adapters/dynamodb.ts';
import { redisAdapter } from '../../../provider/oidc/adapters/redis.ts';
import type { AdapterFactory } from '../../../provider/oidc/adapters/types.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../../support/redis.ts';
import { Browser, discoverClient, navigate, RP, SECRET_A, startFlow, startOidcServer } from './harness.ts';

async function fullFlow(adapter: AdapterFactory): Promise<void> {
  const server = await startOidcServer({ adapter });
  try {
    const config = await discoverClient(server, 'client-a', SECRET_A);
    const { url, verifier, state, nonce } = await startFlow(config, `${RP}/a/callback`);
    const browser = new Browser();
    const waiting = await navigate(browser, url);
    assert.ok(waiting.kind === 'page');
    await server.admit('event-a', 1);
    const back = await navigate(browser, waiting.url);
    assert.ok(back.kind === 'callback');
    const tokens = await oc.authorizationCodeGrant(config, back.url, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    assert.equal(tokens.claims()!['queue_position'], 1);
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!);
    const info = await oc.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub);
    assert.equal(info['event_id'], 'event-a');
    // Same browser, new authorization request: the session and grant are found in the store.
    const again = oc.buildAuthorizationUrl(config, {
      redirect_uri: `${RP}/a/callback`,
      scope: 'openid',
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'none',
    });
    const silent = await navigate(browser, again);
    assert.ok(silent.kind === 'callback');
    assert.ok(silent.url.searchParams.get('code'), silent.url.href);
    // Replaying the first code fails, and revokes what it granted (the refresh token).
    await assert.rejects(
      oc.authorizationCodeGrant(config, back.url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      }),
      { error: 'invalid_grant' },
    );
    await assert.rejects(oc.refreshTokenGrant(config, refreshed.refresh_token!), { error: 'invalid_grant' });
  } finally {
    await server.close();
  }
}

const redisSkip = redisSkipReason();
let redisServer: RedisServer | undefined;
let redis: Redis | undefined;

test('the flow with provider state in Redis', { skip: redisSkip }, async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  await fullFlow(redisAdapter(redis));
});

let local: LocalDynamo | undefined;
let dynamo: DynamoDBClient | undefined;

before(async () => {
  local = await startDynalite();
  dynamo = local.client;
});

after(async () => {
  redis?.disconnect();
  await redisServer?.stop();
  dynamo?.destroy();
  await local?.stop();
});

test('the flow with provider state in DynamoDB (dynalite)', async () => {
  await dynamo!.send(new CreateTableCommand(oidcTableDefinition('anteroom-oidc')));
  await fullFlow(dynamoAdapter(local!.direct, { tableName: 'anteroom-oidc' }));
});

test('a Redis outage answers temporarily_unavailable (503 with Retry-After), never a 500', {
  skip: redisSkip,
}, async () => {
  const outage = await startRedis();
  const client = new Redis(outage.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => {});
  const server = await startOidcServer({ adapter: redisAdapter(client) });
  try {
    const redirect = `${RP}/open/callback`;
    const verifier = oc.randomPKCECodeVerifier();
    const auth = new URL(`${server.issuer}/auth`);
    for (const [key, value] of Object.entries({
      client_id: 'open-client',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirect,
      state: 'st',
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })) {
      auth.searchParams.set(key, value);
    }
    const landing = await navigate(new Browser(), auth);
    assert.ok(landing.kind === 'callback');
    const code = landing.url.searchParams.get('code')!;

    await outage.kill();
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`open-client:${SECRET_A}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        code_verifier: verifier,
      }),
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('Retry-After'), '2');
    assert.equal(((await response.json()) as { error: string }).error, 'temporarily_unavailable');

    const during = await navigate(new Browser(), auth);
    assert.ok(during.kind === 'callback', JSON.stringify(during).slice(0, 300));
    assert.equal(during.url.searchParams.get('error'), 'temporarily_unavailable');
    assert.equal((await fetch(`${server.issuer}/.well-known/openid-configuration`)).status, 200);
  } finally {
    await server.close();
    client.disconnect();
    await outage.stop();
  }
});
