/**
 * The DynamoDB calls the functions make (the OIDC provider's state, the admission ledger), as
 * signed AWS JSON 1.0 requests of our own (`aws-json.ts`), without the AWS SDK: loading
 * `@aws-sdk/client-dynamodb` (CommonJS, from the runtime's `node_modules`) was the largest part
 * of the OIDC provider's first answer.
 *
 * Only the operations used: GetItem, PutItem, UpdateItem, DeleteItem, Query, BatchWriteItem.
 * Inputs and outputs are DynamoDB's wire JSON, which is what the SDK's low-level client takes and
 * returns for the attribute types used here (`S`, `N`, `BOOL`, `NULL`, `L`, `M`, sets of strings
 * and numbers; binary `B` would be base64 text here, a `Uint8Array` in the SDK). An error answer
 * rejects with an `AwsServiceError` named as the SDK names its exception
 * (`ConditionalCheckFailedException`, `ResourceNotFoundException`, …). Throttling
 * (`ProvisionedThroughputExceededException`, `ThrottlingException`, `RequestLimitExceeded`), 5xx
 * answers and network errors are tried again with a backoff, a bounded number of times.
 *
 * Endpoint: `https://dynamodb.<region>.amazonaws.com/`, or `AWS_ENDPOINT_URL_DYNAMODB` /
 * `AWS_ENDPOINT_URL`; credentials and region from the variables Lambda sets.
 */
import { type AwsCallLimits, AwsServiceError, callAwsJson, type Env } from './aws-json.ts';

export interface AttributeValue {
  S?: string;
  N?: string;
  BOOL?: boolean;
  NULL?: boolean;
  SS?: string[];
  NS?: string[];
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
}

export type Item = Record<string, AttributeValue>;

interface Expressions {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

export interface GetItemInput {
  TableName: string;
  Key: Item;
  ConsistentRead?: boolean;
}
export interface PutItemInput extends Expressions {
  TableName: string;
  Item: Item;
}
export interface UpdateItemInput extends Expressions {
  TableName: string;
  Key: Item;
  UpdateExpression: string;
}
export interface DeleteItemInput extends Expressions {
  TableName: string;
  Key: Item;
}
export interface QueryInput extends Omit<Expressions, 'ConditionExpression'> {
  TableName: string;
  IndexName?: string;
  KeyConditionExpression: string;
  ExclusiveStartKey?: Item;
  ConsistentRead?: boolean;
  Limit?: number;
}
export interface WriteRequest {
  PutRequest?: { Item: Item };
  DeleteRequest?: { Key: Item };
}
export interface BatchWriteItemInput {
  RequestItems: Record<string, WriteRequest[]>;
}

const SERVICE = {
  endpointPrefix: 'dynamodb',
  endpointVariable: 'AWS_ENDPOINT_URL_DYNAMODB',
  jsonVersion: '1.0',
} as const;

/** A DynamoDB client over `env` (default: `process.env`, read at each call). Holds no resources. */
export class DynamoDb {
  readonly #env: Env;
  readonly #limits: AwsCallLimits;

  constructor(env: Env = process.env, limits: AwsCallLimits = {}) {
    this.#env = env;
    this.#limits = limits;
  }

  getItem(input: GetItemInput): Promise<{ Item?: Item }> {
    return this.#call('GetItem', input);
  }

  putItem(input: PutItemInput): Promise<Record<string, unknown>> {
    return this.#call('PutItem', input);
  }

  updateItem(input: UpdateItemInput): Promise<{ Attributes?: Item }> {
    return this.#call('UpdateItem', input);
  }

  deleteItem(input: DeleteItemInput): Promise<Record<string, unknown>> {
    return this.#call('DeleteItem', input);
  }

  query(input: QueryInput): Promise<{ Items?: Item[]; LastEvaluatedKey?: Item; Count?: number }> {
    return this.#call('Query', input);
  }

  batchWriteItem(input: BatchWriteItemInput): Promise<{ UnprocessedItems?: Record<string, WriteRequest[]> }> {
    return this.#call('BatchWriteItem', input);
  }

  #call<T>(operation: string, input: object): Promise<T> {
    return callAwsJson(
      this.#env,
      SERVICE,
      `DynamoDB_20120810.${operation}`,
      input,
      this.#limits,
    ) as Promise<T>;
  }
}

/** A conditional write refused (the SDK's `ConditionalCheckFailedException`). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof AwsServiceError && error.name === 'ConditionalCheckFailedException';
}
