/**
 * The one place errors become HTTP answers: `{"error": "<sentence>", "code": "<snake_case>"}`,
 * with the status of the code's row in the error table (`queue-core/errors.ts`). Actions only
 * throw; every surface renders through `errorAnswer` (the Koa apps through `renderErrors`, the
 * fast path, the OIDC interaction's status poll). No stack trace or internal detail ever reaches
 * a response; unexpected errors are logged with the request id and answered with a generic 500.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { AnteroomError, ERRORS, type ErrorCode, StoreUnavailableError } from '../../queue-core/errors.ts';
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

/** The code of a status that Koa or a library set or threw (`ctx.throw(404)`, a 405 from the router). */
const GENERIC: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  501: 'not_implemented',
};

export interface CodeBody {
  error: string;
  code: ErrorCode;
}

/** The body of a code: its sentence from the table, or `message` when it says more. */
export function codeBody(code: ErrorCode, message: string = ERRORS[code].message): CodeBody {
  return { error: message, code };
}

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

/** What the renderer logs with (a pino logger, or a part of one). */
type ErrorLogger = Pick<Logger, 'warn' | 'error'>;

const outageGates = new WeakMap<ErrorLogger, () => number | null>();

function logOutage(
  logger: ErrorLogger | undefined,
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
  body: CodeBody;
  retryAfter: number | undefined;
}

/**
 * The answer for a thrown error, and its log line (5xx only). Used by `renderErrors` and by
 * the hot paths, so every surface renders errors the same way.
 */
export function errorAnswer(
  caught: unknown,
  logger: ErrorLogger | undefined,
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
      body: error.expose ? codeBody(error.code, error.message) : codeBody('internal_error'),
      retryAfter: error.retryAfter,
    };
  }
  const status = httpStatusOf(error);
  const generic = status !== null && status < 500 ? GENERIC[status] : undefined;
  if (status !== null && generic) return { status, body: codeBody(generic), retryAfter: undefined };
  logger?.error({ req_id: traceId, err: error }, 'unexpected error');
  return { status: 500, body: codeBody('internal_error'), retryAfter: undefined };
}

export function renderErrors(): Middleware<ApiState> {
  return async function renderError(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        ctx.status = 404;
        ctx.body = codeBody('not_found');
      } else if (
        (ctx.status === 405 || ctx.status === 501) &&
        (ctx.body == null || typeof ctx.body === 'string')
      ) {
        // The router answers a method it does not know at all (TRACE, PROPFIND…) 501: a client's
        // doing, not a server fault, so a 405 with the `Allow` the router set, as for any other.
        ctx.status = 405;
        ctx.body = codeBody('method_not_allowed');
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
