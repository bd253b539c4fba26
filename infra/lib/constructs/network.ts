/**
 * The VPC the queue store and the Lambdas that use it live in. By default there is no NAT
 * gateway (the largest idle cost of the AWS solution): the Lambdas reach Secrets Manager and
 * EventBridge through interface endpoints and DynamoDB through a free gateway endpoint.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../config.ts';

export interface NetworkProps extends NetworkConfig {
  logRetentionDays: number;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where the Lambdas and the queue store go. */
  readonly privateSubnets: ec2.SubnetSelection;
  /** Carried by every Lambda that talks to the queue store; the store admits only this group. */
  readonly functionSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const withNat = props.natGateways > 0;
    const privateType = withNat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs,
      natGateways: props.natGateways,
      subnetConfiguration: [
        ...(withNat ? [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }] : []),
        { name: 'private', subnetType: privateType, cidrMask: 22 },
      ],
    });
    this.privateSubnets = { subnetType: privateType };

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Rejected traffic only: what matters for security, at a fraction of the ingestion cost.
    this.vpc.addFlowLog('RejectedTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Anteroom Lambdas that reach the queue store',
      allowAllOutbound: false,
    });
    // AWS APIs (through the endpoints, or the NAT gateway) are all HTTPS.
    this.functionSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');

    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    if (!withNat) {
      for (const [endpointId, service] of [
        ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
        ['EventBridge', ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE],
      ] as const) {
        const endpoint = this.vpc.addInterfaceEndpoint(endpointId, {
          service,
          subnets: this.privateSubnets,
          open: false,
        });
        endpoint.connections.allowDefaultPortFrom(this.functionSecurityGroup, 'Anteroom Lambdas');
      }
    }
  }
}
