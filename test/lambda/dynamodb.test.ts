/**
 * The functions' own DynamoDB client (`provider/lambda/dynamodb.ts`, AWS JSON 1.0 without the
 * SDK): the request it signs and sends, how an error answer is named, and which answers are tried
 * again, how many times. Against a local HTTP server standing in for the endpoint, and against
 * dynalite (a real DynamoDB API) for the errors DynamoDB itself gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { closeIdleConnections } from '../../authorizer/http-client.ts';
import { AwsServiceError } from '../../provider/lambda/aws-json.ts';
import { DynamoDb, isConditionalCheckFailed } from '../../provider/lambda/dynamodb.ts';
import {
  type AwsJsonEndpoint,
  type ReceivedCall,
  startAwsJsonEndpoint,
} from '../support/aws-json-endpoint.ts';
import { type LocalDynamo, startDynalite } from '../support/dynalite.ts';

describe('DynamoDB client: requests, errors and retries', () => {
  let endpoint: AwsJsonEndpoint;
  let env: Record<string, string>;
  let received: ReceivedCall[] = [];
  /** What the endpoint answers next (status, body); then 200 with an empty object. */
  let answers: [number, unknown][] = [];

  before(async () => {
    endpoint = await startAwsJsonEndpoint({
      contentType: 'application/x-amz-json-1.0',
      fallback: () => ({}),
    });
    ({ received, answers } = endpoint);
    env = { ...endpoint.credentials, AWS_ENDPOINT_URL_DYNAMODB: endpoint.url };
  });
  after(() => {
    closeIdleConnections();
    endpoint.close();
  });

  const reset = (...next: [number, unknown][]) => {
    received.length = 0;
    answers.length = 0;
    answers.push(...next);
  };
  const error = (type: string, status = 400): [number, unknown] => [
    status,
    { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} happened` },
  ];

  it('sends one signed AWS JSON 1.0 request per call, the input as DynamoDB JSON', async () => {
    reset([200, { Item: { modelId: { S: 'Session:s' }, expiresAt: { N: '12' } } }]);
    const input = { TableName: 't', Key: { modelId: { S: 'Session:s' } }, ConsistentRead: true };
    const found = await new DynamoDb(env).getItem(input);
    assert.deepEqual(found, { Item: { modelId: { S: 'Session:s' }, expiresAt: { N: '12' } } });
    assert.equal(received.length, 1);
    const [{ headers, body }] = received as [ReceivedCall];
    assert.deepEqual(body, input);
    assert.equal(headers['content-type'], 'application/x-amz-json-1.0');
    assert.equal(headers['x-amz-target'], 'DynamoDB_20120810.GetItem');
    assert.equal(headers['x-amz-security-token'], 'session');
    assert.match(
      String(headers.authorization),
      /Credential=AKIDTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/,
    );
  });

  it('names each operation as DynamoDB does', async () => {
    reset();
    const client = new DynamoDb(env);
    const Key = { k: { S: 'a' } };
    await client.putItem({ TableName: 't', Item: Key });
    await client.updateItem({ TableName: 't', Key, UpdateExpression: 'SET n = :n' });
    await client.deleteItem({ TableName: 't', Key });
    await client.query({ TableName: 't', KeyConditionExpression: 'k = :k' });
    await client.batchWriteItem({ RequestItems: { t: [{ DeleteRequest: { Key } }] } });
    assert.deepEqual(
      received.map((r) => r.headers['x-amz-target']),
      ['PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'BatchWriteItem'].map((o) => `DynamoDB_20120810.${o}`),
    );
  });

  it('rejects a refused condition as ConditionalCheckFailedException, without trying again', async () => {
    reset(error('ConditionalCheckFailedException'));
    const refused = await new DynamoDb(env)
      .putItem({ TableName: 't', Item: { k: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(k)' })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof AwsServiceError);
    assert.equal(refused.name, 'ConditionalCheckFailedException');
    assert.equal(refused.status, 400);
    assert.equal(refused.message, 'ConditionalCheckFailedException happened');
    assert.ok(isConditionalCheckFailed(refused));
    assert.equal(received.length, 1);
  });

  it('does not try a client error again (ValidationException)', async () => {
    reset(error('ValidationException'));
    const refused = await new DynamoDb(env).getItem({ TableName: 't', Key: {} }).catch((e: unknown) => e);
    assert.ok(refused instanceof AwsServiceError && refused.name === 'ValidationException');
    assert.ok(!isConditionalCheckFailed(refused));
    assert.equal(received.length, 1);
  });

  for (const [type, status] of [
    ['ProvisionedThroughputExceededException', 400],
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 400],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
  ] as const) {
    it(`tries ${type} (${status}) again, and answers what the next attempt gets`, async () => {
      reset(error(type, status), [200, { Items: [], Count: 0 }]);
      const page = await new DynamoDb(env).query({ TableName: 't', KeyConditionExpression: 'k = :k' });
      assert.deepEqual(page, { Items: [], Count: 0 });
      assert.equal(received.length, 2);
      assert.deepEqual(received[0]!.body, received[1]!.body);
    });
  }

  it('gives up after three attempts in all, or the attempts it was given', async () => {
    const throttled = () => error('ProvisionedThroughputExceededException');
    reset(throttled(), throttled(), throttled(), throttled());
    const failed = await new DynamoDb(env).getItem({ TableName: 't', Key: {} }).catch((e: unknown) => e);
    assert.ok(failed instanceof AwsServiceError && failed.name === 'ProvisionedThroughputExceededException');
    assert.equal(received.length, 3);

    reset(throttled(), throttled(), throttled());
    const ledgerLike = new DynamoDb(env, { attempts: 2 });
    await assert.rejects(ledgerLike.getItem({ TableName: 't', Key: {} }), {
      name: 'ProvisionedThroughputExceededException',
    });
    assert.equal(received.length, 2);
  });
});

describe('DynamoDB client against dynalite', () => {
  let local: LocalDynamo;

  before(async () => {
    local = await startDynalite();
    await local.client.send(
      new CreateTableCommand({
        TableName: 'items',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
      }),
    );
  });
  after(async () => {
    local?.client.destroy();
    closeIdleConnections();
    await local?.stop();
  });

  it('writes, reads and updates an item as the SDK would, and names a refused condition', async () => {
    const db = local.direct;
    const item = {
      k: { S: 'a' },
      n: { N: '1' },
      flag: { BOOL: true },
      list: { L: [{ S: 'x' }, { N: '2' }] },
    };
    await db.putItem({ TableName: 'items', Item: item, ConditionExpression: 'attribute_not_exists(k)' });
    assert.deepEqual((await db.getItem({ TableName: 'items', Key: { k: { S: 'a' } } })).Item, item);
    const again = await db
      .putItem({ TableName: 'items', Item: item, ConditionExpression: 'attribute_not_exists(k)' })
      .catch((e: unknown) => e);
    assert.ok(isConditionalCheckFailed(again), String(again));
    const updated = await db.updateItem({
      TableName: 'items',
      Key: { k: { S: 'a' } },
      UpdateExpression: 'SET n = n + :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
    });
    assert.deepEqual(updated, {});
    assert.deepEqual((await db.getItem({ TableName: 'items', Key: { k: { S: 'a' } } })).Item?.n, { N: '2' });
    assert.deepEqual(await db.getItem({ TableName: 'items', Key: { k: { S: 'none' } } }), {});
  });

  it('names a missing table ResourceNotFoundException and does not try it again', async () => {
    await assert.rejects(
      local.direct.getItem({ TableName: 'missing', Key: { k: { S: 'a' } } }),
      (e: unknown) => {
        assert.ok(e instanceof AwsServiceError);
        assert.equal(e.name, 'ResourceNotFoundException');
        assert.equal(e.status, 400);
        return true;
      },
    );
  });
});
