/**
 * The one place errors become HTTP answers: `{"error": "<sentence>", "code": "<snake_case>"}`.
 * Actions only throw. No stack trace or internal detail ever reaches a response; unexpected
 * errors are logged with the request id and answered with a generic 500.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { AnteroomError, StoreUnavailableError } from '../../queue-core/errors.ts';
import type { ApiState } from './context.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** A Redis client error that escaped the store's own wrapping is still an outage, not a bug. */
function looksLikeStoreOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    /Redis|MaxRetriesPerRequest|Connection is closed|Stream isn't writeable/i.test(
      `${error.name} ${error.message}`,
    ) ||
    (typeof code === 'string' && NETWORK_CODES.has(code))
  );
}

/** Koa / http-errors style errors (e.g. from `ctx.throw`) carry a status. */
function httpStatusOf(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : null;
}

const GENERIC: Record<number, [string, string]> = {
  400: ['Bad request', 'bad_request'],
  401: ['Unauthorized', 'unauthorized'],
  403: ['Forbidden', 'forbidden'],
  404: ['Not found', 'not_found'],
  405: ['Method not allowed', 'method_not_allowed'],
  413: ['Request body too large', 'payload_too_large'],
  415: ['Unsupported media type', 'unsupported_media_type'],
  501: ['Not implemented', 'not_implemented'],
};

/** A store outage fails every request alike: one line per window, not one per request. */
export const OUTAGE_LOG_WINDOW_MS = 10_000;

/**
 * A gate for a burst of alike log lines: open at most once per `windowMs`. It returns how many
 * lines it held back since it was last open, or null while it is shut.
 */
export function burstGate(windowMs: number, nowMs: () => number = Date.now): () => number | null {
  let openedAt = Number.NEGATIVE_INFINITY;
  let held = 0;
  return () => {
    const now = nowMs();
    if (now - openedAt < windowMs) {
      held += 1;
      return null;
    }
    openedAt = now;
    const count = held;
    held = 0;
    return count;
  };
}

const outageGates = new WeakMap<Logger, () => number | null>();

function logOutage(
  logger: Logger | undefined,
  traceId: string | undefined,
  error: StoreUnavailableError,
): void {
  if (logger === undefined) return;
  let gate = outageGates.get(logger);
  if (gate === undefined) {
    gate = burstGate(OUTAGE_LOG_WINDOW_MS);
    outageGates.set(logger, gate);
  }
  const held = gate();
  if (held === null) return;
  logger.warn(
    { req_id: traceId, code: error.code, err: error.cause ?? error, outage_lines_held_back: held },
    `store unavailable: answering 503 (logged at most once per ${OUTAGE_LOG_WINDOW_MS / 1000} s)`,
  );
}

export interface ErrorAnswer {
  status: number;
  body: { error: string; code: string };
  retryAfter: number | undefined;
}

/**
 * The answer for a thrown error, and its log line (5xx only). Used by `renderErrors` and by
 * the hot paths, so every surface renders errors the same way.
 */
export function errorAnswer(
  caught: unknown,
  logger: Logger | undefined,
  traceId: string | undefined,
): ErrorAnswer {
  let error = caught;
  if (!(error instanceof AnteroomError) && looksLikeStoreOutage(error))
    error = new StoreUnavailableError(error);
  if (error instanceof AnteroomError) {
    if (error instanceof StoreUnavailableError) logOutage(logger, traceId, error);
    else if (error.status >= 500)
      logger?.warn({ req_id: traceId, code: error.code, err: error.cause ?? error });
    return {
      status: error.status,
      body: {
        error: error.expose ? error.message : 'Internal error',
        code: error.expose ? error.code : 'internal_error',
      },
      retryAfter: error.retryAfter,
    };
  }
  const status = httpStatusOf(error);
  const generic = status !== null && status < 500 ? GENERIC[status] : undefined;
  if (status !== null && generic)
    return { status, body: { error: generic[0], code: generic[1] }, retryAfter: undefined };
  logger?.error({ req_id: traceId, err: error }, 'unexpected error');
  return { status: 500, body: { error: 'Internal error', code: 'internal_error' }, retryAfter: undefined };
}

export function renderErrors(): Middleware<ApiState> {
  return async function renderError(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        ctx.status = 404;
        ctx.body = { error: 'Not found', code: 'not_found' };
      } else if (ctx.status === 405 && (ctx.body == null || typeof ctx.body === 'string')) {
        ctx.status = 405;
        ctx.body = { error: 'Method not allowed', code: 'method_not_allowed' };
      }
    } catch (caught) {
      const answer = errorAnswer(caught, ctx.state.deps?.logger, ctx.state.traceId);
      ctx.status = answer.status;
      ctx.body = answer.body;
      if (answer.retryAfter !== undefined) ctx.set('Retry-After', String(answer.retryAfter));
      ctx.set('Cache-Control', 'no-store');
    }
  };
}
