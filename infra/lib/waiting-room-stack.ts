/**
 * The whole serverless waiting room in one stack. The stack only composes the constructs and
 * wires least-privilege grants and environment variables between them; each concern lives in
 * its own construct under ./constructs.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.ts';
import { AppSecrets } from './constructs/app-secrets.ts';
import { TokenAuthorizer } from './constructs/authorizer.ts';
import { CDN_PROXY_HOPS, Cdn, CLIENT_ADDRESS_HEADER } from './constructs/cdn.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { Network } from './constructs/network.ts';
import { OriginHealth } from './constructs/origin-health.ts';
import { PrivateApi } from './constructs/private-api.ts';
import { PublicApi } from './constructs/public-api.ts';
import { QueueStore } from './constructs/queue-store.ts';
import { StateTables } from './constructs/state-tables.ts';
import { StatusEvents } from './constructs/status-events.ts';
import { checkEntries, DEFAULT_ENTRIES, type LambdaEntries } from './entries.ts';
import { suppressAcceptedFindings } from './nag-suppressions.ts';

export interface WaitingRoomStackProps extends StackProps {
  config: DeployConfig;
  /** Handler source files; defaults to provider/lambda.ts and authorizer/lambda.ts. */
  entries?: LambdaEntries;
}

export class WaitingRoomStack extends Stack {
  readonly network: Network;
  readonly queueStore: QueueStore;
  readonly tables: StateTables;
  readonly secrets: AppSecrets;
  readonly statusEvents: StatusEvents;
  readonly publicApi: PublicApi;
  readonly privateApi: PrivateApi;
  readonly cdn: Cdn;
  readonly authorizer: TokenAuthorizer;
  readonly monitoring: Monitoring;
  /** CloudWatch → `POST /origin_health` (deployment config `originHealth`), when asked. */
  readonly originHealth: OriginHealth | undefined;

  constructor(scope: Construct, id: string, props: WaitingRoomStackProps) {
    super(scope, id, props);
    const { config } = props;
    const entries = checkEntries(props.entries ?? DEFAULT_ENTRIES);
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetentionDays = config.logRetentionDays;
    const sourceMaps = config.sourceMaps;
    const eventIds = config.app.events.map((event) => event.id);

    // State.
    this.network = new Network(this, 'Network', { ...config.network, logRetentionDays });
    const network = {
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      securityGroup: this.network.functionSecurityGroup,
    };
    this.queueStore = new QueueStore(this, 'QueueStore', {
      config: config.queueStore,
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      clientSecurityGroup: this.network.functionSecurityGroup,
      removalPolicy,
    });
    this.tables = new StateTables(this, 'Tables', { removalPolicy });
    this.secrets = new AppSecrets(this, 'Secrets', {
      removalPolicy,
      confidentialClientIds: config.confidentialClients,
    });

    // What every provider function needs. Each of them loads the signing-key ring at cold start,
    // and whichever starts first on a fresh stack (usually the scheduled one) writes the keys.
    const store = this.queueStore;
    const storeEnv: Record<string, string> = {
      ANTEROOM_CONFIG_JSON: JSON.stringify(withoutPublicUrl(config.app)),
      ANTEROOM_REDIS_HOST: store.host,
      ANTEROOM_REDIS_PORT: store.port,
      ANTEROOM_REDIS_TLS: 'true',
      ANTEROOM_REDIS_AUTH_SECRET_ARN: store.authSecret.secretArn,
      // Serverless speaks the cluster protocol (every script stays in one slot: the hash tag).
      ...(store.cluster ? { ANTEROOM_REDIS_CLUSTER: 'true' } : {}),
      // A write is answered once a replica holds it, so a failover hands no position out twice.
      ...(store.durability === 'none' ? {} : { REDIS_DURABILITY: store.durability }),
      ANTEROOM_LEDGER_TABLE: this.tables.ledgerTable.tableName,
      ANTEROOM_KEYS_SECRET_ARN: this.secrets.signingKeys.secretArn,
      // ES256 is the app's default; RS256 only when asked for (downstream verifiers of the AWS solution).
      ...(config.admissionTokenAlgorithm === 'RS256' ? { ANTEROOM_KEYS_ALGORITHM: 'RS256' } : {}),
    };

    const signalEgress = this.signalEgressGroup(config.signalPorts);
    this.statusEvents = new StatusEvents(this, 'StatusEvents', {
      entry: entries.provider,
      environment: storeEnv,
      network: signalEgress ? { ...network, extraSecurityGroups: [signalEgress] } : network,
      logRetentionDays,
      sourceMaps,
    });
    const busEnv = { ANTEROOM_EVENT_BUS: this.statusEvents.bus.eventBusName };

    const clientSecretArns = Object.fromEntries(
      [...this.secrets.clientSecrets].map(([clientId, secret]) => [clientId, secret.secretArn]),
    );
    const entryEgress = this.egressGroup('EntryCheckEgress', config.entryPorts, {
      description: "Anteroom public function: the entry checks' siteverify and JWKS ports",
      rule: 'Entry check',
    });
    this.publicApi = new PublicApi(this, 'PublicApi', {
      entry: entries.provider,
      environment: {
        ...storeEnv,
        ...busEnv,
        ...READ_KEYS_ONLY,
        ANTEROOM_COOKIE_KEYS_SECRET_ARN: this.secrets.cookieKeys.secretArn,
        ANTEROOM_ORIGIN_SECRET_ARN: this.secrets.originSecret.secretArn,
        ANTEROOM_OIDC_TABLE: this.tables.oidcTable.tableName,
        ...(this.secrets.clientSecrets.size === 0
          ? {}
          : { ANTEROOM_OIDC_CLIENT_SECRET_ARNS: Stack.of(this).toJsonString(clientSecretArns) }),
        // Behind CloudFront and API Gateway (two proxies appending to X-Forwarded-For, never
        // "trust the first entry"); the visitor's address (per-client limits) comes from the
        // header the distribution's function sets, and X-Forwarded-For is the fallback.
        TRUST_PROXY: String(CDN_PROXY_HOPS),
        CLIENT_ADDRESS_HEADER,
      },
      network: entryEgress ? { ...network, extraSecurityGroups: [entryEgress] } : network,
      throttleRateLimit: config.publicApi.throttleRateLimit,
      throttleBurstLimit: config.publicApi.throttleBurstLimit,
      logRetentionDays,
      sourceMaps,
    });
    this.privateApi = new PrivateApi(this, 'PrivateApi', {
      entry: entries.provider,
      environment: { ...storeEnv, ...busEnv, ...READ_KEYS_ONLY },
      network,
      logRetentionDays,
      corsOrigins: config.privateApi.corsOrigins,
      sourceMaps,
    });

    // The public API is the CDN's origin; the CDN's URL is the public URL, which the functions
    // receive as ANTEROOM_PUBLIC_URL (a token, resolved at deploy time).
    this.cdn = new Cdn(this, 'Cdn', {
      ...config.cdn,
      originDomainName: this.publicApi.originDomainName,
      originSecret: this.secrets.originSecret,
    });
    const publicUrl = config.app.publicUrl ?? this.cdn.url;
    for (const fn of [this.publicApi.fn, this.privateApi.fn, this.statusEvents.fn]) {
      fn.addEnvironment('ANTEROOM_PUBLIC_URL', publicUrl);
    }

    this.originHealth =
      config.originHealth.length === 0
        ? undefined
        : new OriginHealth(this, 'OriginHealth', {
            entry: entries.originHealth,
            forwards: config.originHealth,
            api: this.privateApi.api,
            logRetentionDays,
          });

    this.authorizer = new TokenAuthorizer(this, 'Authorizer', {
      entry: entries.authorizer,
      publicUrl,
      eventIds,
      logRetentionDays,
      sourceMaps,
    });

    this.grantLeastPrivilege();

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: {
        Public: this.publicApi.fn,
        Admin: this.privateApi.fn,
        Scheduled: this.statusEvents.fn,
        Authorizer: this.authorizer.fn,
        ...(this.originHealth ? { OriginHealth: this.originHealth.fn } : {}),
      },
      apis: { Public: this.publicApi.api, Private: this.privateApi.api },
      storeAlarms: this.queueStore.alarms,
      storeFunctions: [this.publicApi.fn, this.privateApi.fn, this.statusEvents.fn],
      eventIds,
      ...(config.alarmTopicArn === undefined ? {} : { alarmTopicArn: config.alarmTopicArn }),
    });

    this.outputs(publicUrl);
    suppressAcceptedFindings(this);
  }

  /** Each function gets exactly the secrets, tables and bus it uses, and nothing else. */
  private grantLeastPrivilege(): void {
    const { secrets, tables, queueStore } = this;
    const bus = this.statusEvents.bus;
    const publicFn = this.publicApi.fn;
    const adminFn = this.privateApi.fn;
    const scheduledFn = this.statusEvents.fn;

    for (const fn of [publicFn, adminFn, scheduledFn]) {
      queueStore.authSecret.grantRead(fn);
      secrets.signingKeys.grantRead(fn);
      allowBatchSecretReads(fn);
      tables.ledgerTable.grantReadWriteData(fn);
      bus.grantPutEventsTo(fn);
    }
    // The functions the internet reaches read the keys and never write them: a flaw in them
    // cannot replace the signing keys. The scheduled function generates them on its first run,
    // which the deployment itself triggers (below), so the stack is complete only once they
    // exist. (It cannot run before the APIs: the scheduled function knows the distribution's
    // address, which depends on the public API.)
    allowFirstKeysWrite(scheduledFn, secrets.signingKeys);
    new triggers.Trigger(this, 'CreateSigningKeys', {
      handler: scheduledFn,
      executeAfter: [secrets.signingKeys, queueStore, tables],
      executeOnHandlerChange: false,
    });
    secrets.cookieKeys.grantRead(publicFn);
    secrets.originSecret.grantRead(publicFn);
    for (const secret of secrets.clientSecrets.values()) secret.grantRead(publicFn);
    tables.oidcTable.grantReadWriteData(publicFn);
  }

  /**
   * The probe and Prometheus signals of adaptive events (origin-signals.ts): the scheduled
   * function alone may reach their ports beyond 443, through a security group of its own.
   */
  private signalEgressGroup(ports: number[]): ec2.SecurityGroup | undefined {
    return this.egressGroup('OriginSignalEgress', ports, {
      description: "Anteroom scheduled function: the adaptive inlets' probe and Prometheus ports",
      rule: 'Origin signal',
    });
  }

  /** A security group of one function alone, open outward on `ports` (none: no group). */
  private egressGroup(
    id: string,
    ports: number[],
    text: { description: string; rule: string },
  ): ec2.SecurityGroup | undefined {
    if (ports.length === 0) return undefined;
    const group = new ec2.SecurityGroup(this, id, {
      vpc: this.network.vpc,
      description: text.description,
      allowAllOutbound: false,
    });
    for (const port of ports) {
      group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `${text.rule} on port ${port}`);
    }
    return group;
  }

  private outputs(publicUrl: string): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('PublicUrl', publicUrl, 'Public base URL (queue API, waiting page); admission-token issuer');
    output(
      'OidcIssuer',
      `${publicUrl}/oidc`,
      'OpenID Connect issuer to configure in the ALB / CloudFront / RP',
    );
    output(
      'DistributionDomainName',
      this.cdn.distribution.distributionDomainName,
      'CloudFront domain (CNAME target)',
    );
    output('PrivateApiUrl', this.privateApi.api.apiEndpoint, 'Private admin API (SigV4, execute-api:Invoke)');
    output('AdminInvokePolicyArn', this.privateApi.invokePolicy.managedPolicyArn, 'Attach to operators');
    output('SigningKeysSecretArn', this.secrets.signingKeys.secretArn, 'Signing keys secret');
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    for (const [clientId, secret] of this.secrets.clientSecrets) {
      output(`ClientSecretArn-${clientId}`, secret.secretArn, `OIDC client secret of ${clientId}`);
    }
  }
}

/** The internet-facing functions' key source is read-only (`keys.readOnly`, provider/lambda/env.ts). */
const READ_KEYS_ONLY = { ANTEROOM_KEYS_READ_ONLY: 'true' } as const;

/** The scheduled function's first run writes the generated JWKS: PutSecretValue on that one secret only. */
function allowFirstKeysWrite(fn: lambda.Function, secret: secretsmanager.ISecret): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [secret.secretArn] }),
  );
}

/**
 * A cold start reads its secrets in one `BatchGetSecretValue` call (provider/lambda.ts). The
 * action has no resource-level permission, and returns only the secrets `GetSecretValue` is
 * granted on (the grants above): it widens nothing. Without it the function reads them one by one.
 */
function allowBatchSecretReads(fn: lambda.Function): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:BatchGetSecretValue'], resources: ['*'] }),
  );
}

/** publicUrl reaches the functions as ANTEROOM_PUBLIC_URL (it may be a deploy-time token). */
function withoutPublicUrl(app: DeployConfig['app']): DeployConfig['app'] {
  const { publicUrl: _publicUrl, ...rest } = app;
  return rest;
}
