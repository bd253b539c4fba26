/**
 * Anteroom's authorizer: verify admission tokens in downstream APIs.
 *
 * - `createVerifier(options).verify(token)`: the decision for one token;
 * - `koaAuthorizer`, `expressAuthorizer`, `createDecide`: for origins with their own HTTP server;
 * - `handler` (in `./lambda.ts`): the API Gateway Lambda authorizer.
 */
export type { AdmissionClaims, AdmissionContext } from './claims.ts';
export { parseAuthorizationHeader } from './header.ts';
export { JwksUnavailableError } from './jwks.ts';
export {
  type AuthorizerEvent,
  type AuthorizerResult,
  createLambdaHandler,
  handler,
  readAuthorizerEnv,
} from './lambda.ts';
export {
  createDecide,
  type Decide,
  type DenialResponse,
  denialResponse,
  expressAuthorizer,
  type HeaderMap,
  koaAuthorizer,
  type VerifierOrOptions,
} from './middleware.ts';
export type { VerifierOptions } from './options.ts';
export { DENY_REASONS, type DenyReason, isTransient } from './reasons.ts';
export type { RevocationOptions } from './revocation.ts';
export { type Admission, createVerifier, type Decision, type Denial, type Verifier } from './verify.ts';
