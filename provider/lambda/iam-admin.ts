/**
 * The admin API on AWS sits behind an API Gateway API with IAM authorization: API Gateway
 * verifies the caller's SigV4 signature (the compatible control panel signs with aws4fetch)
 * and only then invokes the function, with the verified identity in `requestContext`. Such a
 * caller is an operator, so the admin handler presents the configured admin key for it (the
 * request's own `Authorization` header is the SigV4 signature, not a bearer key).
 *
 * API Gateway fills these fields only after it checked a signature; a client cannot set them.
 * Without IAM authorization in front, they are empty and a bearer key is required as usual.
 */
import type { ApiGatewayEvent } from './types.ts';
import { isHttpApiEvent } from './types.ts';

/** The verified IAM principal of the caller, or null. */
export function iamCaller(event: ApiGatewayEvent): string | null {
  if (isHttpApiEvent(event)) {
    const iam = event.requestContext?.authorizer?.iam;
    return typeof iam?.userArn === 'string' && iam.userArn ? iam.userArn : null;
  }
  const arn = event.requestContext?.identity?.userArn;
  return typeof arn === 'string' && arn ? arn : null;
}
