/**
 * The durable admission ledger: one DynamoDB item per issued token set (`ANTEROOM_LEDGER_TABLE`).
 *
 * Redis holds the ledger the queue works from; this table is a record for audits and analytics
 * that outlives the Redis keys. The item has the attributes of the retired AWS solution's token
 * table, so queries written for it keep working:
 *
 * | attribute | type | value |
 * |---|---|---|
 * | `request_id` | S | partition key |
 * | `event_id` | S | GSI `event_id-expires-index` partition key |
 * | `issued_at`, `not_before` | N | epoch seconds the token set was issued (its `iat` and `nbf`) |
 * | `expires` | N | epoch seconds the token set expires (its `exp`; the GSI sort key) |
 * | `queue_number` | N | the visitor's queue position |
 * | `issuer` | S | the tokens' `iss` |
 * | `session_status` | N | 0 active, 1 completed, −1 abandoned |
 * | `ttl` | N | `expires` + 7 days: DynamoDB deletes the item (lazily) after that |
 *
 * A first issuance writes with `attribute_not_exists(request_id)`, so a retried write never
 * overwrites a record; a status change updates only an item that exists, for the same event.
 */
import type { SessionRecord } from '../../queue-core/types.ts';
import { requestRef } from '../telemetry/log.ts';
import type { LabelledCounter } from '../telemetry/metrics.ts';
import { DynamoDb, isConditionalCheckFailed } from './dynamodb.ts';

/** Key, TTL and index names; the CDK stack builds the table from this (`LEDGER_TABLE_SCHEMA`). */
export const LEDGER_KEYS = Object.freeze({
  partitionKey: 'request_id',
  ttlAttribute: 'ttl',
  eventExpiresIndex: { name: 'event_id-expires-index', partitionKey: 'event_id', sortKey: 'expires' },
});

/** How long an item outlives its token set before DynamoDB's TTL may delete it. */
export const LEDGER_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** `session_status` values (the AWS solution's encoding). */
export const SESSION_STATUS_CODES = Object.freeze({ active: 0, completed: 1, abandoned: -1 });

export type EndedStatus = 'completed' | 'abandoned';

export interface AdmissionLedger {
  /** Record a first issuance. A record that already exists is kept as it is. */
  recordIssued(session: SessionRecord): Promise<void>;
  /** Record the end of a session. Resolves false when no record of it exists. */
  recordStatus(eventId: string, requestId: string, status: EndedStatus): Promise<boolean>;
}

/**
 * A client whose calls give up quickly: a ledger write runs inside a visitor's request, and a
 * slow DynamoDB must not hold that request for long (2 attempts of at most 2 s each).
 */
export function ledgerClient(): DynamoDb {
  return new DynamoDb(process.env, { attempts: 2, timeoutMs: 2000 });
}

export class DynamoLedger implements AdmissionLedger {
  readonly #client: DynamoDb;
  readonly #table: string;

  /** Without a `client`, `ledgerClient()` (which holds nothing until its first call). */
  constructor(client: DynamoDb | undefined, tableName: string) {
    this.#client = client ?? ledgerClient();
    this.#table = tableName;
  }

  async recordIssued(session: SessionRecord): Promise<void> {
    try {
      await this.#client.putItem({
        TableName: this.#table,
        Item: {
          request_id: { S: session.requestId },
          event_id: { S: session.eventId },
          issued_at: { N: String(session.issuedAt) },
          not_before: { N: String(session.issuedAt) },
          expires: { N: String(session.expiresAt) },
          queue_number: { N: String(session.position) },
          issuer: { S: session.issuer },
          session_status: { N: String(SESSION_STATUS_CODES[session.status]) },
          ttl: { N: String(session.expiresAt + LEDGER_RETENTION_SECONDS) },
        },
        ConditionExpression: 'attribute_not_exists(request_id)',
      });
    } catch (error) {
      // Already recorded (a retried write whose first attempt landed): nothing to do.
      if (isConditionalCheckFailed(error)) return;
      throw error;
    }
  }

  async recordStatus(eventId: string, requestId: string, status: EndedStatus): Promise<boolean> {
    try {
      await this.#client.updateItem({
        TableName: this.#table,
        Key: { request_id: { S: requestId } },
        UpdateExpression: 'SET session_status = :status',
        ConditionExpression: 'attribute_exists(request_id) AND event_id = :event',
        ExpressionAttributeValues: {
          ':status': { N: String(SESSION_STATUS_CODES[status]) },
          ':event': { S: eventId },
        },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

export interface LedgerFailureSink {
  logger: { error(fields: object, message: string): void; warn(fields: object, message: string): void };
  /** Counts failed writes, labelled `operation` (`issued` / `status`) and `reason`. */
  failures: LabelledCounter<'operation' | 'reason'>;
}

/**
 * The ledger as the room wrapper uses it: its methods never reject. Redis is the source of
 * truth, so a failed ledger write must not fail the visitor's request; it is logged and counted.
 */
export function guardedLedger(ledger: AdmissionLedger, sink: LedgerFailureSink): AdmissionLedger {
  const failed = (operation: 'issued' | 'status', fields: object, error: unknown) => {
    sink.failures.inc({ operation, reason: 'error' });
    sink.logger.error({ ...fields, err: error, ledger_write_failed: operation }, 'ledger write failed');
  };
  return {
    async recordIssued(session) {
      try {
        await ledger.recordIssued(session);
      } catch (error) {
        failed('issued', { event_id: session.eventId, request_ref: requestRef(session.requestId) }, error);
      }
    },
    async recordStatus(eventId, requestId, status) {
      const fields = { event_id: eventId, request_ref: requestRef(requestId), status };
      try {
        const recorded = await ledger.recordStatus(eventId, requestId, status);
        if (!recorded) {
          // Issued while the table was unreachable, or before the ledger was configured.
          sink.failures.inc({ operation: 'status', reason: 'missing' });
          sink.logger.warn(
            { ...fields, ledger_write_failed: 'status' },
            'ledger has no record of the session',
          );
        }
        return recorded;
      } catch (error) {
        failed('status', fields, error);
        return false;
      }
    },
  };
}
