/**
 * The public surface: one Lambda (`publicHandler`: queue API, waiting page, OIDC provider) behind
 * an API Gateway HTTP API. HTTP API over REST API: about a third of the price per request, lower
 * latency, access logs without the account-level CloudWatch role, and the Lambda proxy payload
 * serverless-http understands. It is reached through CloudFront only: CloudFront adds the origin
 * secret header, which the app checks.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PROVIDER_RUNTIME_FILES } from '../entries.ts';
import { AppFunction, type FunctionNetwork } from './app-function.ts';
import { ApiStage } from './http-api-stage.ts';

export interface PublicApiProps {
  entry: string;
  environment: Record<string, string>;
  network: FunctionNetwork;
  throttleRateLimit: number;
  throttleBurstLimit: number;
  logRetentionDays: number;
  /** Ship source maps (see `AppFunctionProps.sourceMaps`). */
  sourceMaps?: boolean;
}

export class PublicApi extends Construct {
  readonly fn: lambda.Function;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** Host name of the execute-api endpoint, CloudFront's origin. */
  readonly originDomainName: string;

  constructor(scope: Construct, id: string, props: PublicApiProps) {
    super(scope, id);
    this.fn = new AppFunction(this, 'Handler', {
      entry: props.entry,
      handler: 'publicHandler',
      description: 'Anteroom public app: queue API, waiting page, OIDC provider',
      environment: props.environment,
      // API Gateway gives up after 30 s; a queue call takes milliseconds.
      timeout: Duration.seconds(15),
      logRetentionDays: props.logRetentionDays,
      sourceMaps: props.sourceMaps,
      network: props.network,
      runtimeFiles: PROVIDER_RUNTIME_FILES,
    }).fn;
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Anteroom public API (behind CloudFront)',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('App', this.fn),
    });
    this.stage = new ApiStage(this, 'Default', {
      api: this.api,
      rateLimit: props.throttleRateLimit,
      burstLimit: props.throttleBurstLimit,
      logRetentionDays: props.logRetentionDays,
    }).stage;
    const stack = Stack.of(this);
    this.originDomainName = `${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }
}
