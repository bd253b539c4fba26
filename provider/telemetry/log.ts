/**
 * What a log line may carry. Logs travel further than the store (log shippers, dashboards,
 * support tickets), so no line holds what lets someone act as a visitor or an operator: no
 * cookie value, request id, token, idempotency key or key of any kind.
 *
 * Errors are the usual leak: client libraries hang the failed call on the error they throw
 * (ioredis: `command.args`, the script's keys and arguments: request ids, visitor keys, client
 * addresses). An error is therefore logged as its class, code, message and stack, and its
 * cause's, nothing else.
 */
import { createHash } from 'node:crypto';
import type { LoggerOptions } from 'pino';

const MAX_CAUSES = 5;

export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: LoggedError;
}

export function serializeError(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error).slice(0, 200) };
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: unknown }).cause;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(cause !== undefined && depth < MAX_CAUSES ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}

/** The options of every logger of the project (and of the tests' loggers). */
export function logOptions(level: string): LoggerOptions {
  return { level, base: { service: 'anteroom' }, serializers: { err: serializeError } };
}

/**
 * A reference to a request id for log lines: the first 12 hex digits of its SHA-256, enough to
 * find the line of a request id one holds, useless to act with.
 */
export function requestRef(requestId: string): string {
  return createHash('sha256').update(requestId).digest('hex').slice(0, 12);
}
