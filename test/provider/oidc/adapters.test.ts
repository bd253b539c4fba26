/**
 * The adapter contract on all three stores: memory, Redis (a private redis-server) and
 * DynamoDB (dynalite, a real DynamoDB API on LevelDB, started here).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { Redis } from 'ioredis';
import {
  dynamoAdapter,
  OIDC_TABLE_SCHEMA,
  oidcTableDefinition,
} from '../../../provider/oidc/adapters/dynamodb.ts';
import { memoryAdapter } from '../../../provider/oidc/adapters/memory.ts';
import { redisAdapter } from '../../../provider/oidc/adapters/redis.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../../support/redis.ts';
import { adapterContract } from './adapter-contract.ts';

adapterContract('memory', { open: async (clock) => memoryAdapter({ now: () => clock.now }) });

test('memory: expired records are swept away on a later write, at most once a minute', async () => {
  let now = 1_800_000_000;
  const factory = memoryAdapter({ now: () => now });
  const interactions = factory('Interaction');
  for (let i = 0; i < 5; i++) await interactions.upsert(`i${i}`, { jti: `i${i}`, uid: `u${i}` }, 10);
  now += 30;
  await interactions.upsert('fresh', { jti: 'fresh' }, 600);
  assert.equal(factory.space.records.size, 6, 'no sweep within the minute');
  now += 30;
  await interactions.upsert('fresher', { jti: 'fresher' }, 600);
  assert.deepEqual([...factory.space.records.keys()].sort(), ['Interaction:fresh', 'Interaction:fresher']);
  assert.equal(factory.space.byUid.size, 0);
});

// ---------------------------------------------------------------------------------
// Redis

const redisSkip = redisSkipReason();
let redisServer: RedisServer | undefined;
let redis: Redis | undefined;
let redisPrefixes = 0;

if (!redisSkip) {
  before(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await redisServer?.stop();
  });
  adapterContract('redis', {
    open: async (clock) => redisAdapter(redis!, { prefix: `t${++redisPrefixes}`, now: () => clock.now }),
  });
  test('redis: records carry a native TTL so Redis reclaims them', async () => {
    const factory = redisAdapter(redis!, { prefix: 'ttl' });
    await factory('Interaction').upsert('i', { jti: 'i', uid: 'u' }, 120);
    const ttl = await redis!.pttl('ttl:Interaction:i');
    assert.ok(ttl > 0 && ttl <= 120_000, `pttl ${ttl}`);
    assert.ok((await redis!.pttl('ttl:Interaction:uid:u')) > 0);
  });
  test('redis: a record is one string written by one command', async () => {
    const factory = redisAdapter(redis!, { prefix: 'one' });
    const commandsBefore = await processedCommands(redis!);
    await factory('Grant').upsert('g', { jti: 'g', accountId: 'a', clientId: 'c' }, 60);
    // Less the INFO that read the count.
    assert.equal((await processedCommands(redis!)) - commandsBefore - 1, 1);
    assert.equal(await redis!.type('one:Grant:g'), 'string');
    assert.deepEqual(await factory('Grant').find('g'), { jti: 'g', accountId: 'a', clientId: 'c' });
  });
  test("redis: an earlier version's records (hashes) are still found and consumed once, and replaced at their next write", async () => {
    const factory = redisAdapter(redis!, { prefix: 'legacy' });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const payload = { jti: 'c1', accountId: 'a', grantId: 'g' };
    await redis!.hset('legacy:AuthorizationCode:c1', { payload: JSON.stringify(payload), exp: String(exp) });
    await redis!.pexpire('legacy:AuthorizationCode:c1', 60_000);
    await redis!.hset('legacy:AuthorizationCode:c2', { payload: JSON.stringify({ ...payload, jti: 'c2' }) });
    await redis!.hset('legacy:AuthorizationCode:old', { payload: '{"jti":"old"}', exp: '1000' });
    const codes = factory('AuthorizationCode');
    assert.deepEqual(await codes.find('c1'), payload);
    assert.equal(await codes.find('old'), undefined, 'an expired hash stays hidden');
    const outcomes = await Promise.allSettled([codes.consume('c1'), codes.consume('c1')]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(typeof (await codes.find('c1'))?.consumed, 'number');
    await codes.upsert('c2', { jti: 'c2', accountId: 'b' }, 60);
    assert.equal(await redis!.type('legacy:AuthorizationCode:c2'), 'string');
    assert.deepEqual(await codes.find('c2'), { jti: 'c2', accountId: 'b' });
  });
}

async function processedCommands(client: Redis): Promise<number> {
  return Number(/^total_commands_processed:(\d+)/m.exec(await client.info('stats'))?.[1]);
}

// ---------------------------------------------------------------------------------
// DynamoDB (dynalite)

let local: LocalDynamo | undefined;
let dynamo: DynamoDBClient | undefined;
let tables = 0;

before(async () => {
  local = await startDynalite();
  dynamo = local.client;
});

after(async () => {
  dynamo?.destroy();
  await local?.stop();
});

async function newTable(): Promise<string> {
  const name = `oidc-${++tables}`;
  await dynamo!.send(new CreateTableCommand(oidcTableDefinition(name)));
  return name;
}

adapterContract('dynamodb', {
  open: async (clock) => dynamoAdapter(local!.direct, { tableName: await newTable(), now: () => clock.now }),
});

test('dynamodb: the table has the schema infra/ creates, and items carry the TTL attribute', async () => {
  const tableName = await newTable();
  const described = await dynamo!.send(new DescribeTableCommand({ TableName: tableName }));
  assert.deepEqual(described.Table?.KeySchema, [
    { AttributeName: OIDC_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
  ]);
  assert.equal(described.Table?.GlobalSecondaryIndexes?.[0]?.IndexName, OIDC_TABLE_SCHEMA.grantIndex.name);
  const now = 1_800_000_000;
  await dynamoAdapter(local!.direct, { tableName, now: () => now })('Session').upsert('s', { jti: 's' }, 300);
  const item = await dynamo!.send(
    new GetItemCommand({ TableName: tableName, Key: { modelId: { S: 'Session:s' } } }),
  );
  assert.equal(item.Item?.[OIDC_TABLE_SCHEMA.ttlAttribute]?.N, String(now + 300));
});
