/**
 * oidc-provider state in one DynamoDB table.
 *
 *   item  modelId = "<Model>:<id>"             payload (JSON), expiresAt, grantId?, consumed?
 *   item  modelId = "<Model>:uid:<uid>"        ref = id, expiresAt   (strongly consistent lookup)
 *   item  modelId = "<Model>:code:<userCode>"  ref = id, expiresAt
 *   GSI   grantId-index (grantId → modelId)    for revokeByGrantId
 *
 * `expiresAt` (epoch seconds) is the table's TTL attribute. DynamoDB deletes expired items
 * lazily (up to days later), so every read also checks `expiresAt` against the clock.
 * `consume` is a conditional update (the item exists and has no `consumed` yet), so two
 * concurrent code exchanges cannot both succeed. `OIDC_TABLE_SCHEMA` is what the CDK stack
 * creates (and what the tests create in dynalite).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { StoreUnavailableError } from '../../../queue-core/errors.ts';
import { type DynamoDb, type Item, isConditionalCheckFailed } from '../../lambda/dynamodb.ts';
import {
  type Adapter,
  type AdapterFactory,
  type AdapterPayload,
  alreadyConsumed,
  type Clock,
  expiryOf,
  systemClock,
} from './types.ts';

/** Key and index names: a contract with `infra/` (the CDK stack creates the table from this). */
export const OIDC_TABLE_SCHEMA = Object.freeze({
  partitionKey: 'modelId',
  ttlAttribute: 'expiresAt',
  grantIndex: { name: 'grantId-index', partitionKey: 'grantId', projection: 'KEYS_ONLY' as const },
});

/** CreateTable input (on-demand billing) for a table named `tableName`. */
export function oidcTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, grantIndex } = OIDC_TABLE_SCHEMA;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: grantIndex.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: grantIndex.name,
        KeySchema: [{ AttributeName: grantIndex.partitionKey, KeyType: 'HASH' }],
        Projection: { ProjectionType: grantIndex.projection },
      },
    ],
  };
}

export interface DynamoAdapterOptions {
  tableName: string;
  now?: Clock;
}

class DynamoAdapter implements Adapter {
  readonly #client: DynamoDb;
  readonly #table: string;
  readonly #model: string;
  readonly #now: Clock;

  constructor(client: DynamoDb, table: string, model: string, now: Clock) {
    this.#client = client;
    this.#table = table;
    this.#model = model;
    this.#now = now;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiryOf(this.#now(), expiresIn);
    const common: Item = expiresAt === undefined ? {} : { expiresAt: { N: String(expiresAt) } };
    const item: Item = { modelId: { S: this.#key(id) }, payload: { S: JSON.stringify(payload) }, ...common };
    if (typeof payload.grantId === 'string') item['grantId'] = { S: payload.grantId };
    if (payload.consumed !== undefined) item['consumed'] = { N: String(payload.consumed) };
    const pointer = (kind: string, value: string) =>
      this.#send((c) =>
        c.putItem({
          TableName: this.#table,
          Item: { modelId: { S: this.#key(`${kind}:${value}`) }, ref: { S: id }, ...common },
        }),
      );
    await this.#send((c) => c.putItem({ TableName: this.#table, Item: item }));
    const pointers: Promise<unknown>[] = [];
    if (typeof payload.uid === 'string') pointers.push(pointer('uid', payload.uid));
    if (typeof payload.userCode === 'string') pointers.push(pointer('code', payload.userCode));
    await Promise.all(pointers);
  }

  async #get(modelId: string): Promise<Item | undefined> {
    const found = await this.#send((c) =>
      c.getItem({ TableName: this.#table, Key: { modelId: { S: modelId } }, ConsistentRead: true }),
    );
    const item = found.Item;
    if (item === undefined) return undefined;
    const expiresAt = item['expiresAt']?.N;
    if (expiresAt !== undefined && Number(expiresAt) <= this.#now()) return undefined;
    return item;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const item = await this.#get(this.#key(id));
    const json = item?.['payload']?.S;
    if (item === undefined || json === undefined) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    const consumed = item['consumed']?.N;
    if (consumed !== undefined) payload.consumed = Number(consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByPointer(this.#key(`uid:${uid}`));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByPointer(this.#key(`code:${userCode}`));
  }

  async #findByPointer(modelId: string): Promise<AdapterPayload | undefined> {
    const ref = (await this.#get(modelId))?.['ref']?.S;
    return ref === undefined ? undefined : this.find(ref);
  }

  async consume(id: string): Promise<void> {
    const now = this.#now();
    try {
      await this.#client.updateItem({
        TableName: this.#table,
        Key: { modelId: { S: this.#key(id) } },
        // `consumed` is a DynamoDB reserved word: always through a name placeholder.
        UpdateExpression: 'SET #c = :now',
        ConditionExpression:
          'attribute_exists(modelId) AND attribute_not_exists(#c) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
        ExpressionAttributeNames: { '#c': 'consumed' },
        ExpressionAttributeValues: { ':now': { N: String(now) } },
      });
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw alreadyConsumed();
      throw new StoreUnavailableError(error);
    }
  }

  async destroy(id: string): Promise<void> {
    await this.#send((c) => c.deleteItem({ TableName: this.#table, Key: { modelId: { S: this.#key(id) } } }));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const keys: string[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#send((c) =>
        c.query({
          TableName: this.#table,
          IndexName: OIDC_TABLE_SCHEMA.grantIndex.name,
          KeyConditionExpression: 'grantId = :g',
          ExpressionAttributeValues: { ':g': { S: grantId } },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) if (item['modelId']?.S) keys.push(item['modelId'].S);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    // BatchWriteItem takes 25 requests at most.
    for (let i = 0; i < keys.length; i += 25) {
      const batch = keys
        .slice(i, i + 25)
        .map((modelId) => ({ DeleteRequest: { Key: { modelId: { S: modelId } } } }));
      let pending: typeof batch | undefined = batch;
      for (let attempt = 0; pending !== undefined && pending.length > 0 && attempt < 5; attempt++) {
        const writes: typeof batch = pending;
        const result = await this.#send((c) => c.batchWriteItem({ RequestItems: { [this.#table]: writes } }));
        pending = result.UnprocessedItems?.[this.#table] as typeof batch | undefined;
      }
    }
  }

  async #send<T>(call: (client: DynamoDb) => Promise<T>): Promise<T> {
    try {
      return await call(this.#client);
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }
}

/** A factory over one DynamoDB client (the caller owns it) and an existing table. */
export function dynamoAdapter(client: DynamoDb, options: DynamoAdapterOptions): AdapterFactory {
  const now = options.now ?? systemClock;
  return (model: string) => new DynamoAdapter(client, options.tableName, model, now);
}
