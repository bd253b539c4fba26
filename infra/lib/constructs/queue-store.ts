/**
 * The queue store: ElastiCache (Valkey or Redis) in the private subnets, TLS in transit, encrypted
 * at rest, AUTH from a generated Secrets Manager secret, reachable only from the Lambdas' security
 * group. Node-based by default (a primary and two replicas spread over the AZs, Multi-AZ,
 * automatic failover; the app acknowledges a write once `WAIT 1` confirms a replica holds it:
 * `durability`); serverless on request.
 */
import { Names, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { QueueStoreConfig } from '../config.ts';

export interface QueueStoreProps {
  config: QueueStoreConfig;
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  /** The only group allowed to connect. */
  clientSecurityGroup: ec2.ISecurityGroup;
  removalPolicy: RemovalPolicy;
}

/** A metric worth an alarm, described neutrally so the monitoring construct owns the alarms. */
export interface StoreAlarmSpec {
  id: string;
  description: string;
  metric: cloudwatch.IMetric;
  threshold: number;
}

/** Name of the ElastiCache user the app authenticates as on serverless (RBAC needs a user name). */
export const SERVERLESS_USER_NAME = 'anteroom';

export class QueueStore extends Construct {
  readonly host: string;
  readonly port: string;
  /** The AUTH token as a plain string (node-based), or `{"username","password"}` (serverless). */
  readonly authSecret: secretsmanager.Secret;
  /** Serverless speaks the cluster protocol. */
  readonly cluster: boolean;
  readonly alarms: StoreAlarmSpec[];
  readonly securityGroup: ec2.SecurityGroup;
  /** `store.durability` for the app (REDIS_DURABILITY). */
  readonly durability: 'none' | 'replica';

  constructor(scope: Construct, id: string, props: QueueStoreProps) {
    super(scope, id);
    const { config } = props;
    this.durability = config.durability;
    const serverless = config.type === 'serverless';
    // Serverless listens on 6379 only.
    const port = serverless ? 6379 : config.port;

    // ElastiCache passwords: 16–128 printable characters without @ " / or space.
    const password = { passwordLength: 64, excludePunctuation: true };
    this.authSecret = new secretsmanager.Secret(this, 'AuthToken', {
      description: serverless
        ? 'Anteroom queue store credentials ({"username","password"})'
        : 'Anteroom queue store AUTH token',
      removalPolicy: props.removalPolicy,
      generateSecretString: serverless
        ? {
            ...password,
            secretStringTemplate: JSON.stringify({ username: SERVERLESS_USER_NAME }),
            generateStringKey: 'password',
          }
        : password,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Anteroom queue store: reachable from the Anteroom Lambdas only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clientSecurityGroup,
      ec2.Port.tcp(port),
      'Anteroom Lambdas to the queue store',
    );
    props.clientSecurityGroup.addEgressRule(this.securityGroup, ec2.Port.tcp(port), 'To the queue store');

    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
    if (serverless) {
      const cache = this.serverlessCache(config, subnetIds);
      this.host = cache.attrEndpointAddress;
      this.port = cache.attrEndpointPort;
      this.cluster = true;
      this.alarms = serverlessAlarms(cache.ref);
    } else {
      const group = this.replicationGroup(config, subnetIds);
      this.host = group.attrPrimaryEndPointAddress;
      this.port = group.attrPrimaryEndPointPort;
      this.cluster = false;
      this.alarms = nodeAlarms(group.ref, 1 + config.replicas);
    }
  }

  private replicationGroup(config: QueueStoreConfig, subnetIds: string[]): elasticache.CfnReplicationGroup {
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Anteroom queue store private subnets',
      subnetIds,
    });
    return new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'Anteroom queue store',
      engine: config.engine,
      engineVersion: config.engineVersion,
      cacheNodeType: config.nodeType,
      port: config.port,
      // A primary and its replicas (two by default) spread over the subnets' AZs; a failover
      // promotes a replica. Two, so that after a failover one is still there to confirm the
      // writes (`durability: "replica"`): with one, every write would answer 503 until
      // ElastiCache replaced the lost node.
      numCacheClusters: 1 + config.replicas,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      // A dynamic reference: CloudFormation resolves it at deploy time, the template holds only the ARN.
      authToken: this.authSecret.secretValue.unsafeUnwrap(),
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      snapshotRetentionLimit: config.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
  }

  private serverlessCache(config: QueueStoreConfig, subnetIds: string[]): elasticache.CfnServerlessCache {
    // ElastiCache user and cache ids are account-wide names: derive them from the construct path.
    const prefix = Names.uniqueResourceName(this, { maxLength: 30, separator: '-' }).toLowerCase();
    // A user group must contain a user named `default`; this one is switched off.
    const defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: config.engine,
      userId: `${prefix}-default`,
      userName: 'default',
      accessString: 'off -@all',
      noPasswordRequired: true,
    });
    const appUser = new elasticache.CfnUser(this, 'AppUser', {
      engine: config.engine,
      userId: `${prefix}-app`,
      userName: SERVERLESS_USER_NAME,
      accessString: 'on ~* &* +@all',
      authenticationMode: {
        Type: 'password',
        Passwords: [this.authSecret.secretValueFromJson('password').unsafeUnwrap()],
      },
    });
    const userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: config.engine,
      userGroupId: `${prefix}-users`,
      // Ref of a user is its id: the references also order the creation.
      userIds: [defaultUser.ref, appUser.ref],
    });
    return new elasticache.CfnServerlessCache(this, 'ServerlessCache', {
      serverlessCacheName: `${prefix}-cache`,
      description: 'Anteroom queue store',
      engine: config.engine,
      majorEngineVersion: config.engineVersion.split('.')[0],
      subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupId: userGroup.ref,
      snapshotRetentionLimit: config.snapshotRetentionDays,
    });
  }
}

function nodeAlarms(replicationGroupId: string, nodes: number): StoreAlarmSpec[] {
  // ElastiCache names the members <group>-001, <group>-002, …; any may be primary after a failover.
  const members = Array.from({ length: nodes }, (_, i) => String(i + 1).padStart(3, '0'));
  return members.flatMap((member) => {
    const cacheClusterId = `${replicationGroupId}-${member}`;
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: cacheClusterId },
        statistic: 'Average',
      });
    return [
      {
        id: `StoreCpu${member}`,
        description: `Queue store node ${member}: engine CPU above 80 % (one thread serves each event's queue)`,
        metric: metric('EngineCPUUtilization'),
        threshold: 80,
      },
      {
        id: `StoreMemory${member}`,
        description: `Queue store node ${member}: memory use above 80 %`,
        metric: metric('DatabaseMemoryUsagePercentage'),
        threshold: 80,
      },
    ];
  });
}

function serverlessAlarms(cacheName: string): StoreAlarmSpec[] {
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { clusterId: cacheName },
      statistic,
    });
  return [
    {
      id: 'StoreThrottled',
      description: 'Queue store (serverless): commands throttled, the ECPU limit is reached',
      metric: metric('ThrottledCmds', 'Sum'),
      threshold: 0,
    },
    {
      id: 'StoreMemory',
      description: 'Queue store (serverless): more than 5 GB stored (far beyond a waiting room’s need)',
      metric: metric('BytesUsedForCache', 'Maximum'),
      threshold: 5e9,
    },
  ];
}
