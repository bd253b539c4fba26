/**
 * The durable admission ledger through the public and admin Lambda handlers, as deployed:
 * `ANTEROOM_LEDGER_TABLE` names a table created from the CDK stack's own schema constant
 * (dynalite here), so the app and the stack cannot drift apart unnoticed. A first issuance
 * writes one item, a re-issue none, update_session sets its status, and a DynamoDB outage
 * costs the visitor nothing (the failure is counted in the admin metrics).
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { LEDGER_TABLE_SCHEMA } from '../../infra/lib/constructs/state-tables.ts';
import type { LambdaHandlers } from '../../provider/lambda/handlers.ts';
import { DynamoLedger, LEDGER_RETENTION_SECONDS } from '../../provider/lambda/ledger.ts';
import { type LocalDynamo, startDynalite } from '../support/dynalite.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { ADMIN_KEY, createFixture, type Fixture } from './fixture.ts';

const skip = redisSkipReason();
const TABLE = 'anteroom-ledger';
const CONFIG = {
  events: [{ id: 'sale', inlet: { type: 'manual' }, queuePositionExpirySeconds: null }],
  limits: { enqueuePerClientPerMinute: 0 },
};

/** The table exactly as `infra/lib/constructs/state-tables.ts` declares it. */
function ledgerTableDefinition(name: string): CreateTableCommandInput {
  const { partitionKey, eventExpiresIndex: index } = LEDGER_TABLE_SCHEMA;
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: index.partitionKey, AttributeType: 'S' },
      { AttributeName: index.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** A ledger item as plain values (numbers for N, strings for S). */
function plain(item: Record<string, AttributeValue>): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, value.N !== undefined ? Number(value.N) : value.S!]),
  );
}

describe('durable admission ledger (ANTEROOM_LEDGER_TABLE)', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;
  let local: LocalDynamo | undefined;
  let dynamo: DynamoDBClient | undefined;
  let handlers: LambdaHandlers;
  let visitor: Server;
  let operator: Server;

  before(async () => {
    redis = await startRedis();
    local = await startDynalite({ maxAttempts: 1 });
    dynamo = local.client;
    await dynamo.send(new CreateTableCommand(ledgerTableDefinition(TABLE)));
    fixture = createFixture(redis.url, CONFIG);
    handlers = fixture.container({ env: { ANTEROOM_LEDGER_TABLE: TABLE }, dynamoDb: local.direct });
    visitor = (await fixture.bridge(handlers.publicHandler, { format: 'v2' })).server;
    operator = (await fixture.bridge(handlers.adminHandler, { format: 'v1' })).server;
  });
  after(async () => {
    await fixture?.close();
    await redis?.stop();
    dynamo?.destroy();
    await stopDynamo();
  });

  const stopDynamo = () => local?.stop() ?? Promise.resolve();

  const admin = (path: string, body: object) =>
    request(operator).post(path).set('Authorization', `Bearer ${ADMIN_KEY}`).send(body);

  /** A visitor who takes a place and is admitted; returns the request id. */
  async function admittedVisitor(): Promise<string> {
    const assigned = await request(visitor).post('/assign_queue_num').send({ event_id: 'sale' }).expect(200);
    await admin('/increment_serving_counter', { event_id: 'sale', increment_by: 1 }).expect(200);
    return assigned.body.api_request_id as string;
  }

  const generateToken = (requestId: string) =>
    request(visitor).post('/generate_token').send({ event_id: 'sale', request_id: requestId });

  async function ledgerItems(): Promise<Record<string, string | number>[]> {
    const scan = await dynamo!.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
    return (scan.Items ?? []).map(plain);
  }

  test('a first issuance writes one item with the token set’s claims; a re-issue writes none', async () => {
    const requestId = await admittedVisitor();
    assert.deepEqual(await ledgerItems(), [], 'nothing is recorded before a token is issued');

    const first = await generateToken(requestId).expect(200);
    const again = await generateToken(requestId).expect(200);
    const { jti: _first, ...claims } = decodeJwt(first.body.access_token);
    const { jti: _again, ...reissued } = decodeJwt(again.body.access_token);
    assert.deepEqual(reissued, claims, 'the re-issue carries the same claims');

    const items = await ledgerItems();
    assert.equal(items.length, 1, 'exactly one ledger item');
    assert.deepEqual(items[0], {
      request_id: requestId,
      event_id: 'sale',
      issued_at: claims.iat!,
      not_before: claims.nbf ?? claims.iat!,
      expires: claims.exp!,
      queue_number: 1,
      issuer: claims.iss!,
      session_status: 0,
      [LEDGER_TABLE_SCHEMA.ttlAttribute]: claims.exp! + LEDGER_RETENTION_SECONDS,
    });

    // The stack's index finds it by event and expiry.
    const byEvent = await dynamo!.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: LEDGER_TABLE_SCHEMA.eventExpiresIndex.name,
        KeyConditionExpression: 'event_id = :event AND expires >= :now',
        ExpressionAttributeValues: { ':event': { S: 'sale' }, ':now': { N: String(claims.iat) } },
      }),
    );
    assert.deepEqual(
      (byEvent.Items ?? []).map((item) => item.request_id?.S),
      [requestId],
    );
  });

  test('update_session records the session’s end in its item', async () => {
    const [issued] = await ledgerItems();
    assert.ok(issued, 'the previous test recorded one issuance');
    const completedId = String(issued.request_id);
    await admin('/update_session', { event_id: 'sale', request_id: completedId, status: 1 }).expect(200);

    const abandonedId = await admittedVisitor();
    await generateToken(abandonedId).expect(200);
    await admin('/update_session', { event_id: 'sale', request_id: abandonedId, status: -1 }).expect(200);

    const statuses = Object.fromEntries(
      (await ledgerItems()).map((item) => [item.request_id, item.session_status]),
    );
    assert.deepEqual(statuses, { [completedId]: 1, [abandonedId]: -1 });
  });

  test('a retried write never overwrites a record, and a status change needs the same event', async () => {
    const ledger = new DynamoLedger(local!.direct, TABLE);
    const session = {
      requestId: 'retried',
      eventId: 'sale',
      position: 7,
      issuedAt: 1_000,
      expiresAt: 4_600,
      issuer: 'https://first.example',
      status: 'active' as const,
    };
    await ledger.recordIssued(session);
    await ledger.recordIssued({ ...session, issuer: 'https://second.example', expiresAt: 9_999 });
    assert.equal(await ledger.recordStatus('other-event', 'retried', 'completed'), false);
    assert.equal(await ledger.recordStatus('sale', 'unknown-request', 'completed'), false);

    const item = (await ledgerItems()).find((row) => row.request_id === 'retried');
    assert.equal(item?.issuer, 'https://first.example');
    assert.equal(item?.expires, 4_600);
    assert.equal(item?.session_status, 0);
    assert.ok(
      !(await ledgerItems()).some((row) => row.request_id === 'unknown-request'),
      'no item was created',
    );
  });

  test('ending a session the ledger never recorded (issued without a ledger) is served and counted as missing', async () => {
    const requestId = await admittedVisitor();
    // Another container of the same deployment, without the table (e.g. before it was configured).
    const unrecorded = fixture.container();
    const { server } = await fixture.bridge(unrecorded.publicHandler, { format: 'v2' });
    await request(server)
      .post('/generate_token')
      .send({ event_id: 'sale', request_id: requestId })
      .expect(200);
    await admin('/update_session', { event_id: 'sale', request_id: requestId, status: 1 }).expect(200);

    assert.ok(!(await ledgerItems()).some((item) => item.request_id === requestId), 'no item was created');
    const metrics = await request(operator)
      .get('/metrics')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.match(
      metrics.text,
      /anteroom_ledger_write_failures_total\{operation="status",reason="missing"\} 1\n/,
    );
  });

  test('a DynamoDB outage fails no visitor and no operator: the failed writes are logged and counted', async () => {
    const requestId = await admittedVisitor();
    await stopDynamo();

    const issued = await generateToken(requestId).expect(200);
    assert.ok(issued.body.access_token, 'the visitor gets the tokens from Redis');
    await admin('/update_session', { event_id: 'sale', request_id: requestId, status: 1 }).expect(200);

    const metrics = await request(operator)
      .get('/metrics')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.match(
      metrics.text,
      /anteroom_ledger_write_failures_total\{operation="issued",reason="error"\} 1\n/,
    );
    assert.match(
      metrics.text,
      /anteroom_ledger_write_failures_total\{operation="status",reason="error"\} 1\n/,
    );
  });
});
