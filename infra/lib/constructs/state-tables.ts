/**
 * The DynamoDB tables: the OIDC provider's adapter table and the admission ledger. Both on-demand
 * (a waiting room idles most of the time), TTL-expired, point-in-time recoverable, encrypted with
 * an AWS managed key. The key and index names are a contract with the adapters (docs/deploy-aws.md).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { LEDGER_KEYS } from '../../../provider/lambda/ledger.ts';
// The OIDC adapter owns its table's shape; the stack builds exactly that, so the two cannot drift.
import { OIDC_TABLE_SCHEMA } from '../../../provider/oidc/adapters/dynamodb.ts';

export { OIDC_TABLE_SCHEMA };

export interface StateTablesProps {
  removalPolicy: RemovalPolicy;
}

/** Names the admission ledger relies on. */
/** The ledger's key, TTL and index names, as the Lambda container writes them. */
export const LEDGER_TABLE_SCHEMA = LEDGER_KEYS;

const PROJECTIONS = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
} as const;

export class StateTables extends Construct {
  readonly oidcTable: dynamodb.Table;
  readonly ledgerTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
    };
    const string = dynamodb.AttributeType.STRING;

    this.oidcTable = new dynamodb.Table(this, 'OidcTable', {
      ...common,
      partitionKey: { name: OIDC_TABLE_SCHEMA.partitionKey, type: string },
      timeToLiveAttribute: OIDC_TABLE_SCHEMA.ttlAttribute,
    });
    const grantIndex = OIDC_TABLE_SCHEMA.grantIndex;
    this.oidcTable.addGlobalSecondaryIndex({
      indexName: grantIndex.name,
      partitionKey: { name: grantIndex.partitionKey, type: string },
      projectionType: PROJECTIONS[grantIndex.projection],
    });

    const ledgerIndex = LEDGER_TABLE_SCHEMA.eventExpiresIndex;
    this.ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      ...common,
      partitionKey: { name: LEDGER_TABLE_SCHEMA.partitionKey, type: string },
      timeToLiveAttribute: LEDGER_TABLE_SCHEMA.ttlAttribute,
    });
    this.ledgerTable.addGlobalSecondaryIndex({
      indexName: ledgerIndex.name,
      partitionKey: { name: ledgerIndex.partitionKey, type: string },
      sortKey: { name: ledgerIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
