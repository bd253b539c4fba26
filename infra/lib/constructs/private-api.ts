/**
 * The private surface: the admin app (`adminHandler`) behind its own HTTP API where every route
 * requires IAM authorization (SigV4), as the AWS solution's private API did. Callers get
 * `execute-api:Invoke` through the managed policy this construct creates.
 *
 * With `corsOrigins` (where the AWS solution's control panel, a browser app signing with
 * aws4fetch, is hosted), the API gets API Gateway's CORS configuration, so API Gateway answers
 * those origins' preflights itself, and an unauthorized `OPTIONS /{proxy+}` route: the IAM-only
 * `$default` route would otherwise catch the browser's unsigned preflight and refuse it. Any
 * other method still needs a signature; an `OPTIONS` request that is not a preflight reaches the
 * admin app, which answers it with CORS headers and nothing else.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EXPOSE_HEADERS, SIGV4_REQUEST_HEADERS } from '../../../provider/http/cors.ts';
import { PROVIDER_RUNTIME_FILES } from '../entries.ts';
import { AppFunction } from './app-function.ts';
import { ApiStage } from './http-api-stage.ts';

export interface PrivateApiProps {
  entry: string;
  environment: Record<string, string>;
  network: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroup: ec2.ISecurityGroup };
  logRetentionDays: number;
  /** Browser origins whose preflights API Gateway answers (none: no CORS). */
  corsOrigins: readonly string[];
  /** Ship source maps (see `AppFunctionProps.sourceMaps`). */
  sourceMaps?: boolean;
}

export class PrivateApi extends Construct {
  readonly fn: lambda.Function;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** Attach to the roles or users that operate the waiting room. */
  readonly invokePolicy: iam.ManagedPolicy;
  /** The unauthorized `OPTIONS /{proxy+}` route for browser preflights, with `corsOrigins`. */
  readonly preflightRoute: apigwv2.HttpRoute | null;

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
      sourceMaps: props.sourceMaps,
      network: props.network,
      runtimeFiles: PROVIDER_RUNTIME_FILES,
    }).fn;
    const integration = new HttpLambdaIntegration('App', this.fn);
    const cors = props.corsOrigins.length > 0;
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Anteroom private admin API (IAM authorization)',
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: new HttpIamAuthorizer(),
      corsPreflight: cors
        ? {
            allowOrigins: [...props.corsOrigins],
            allowHeaders: [...SIGV4_REQUEST_HEADERS, 'Idempotency-Key'],
            allowMethods: [
              apigwv2.CorsHttpMethod.GET,
              apigwv2.CorsHttpMethod.POST,
              apigwv2.CorsHttpMethod.PUT,
              apigwv2.CorsHttpMethod.OPTIONS,
            ],
            exposeHeaders: EXPOSE_HEADERS.split(','),
            maxAge: Duration.minutes(10),
          }
        : undefined,
    });
    this.preflightRoute = cors
      ? (this.api.addRoutes({
          path: '/{proxy+}',
          methods: [apigwv2.HttpMethod.OPTIONS],
          integration,
          authorizer: new apigwv2.HttpNoneAuthorizer(),
        })[0] as apigwv2.HttpRoute)
      : null;
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
