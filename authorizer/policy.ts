/**
 * The answers an API Gateway Lambda authorizer gives: an IAM policy (REST APIs, and HTTP APIs
 * with payload format 1.0) or a simple `{isAuthorized}` response (HTTP APIs, format 2.0).
 */
import type { AdmissionContext } from './claims.ts';

export interface PolicyStatement {
  Action: 'execute-api:Invoke';
  Effect: 'Allow' | 'Deny';
  Resource: string;
}

export interface IamPolicyResult {
  principalId: string;
  policyDocument: { Version: '2012-10-17'; Statement: PolicyStatement[] };
  /** API Gateway passes these to the integration as `$context.authorizer.<key>`: strings, numbers, booleans only. */
  context: Record<string, string | number | boolean>;
}

export interface SimpleResult {
  isAuthorized: boolean;
  context?: Record<string, string | number | boolean>;
}

/**
 * `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<verb>/<path>` becomes the same ARN cut
 * after the API id with three wildcard segments (any stage, any verb, any path).
 * API Gateway caches an authorizer's answer per token for all methods it is used on; a policy
 * naming only the first method would wrongly refuse the visitor's next call to another route
 * (the AWS solution used the same wildcard). Undefined when the ARN is not an execute-api ARN.
 */
export function apiWildcardResource(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'execute-api') return undefined;
  const apiId = parts.slice(5).join(':').split('/')[0];
  if (apiId === undefined || apiId === '') return undefined;
  return `${parts.slice(0, 5).join(':')}:${apiId}/*/*/*`;
}

export function iamPolicy(
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context: Record<string, string | number | boolean>,
): IamPolicyResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context,
  };
}

/** The admission context flattened to what API Gateway accepts as context values. */
export function gatewayContext(context: AdmissionContext): Record<string, string | number> {
  return {
    event_id: context.event_id,
    queue_position: context.queue_position,
    request_id: context.request_id,
  };
}
