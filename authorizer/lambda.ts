/**
 * API Gateway Lambda authorizer (API.md §4): `handler` for REST APIs (TOKEN and REQUEST
 * authorizers), HTTP APIs with payload format 1.0 (same answer as REST) and HTTP APIs with
 * payload format 2.0 and simple responses.
 *
 * Answers:
 * - valid token → Allow policy on the whole API (or `isAuthorized: true`) with context
 *   `{event_id, queue_position, request_id}`;
 * - a token that fails verification → Deny policy (API Gateway answers 403) / `isAuthorized: false`;
 * - no token, or not a JWT, on REST → `throw new Error('Unauthorized')` (API Gateway answers 401);
 * - our own dependency failing (JWKS endpoint, session store) → an error (API Gateway answers 500
 *   and, unlike a Deny, does not cache it for the authorizer TTL).
 *
 * Configuration (environment): `ANTEROOM_JWKS_URL`, `ANTEROOM_ISSUER`, `ANTEROOM_AUDIENCE`
 * (comma-separated event ids), optional `ANTEROOM_CLOCK_TOLERANCE` (seconds) and
 * `ANTEROOM_INITIAL_JWKS` (the key set as JSON: `initialJwks`, a first decision without the
 * network; read its trade-off in docs/operations.md before setting it). The verifier is
 * created once per container, on the first invocation, so its key and decision caches survive
 * across invocations.
 */
import { RETRY_AFTER_SECONDS } from '../queue-core/defaults.ts';
import { AnteroomError, ValidationError } from '../queue-core/errors.ts';
import { authorizationFrom, type HeaderValue, readToken } from './header.ts';
import type { VerifierOptions } from './options.ts';
import {
  apiWildcardResource,
  gatewayContext,
  type IamPolicyResult,
  iamPolicy,
  type SimpleResult,
} from './policy.ts';
import { DENY_REASONS, type DenyReason, isTransient, type TransientReason } from './reasons.ts';
import { createVerifier, type Decision, type Verifier } from './verify.ts';

/** REST API TOKEN authorizer input. */
export interface TokenAuthorizerEvent {
  type: 'TOKEN';
  authorizationToken?: string;
  methodArn: string;
}

/** REST API REQUEST authorizer input (also HTTP API payload format 1.0, with `version: '1.0'`). */
export interface RequestAuthorizerEvent {
  type: 'REQUEST';
  version?: string;
  methodArn: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  [key: string]: unknown;
}

/** HTTP API REQUEST authorizer input, payload format 2.0 (header names are lower-case). */
export interface RequestAuthorizerEventV2 {
  version: '2.0';
  type: 'REQUEST';
  routeArn: string;
  identitySource?: string[] | null;
  headers?: Record<string, string | undefined> | null;
  [key: string]: unknown;
}

export type AuthorizerEvent = TokenAuthorizerEvent | RequestAuthorizerEvent | RequestAuthorizerEventV2;
export type AuthorizerResult = IamPolicyResult | SimpleResult;

export interface LambdaHandlerOptions {
  /** Where one line per refusal goes (reason only, never the token). Default: JSON on stderr. */
  log?: (entry: { level: 'warn' | 'error'; msg: string; reason: DenyReason }) => void;
}

const UNAUTHORIZED = 'Unauthorized';

function defaultLog(entry: { level: string; msg: string; reason: string }): void {
  console.error(JSON.stringify({ ...entry, component: 'anteroom-authorizer' }));
}

function listFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Verifier options from the environment. `ANTEROOM_JWKS_URL` may be left out when there is a
 * single issuer: the waiting room serves its JWKS at `<issuer>/.well-known/jwks.json`.
 */
export function readAuthorizerEnv(env: Record<string, string | undefined> = process.env): VerifierOptions {
  const issuer = listFromEnv(env['ANTEROOM_ISSUER']);
  const audience = listFromEnv(env['ANTEROOM_AUDIENCE']);
  if (issuer.length === 0) throw new ValidationError('ANTEROOM_ISSUER', 'ANTEROOM_ISSUER is required.');
  if (audience.length === 0) throw new ValidationError('ANTEROOM_AUDIENCE', 'ANTEROOM_AUDIENCE is required.');
  let jwksUrl = env['ANTEROOM_JWKS_URL']?.trim();
  if (!jwksUrl) {
    if (issuer.length !== 1) {
      throw new ValidationError('ANTEROOM_JWKS_URL', 'ANTEROOM_JWKS_URL is required with several issuers.');
    }
    jwksUrl = `${(issuer[0] as string).replace(/\/+$/, '')}/.well-known/jwks.json`;
  }
  const options: VerifierOptions = { jwksUrl, issuer, audience };
  const initialJwks = env['ANTEROOM_INITIAL_JWKS']?.trim();
  if (initialJwks) {
    try {
      options.initialJwks = JSON.parse(initialJwks);
    } catch {
      throw new ValidationError('ANTEROOM_INITIAL_JWKS', 'ANTEROOM_INITIAL_JWKS must be a JSON Web Key Set.');
    }
  }
  const tolerance = env['ANTEROOM_CLOCK_TOLERANCE']?.trim();
  if (tolerance) {
    const seconds = Number(tolerance);
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new ValidationError('ANTEROOM_CLOCK_TOLERANCE', 'ANTEROOM_CLOCK_TOLERANCE must be seconds ≥ 0.');
    }
    options.clockToleranceSeconds = seconds;
  }
  return options;
}

function headerFromRequestEvent(event: RequestAuthorizerEvent): HeaderValue {
  const single = authorizationFrom(event.headers);
  if (single !== undefined) return single;
  return authorizationFrom(event.multiValueHeaders);
}

function headerFromV2Event(event: RequestAuthorizerEventV2): HeaderValue {
  const header = authorizationFrom(event.headers);
  if (header !== undefined) return header;
  // The identity source is normally `$request.header.Authorization`; its value is passed here too.
  return event.identitySource?.[0];
}

class AuthorizerUnavailableError extends AnteroomError {
  constructor(reason: TransientReason) {
    super(reason, DENY_REASONS[reason], { retryAfter: RETRY_AFTER_SECONDS.storeUnavailable });
    this.name = 'AuthorizerUnavailableError';
  }
}

export function createLambdaHandler(
  verifierSource: Verifier | (() => Verifier),
  handlerOptions: LambdaHandlerOptions = {},
): (event: AuthorizerEvent) => Promise<AuthorizerResult> {
  const log = handlerOptions.log ?? defaultLog;
  let verifier: Verifier | undefined = typeof verifierSource === 'function' ? undefined : verifierSource;
  const getVerifier = (): Verifier => {
    verifier ??= (verifierSource as () => Verifier)();
    return verifier;
  };

  async function decideFor(headerValue: HeaderValue): Promise<Decision> {
    const read = readToken(headerValue);
    if ('reason' in read) return { allow: false, reason: read.reason };
    const decision = await getVerifier().verify(read.token);
    if (!decision.allow) {
      log({
        level: isTransient(decision.reason) ? 'error' : 'warn',
        msg: 'admission refused',
        reason: decision.reason,
      });
      if (isTransient(decision.reason)) throw new AuthorizerUnavailableError(decision.reason);
    }
    return decision;
  }

  async function simpleResponse(event: RequestAuthorizerEventV2): Promise<SimpleResult> {
    const decision = await decideFor(headerFromV2Event(event));
    if (!decision.allow) return { isAuthorized: false };
    return { isAuthorized: true, context: gatewayContext(decision.context) };
  }

  async function policyResponse(
    event: TokenAuthorizerEvent | RequestAuthorizerEvent,
  ): Promise<IamPolicyResult> {
    const headerValue = event.type === 'TOKEN' ? event.authorizationToken : headerFromRequestEvent(event);
    const resource = apiWildcardResource(event.methodArn);
    if (resource === undefined) throw new Error(UNAUTHORIZED);
    const decision = await decideFor(headerValue);
    if (decision.allow) {
      return iamPolicy(decision.principalId, 'Allow', resource, gatewayContext(decision.context));
    }
    // No usable token at all: API Gateway's 401. A token that failed: an explicit Deny (403).
    if (decision.reason === 'missing_token' || decision.reason === 'malformed_token')
      throw new Error(UNAUTHORIZED);
    return iamPolicy('denied', 'Deny', resource, { reason: decision.reason });
  }

  return async function anteroomAuthorizer(event: AuthorizerEvent): Promise<AuthorizerResult> {
    if (typeof event !== 'object' || event === null) throw new Error(UNAUTHORIZED);
    if ((event as { version?: unknown }).version === '2.0')
      return simpleResponse(event as RequestAuthorizerEventV2);
    if (event.type === 'TOKEN' || event.type === 'REQUEST') {
      return policyResponse(event as TokenAuthorizerEvent | RequestAuthorizerEvent);
    }
    throw new Error(UNAUTHORIZED);
  };
}

/** The Lambda entry point (API.md §4), configured from the environment on first use. */
export const handler = createLambdaHandler(() => createVerifier(readAuthorizerEnv()));
