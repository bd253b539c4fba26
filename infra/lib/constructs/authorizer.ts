/**
 * The Lambda authorizer for the site's own APIs: verifies admission tokens against the public
 * JWKS. It runs outside the VPC (it only fetches the JWKS over HTTPS) and is exported, so APIs in
 * other stacks can use it with `Fn.importValue`.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AppFunction } from './app-function.ts';

export interface TokenAuthorizerProps {
  entry: string;
  /** `https://…` base URL the tokens are issued by (their `iss`), also where the JWKS is. */
  publicUrl: string;
  eventIds: string[];
  logRetentionDays: number;
  /** Ship source maps (see `AppFunctionProps.sourceMaps`). */
  sourceMaps?: boolean;
}

export class TokenAuthorizer extends Construct {
  readonly fn: lambda.Function;
  /** Export name of the function ARN. */
  readonly exportName: string;

  constructor(scope: Construct, id: string, props: TokenAuthorizerProps) {
    super(scope, id);
    this.fn = new AppFunction(this, 'Handler', {
      entry: props.entry,
      handler: 'handler',
      description: 'Anteroom admission-token authorizer for API Gateway',
      environment: {
        ANTEROOM_JWKS_URL: `${props.publicUrl}/.well-known/jwks.json`,
        ANTEROOM_ISSUER: props.publicUrl,
        ANTEROOM_AUDIENCE: props.eventIds.join(','),
      },
      timeout: Duration.seconds(10),
      memorySize: 256,
      logRetentionDays: props.logRetentionDays,
      sourceMaps: props.sourceMaps,
    }).fn;
    this.exportName = `${Stack.of(this).stackName}-AuthorizerFunctionArn`;
    new CfnOutput(this, 'FunctionArn', {
      description: 'Anteroom token authorizer Lambda ARN (for API Gateway authorizers in other stacks)',
      value: this.fn.functionArn,
      exportName: this.exportName,
    });
  }
}
