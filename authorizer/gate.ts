/**
 * Anteroom's site gate (API.md §8): a small OpenID Connect relying party for Anteroom's
 * provider that signs visitors in through the waiting room and hands the origin who they are.
 *
 * - `koaGate(config)`, `expressGate(config)`: middleware for a Node site with no proxy in front
 *   (Express/connect style is plain `(req, res, next)`: no dependency on Express);
 * - `createGate(config)`: the framework-free core, for other hosts;
 * - `createEdgeHandler` (in `./edge.ts`): the same gate as a CloudFront viewer-request function.
 *
 * A forwarded request carries `x-anteroom-sub`, `x-anteroom-event-id`, `x-anteroom-request-id`
 * and `x-anteroom-queue-position` when the visitor is signed in (and never a copy the client
 * sent); Koa also gets `ctx.state.anteroom`, Express `req.anteroom` and `res.locals.anteroom`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import { createGate, type GateRequest, type GateResult } from './gate/core.ts';
import type { GateConfig } from './gate/options.ts';
import { IDENTITY_HEADER_PREFIX, type SessionClaims } from './gate/session.ts';

export { createGate, type Gate, type GateRequest, type GateResult } from './gate/core.ts';
export { SIGN_IN_FAILURES, type SignInFailure } from './gate/failures.ts';
export { GATE_DEFAULTS, type GateConfig, type GateLogEntry } from './gate/options.ts';
export { IDENTITY_HEADERS, SESSION_COOKIE, type SessionClaims } from './gate/session.ts';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function gateRequest(req: IncomingMessage): GateRequest {
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: mark === -1 ? url : url.slice(0, mark),
    query: mark === -1 ? '' : url.slice(mark + 1),
    host: req.headers.host,
    cookie: req.headers.cookie,
    fetchMode: single(req.headers['sec-fetch-mode']),
  };
}

/** The visitor's identity replaces whatever `x-anteroom-*` headers the client sent. */
function setIdentity(req: IncomingMessage, identity: Record<string, string>): void {
  const headers: IncomingHttpHeaders = req.headers;
  let forged = false;
  for (const name of Object.keys(headers)) {
    if (name.startsWith(IDENTITY_HEADER_PREFIX)) {
      delete headers[name];
      forged = true;
    }
  }
  const names = Object.keys(identity);
  if (!forged && names.length === 0) return;
  Object.assign(headers, identity);
  // rawHeaders too, for code (proxies) that forwards them as received.
  const raw: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (!name.toLowerCase().startsWith(IDENTITY_HEADER_PREFIX))
      raw.push(name, req.rawHeaders[i + 1] as string);
  }
  for (const name of names) raw.push(name, identity[name] as string);
  req.rawHeaders = raw;
}

function writeAnswer(res: ServerResponse, result: Extract<GateResult, { action: 'respond' }>): void {
  res.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  if (result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  res.end(result.body);
}

/** Koa: signed-in requests continue with `ctx.state.anteroom` (null on public paths). */
export function koaGate(config: GateConfig): Middleware<{ anteroom?: SessionClaims | null }> {
  const gate = createGate(config);
  return async function anteroomGate(ctx, next) {
    const result = await gate.handle(gateRequest(ctx.req));
    if (result.action === 'respond') {
      ctx.status = result.status;
      ctx.set(result.headers);
      for (const cookie of result.cookies) ctx.append('Set-Cookie', cookie);
      ctx.body = result.body;
      return;
    }
    setIdentity(ctx.req, result.headers);
    ctx.state.anteroom = result.claims;
    return next();
  };
}

export type GatedRequest = IncomingMessage & { anteroom?: SessionClaims | null };
export type NextFunction = (error?: unknown) => void;

/** Express / connect: signed-in requests continue with `req.anteroom` (and `res.locals.anteroom`). */
export function expressGate(
  config: GateConfig,
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  const gate = createGate(config);
  return function anteroomGate(req, res, next) {
    gate.handle(gateRequest(req)).then((result) => {
      if (result.action === 'respond') {
        writeAnswer(res, result);
        return;
      }
      setIdentity(req, result.headers);
      (req as GatedRequest).anteroom = result.claims;
      const locals = (res as ServerResponse & { locals?: Record<string, unknown> }).locals;
      if (locals !== undefined) locals['anteroom'] = result.claims;
      next();
    }, next);
  };
}
