/**
 * An OpenID Connect authorization round trip through the public Lambda handler, behind an
 * HTTP API named stage (`/api`): discovery, `/auth`, the waiting-room interaction, admission,
 * the redirect with the code, and the code exchange (a form body, which HTTP APIs hand to
 * the function base64-encoded). Every URL the provider hands out must keep the stage.
 * Provider state goes to the queue's Redis, or — as deployed — to the DynamoDB table named by
 * `ANTEROOM_OIDC_TABLE` (dynalite here), leaving the container one Redis connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateTableCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import request from 'supertest';
import type { LambdaHandlerOptions } from '../../provider/lambda/handlers.ts';
import type { SecretsManagerLike } from '../../provider/lambda/secrets.ts';
import { oidcTableDefinition } from '../../provider/oidc/index.ts';
import { type LocalDynamo, startDynalite } from '../support/dynalite.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { ADMIN_KEY, createFixture, type Fixture, lateBound } from './fixture.ts';

const skip = redisSkipReason();
const REDIRECT_URI = 'https://rp.example.com/oauth2/idpresponse';
const CLIENT_SECRET = 'rp-client-secret-0123456789';
const EVENTS = [{ id: 'launch', inlet: { type: 'manual' }, queuePositionExpirySeconds: null }];
/** The relying party as the CDK stack hands it over: confidential, its secret in Secrets Manager. */
const DEPLOYED_CLIENT = { client_id: 'rp', redirect_uris: [REDIRECT_URI], event_id: 'launch' };

describe('OIDC through the Lambda handler', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;
  let local: LocalDynamo | undefined;
  let dynamo: DynamoDBClient | undefined;

  before(async () => {
    redis = await startRedis();
    local = await startDynalite();
    dynamo = local.client;
    await dynamo.send(new CreateTableCommand(oidcTableDefinition('anteroom-oidc')));
    fixture = createFixture(redis.url, {
      events: EVENTS,
      oidc: { clients: [{ ...DEPLOYED_CLIENT, client_secret: CLIENT_SECRET }] },
    });
  });
  after(async () => {
    await fixture?.close();
    await redis?.stop();
    dynamo?.destroy();
    await local?.stop();
  });

  for (const format of ['v1', 'v2'] as const) {
    test(`authorization code flow with a stage prefix (${format}, state in Redis)`, async () => {
      await roundTrip(format, {});
    });
  }

  test('with ANTEROOM_OIDC_TABLE the state is in DynamoDB and the container keeps one Redis connection', async () => {
    const probe = new Redis(redis.url);
    try {
      const opened = async () =>
        Number(/total_connections_received:(\d+)/.exec(await probe.info('stats'))![1]);
      const before = await opened();
      await roundTrip('v2', { env: { ANTEROOM_OIDC_TABLE: 'anteroom-oidc' }, dynamoDb: local!.direct });
      assert.equal((await opened()) - before, 1, 'one Redis connection for the whole flow');
      const items = await dynamo!.send(new ScanCommand({ TableName: 'anteroom-oidc' }));
      assert.ok((items.Count ?? 0) > 0, 'provider state was written to the table');
    } finally {
      probe.disconnect();
    }
  });

  test('a confidential client whose secret the stack keeps in Secrets Manager exchanges its code (client_secret_post)', async () => {
    // A fake Secrets Manager client: AWS is unreachable from the test machine.
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ClientSecretrp-AbCdEf';
    const reads: string[] = [];
    const secretsManager = {
      async send(command: GetSecretValueCommand) {
        const id = command.input.SecretId ?? '';
        reads.push(id);
        if (id !== arn) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
        // The stack's generated secret is a plain string.
        return { SecretString: CLIENT_SECRET, $metadata: {} };
      },
    } as unknown as SecretsManagerLike;
    await roundTrip('v1', {
      env: {
        ANTEROOM_CONFIG_JSON: JSON.stringify({ events: EVENTS, oidc: { clients: [DEPLOYED_CLIENT] } }),
        ANTEROOM_OIDC_CLIENT_SECRET_ARNS: JSON.stringify({ rp: arn }),
      },
      secretsManager,
    });
    assert.deepEqual(reads, [arn], 'read once for the whole container');
  });

  async function roundTrip(format: 'v1' | 'v2', options: Partial<LambdaHandlerOptions>): Promise<void> {
    const front = lateBound();
    const { server, url } = await fixture.bridge(front.handler, { format, stage: 'api' });
    const publicUrl = `${url}/api`;
    const handlers = fixture.container({
      ...options,
      env: { ANTEROOM_PUBLIC_URL: publicUrl, ...options.env },
    });
    front.bind(handlers.publicHandler);
    const browser = request.agent(server);
    const local = (absolute: string) => {
      assert.ok(absolute.startsWith(publicUrl), `${absolute} keeps the public URL and its stage`);
      return absolute.slice(url.length);
    };

    const discovery = await browser.get('/api/oidc/.well-known/openid-configuration').expect(200);
    assert.equal(discovery.body.issuer, `${publicUrl}/oidc`);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint']) {
      assert.ok(
        String(discovery.body[key]).startsWith(`${publicUrl}/oidc/`),
        `${key}: ${discovery.body[key]}`,
      );
    }

    const authorize = new URL(discovery.body.authorization_endpoint);
    authorize.search = new URLSearchParams({
      client_id: 'rp',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      state: `state-${format}`,
      nonce: `nonce-${format}`,
    }).toString();
    const toInteraction = await browser.get(local(authorize.href)).redirects(0).expect(303);
    const interactionPath = local(new URL(toInteraction.headers.location!, publicUrl).href);
    assert.match(interactionPath, /^\/api\/oidc\/interaction\//);

    // Not admitted yet: the waiting page (the visitor took place 1 of this event).
    const waiting = await browser.get(interactionPath).redirects(0);
    assert.equal(waiting.status, 200, waiting.text.slice(0, 200));
    assert.match(waiting.headers['content-type'] ?? '', /text\/html/);

    const admin = await handlers.adminHandler(
      {
        resource: '/{proxy+}',
        path: '/increment_serving_counter',
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
        multiValueHeaders: null,
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        requestContext: {
          accountId: '123456789012',
          apiId: 'admin',
          httpMethod: 'POST',
          path: '/increment_serving_counter',
          requestId: crypto.randomUUID(),
          resourcePath: '/{proxy+}',
          stage: 'prod',
          identity: { sourceIp: '10.0.0.1' },
        },
        body: JSON.stringify({ event_id: 'launch', increment_by: 1 }),
        isBase64Encoded: false,
      },
      { awsRequestId: crypto.randomUUID(), functionName: 'admin', getRemainingTimeInMillis: () => 30_000 },
    );
    assert.equal(admin.statusCode, 200, admin.body);

    // Admitted: a plain reload continues the flow, through the provider, to the client.
    let location = (await browser.get(interactionPath).redirects(0).expect(303)).headers.location!;
    for (let hop = 0; !location.startsWith(REDIRECT_URI); hop += 1) {
      assert.ok(hop < 5, `too many redirects, at ${location}`);
      const response = await browser.get(local(new URL(location, publicUrl).href)).redirects(0);
      assert.ok([302, 303].includes(response.status), `redirect expected at ${location}: ${response.status}`);
      location = response.headers.location!;
    }
    const callback = new URL(location);
    assert.equal(callback.searchParams.get('state'), `state-${format}`);
    assert.equal(callback.searchParams.get('iss'), `${publicUrl}/oidc`);
    const code = callback.searchParams.get('code');
    assert.ok(code);

    const token = await request(server)
      .post(local(discovery.body.token_endpoint))
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: 'rp',
        client_secret: CLIENT_SECRET,
      })
      .expect(200);
    const claims = decodeJwt(token.body.id_token);
    assert.equal(claims.iss, `${publicUrl}/oidc`);
    assert.equal(claims.aud, 'rp');
    assert.equal(claims.nonce, `nonce-${format}`);
    assert.equal(claims.event_id, 'launch');
    assert.equal(typeof claims.queue_position, 'number');
  }
});
