/**
 * The private surface: the admin app (`adminHandler`) behind its own HTTP API where every route
 * requires IAM authorization (SigV4), as the AWS solution's private API did. Callers get
 * `execute-api:Invoke` through the managed policy this construct creates.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { PROVIDER_RUNTIME_FILES } from '../entries.ts';
import { AppFunction } from './app-function.ts';
import { ApiStage } from './http-api-stage.ts';

export interface PrivateApiProps {
  entry: string;
  environment: Record<string, string>;
  network: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroup: ec2.ISecurityGroup };
  logRetentionDays: number;
}

export class PrivateApi extends Construct {
  readonly fn: NodejsFunction;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** Attach to the roles or users that operate the waiting room. */
  readonly invokePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PrivateApiProps) {
    super(scope, id);
    this.fn = new AppFunction(this, 'Handler', {
      entry: props.entry,
      handler: 'adminHandler',
      description: 'Anteroom admin app (private API, IAM authorization)',
      environment: props.environment,
      // reset_initial_state answers only when the reset is done.
      timeout: Duration.seconds(29),
      logRetentionDays: props.logRetentionDays,
      network: props.network,
      runtimeFiles: PROVIDER_RUNTIME_FILES,
    }).fn;
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Anteroom private admin API (IAM authorization)',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('App', this.fn),
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    this.stage = new ApiStage(this, 'Default', {
      api: this.api,
      // Operators and inlet scripts, not visitors.
      rateLimit: 50,
      burstLimit: 100,
      logRetentionDays: props.logRetentionDays,
    }).stage;
    this.invokePolicy = new iam.ManagedPolicy(this, 'InvokePolicy', {
      description: 'Call the Anteroom private admin API',
      statements: [
        new iam.PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: [this.api.arnForExecuteApi()],
        }),
      ],
    });
  }
}
