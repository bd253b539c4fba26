/**
 * Admission checks for origins that run their own HTTP server: Koa middleware, Express/connect
 * middleware, and a framework-free `decide(headers)`.
 *
 * A refusal answers 401 `{"error", "code"}` with `WWW-Authenticate: Bearer error="invalid_token"`
 * (plain `Bearer` when no token was sent, as RFC 6750 §3.1 asks), except when our own
 * dependency failed (JWKS endpoint, session store): 503 with `Retry-After`, since the visitor's
 * token may well be good.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import type { VerifierOptions } from './options.ts';
import { DENY_REASONS, type DenyReason, isTransient } from './reasons.ts';
import { type Admission, createVerifier, type Decision, type HeaderMap, type Verifier } from './verify.ts';

export type { HeaderMap } from './verify.ts';
export type VerifierOrOptions = Verifier | VerifierOptions;
export type Decide = (headers: HeaderMap) => Promise<Decision>;

export interface DenialResponse {
  status: 401 | 503;
  headers: Record<string, string>;
  body: { error: string; code: DenyReason };
}

function toVerifier(source: VerifierOrOptions): Verifier {
  return typeof (source as Verifier).verify === 'function'
    ? (source as Verifier)
    : createVerifier(source as VerifierOptions);
}

/** `decide(headers)`: the decision for a request's headers (any header-name case), never throws. */
export function createDecide(source: VerifierOrOptions): Decide {
  const verifier = toVerifier(source);
  return (headers) => verifier.decide(headers);
}

/** Status, headers and body of the answer to a refused request. */
export function denialResponse(reason: DenyReason): DenialResponse {
  const body = { error: DENY_REASONS[reason], code: reason };
  if (isTransient(reason)) {
    return { status: 503, headers: { 'Retry-After': '2', 'Cache-Control': 'no-store' }, body };
  }
  const challenge = reason === 'missing_token' ? 'Bearer' : 'Bearer error="invalid_token"';
  return { status: 401, headers: { 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store' }, body };
}

/** Koa: admitted requests continue with `ctx.state.admission`; others are answered here. */
export function koaAuthorizer(source: VerifierOrOptions): Middleware<{ admission?: Admission }> {
  const decide = createDecide(source);
  return async function anteroomAdmission(ctx, next) {
    const decision = await decide(ctx.headers);
    if (decision.allow) {
      ctx.state.admission = decision;
      return next();
    }
    const denial = denialResponse(decision.reason);
    ctx.status = denial.status;
    ctx.set(denial.headers);
    ctx.body = denial.body;
  };
}

export type AdmittedRequest = IncomingMessage & { admission?: Admission };
export type NextFunction = (error?: unknown) => void;

/**
 * Express / connect: admitted requests continue with `req.admission` (and `res.locals.admission`
 * where the framework has `res.locals`); others are answered here.
 */
export function expressAuthorizer(
  source: VerifierOrOptions,
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  const decide = createDecide(source);
  return function anteroomAdmission(req, res, next) {
    decide(req.headers as HeaderMap).then((decision) => {
      if (decision.allow) {
        (req as AdmittedRequest).admission = decision;
        const locals = (res as ServerResponse & { locals?: Record<string, unknown> }).locals;
        if (locals !== undefined) locals['admission'] = decision;
        next();
        return;
      }
      const denial = denialResponse(decision.reason);
      res.statusCode = denial.status;
      for (const [name, value] of Object.entries(denial.headers)) res.setHeader(name, value);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(denial.body));
    }, next);
  };
}
