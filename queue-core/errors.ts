/**
 * One error class for the whole project. Actions throw; the HTTP layer renders
 * `{"error": message, "code": code}` with `status`. `expose: false` errors are
 * rendered with a generic message so no internal detail ever leaks.
 */
export class AnteroomError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  /** Seconds a client should wait before retrying (503 / 429). */
  readonly retryAfter: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; expose?: boolean; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnteroomError';
    this.code = code;
    this.status = options.status ?? 400;
    this.expose = options.expose ?? this.status < 500;
    this.retryAfter = options.retryAfter;
  }
}

/** A client's budget (enqueue, unless `what` says which) is spent: 429 with the seconds until one more is allowed. */
export function rateLimitedError(
  retryAfter: number,
  what = 'Too many enqueue requests from this client',
): AnteroomError {
  return new AnteroomError('rate_limited', `${what}; retry later`, { status: 429, retryAfter });
}

/** An event id no configured event has. */
export function invalidEventError(): AnteroomError {
  return new AnteroomError('invalid_event_id', 'Invalid event ID', { status: 400 });
}

/** A request id the room does not know (never issued, or gone with a reset). */
export function requestNotFoundError(): AnteroomError {
  return new AnteroomError('request_not_found', 'Request ID not found', { status: 404 });
}

/** A new place asked of an event that takes nobody new. */
export function eventClosedError(): AnteroomError {
  return new AnteroomError('event_closed', 'The waiting room is closed to new visitors', { status: 403 });
}

/** The position was reached and not claimed in time. */
export function positionExpiredError(): AnteroomError {
  return new AnteroomError('position_expired', 'Queue position has expired', { status: 410 });
}

/** The admission of this request id was ended (admin `update_session`). */
export function sessionEndedError(): AnteroomError {
  return new AnteroomError('session_ended', 'The session of this request ID has ended', { status: 410 });
}

/** Bad input: the message names the field. Nothing was written. */
export class ValidationError extends AnteroomError {
  readonly field: string;
  constructor(field: string, message: string, code = 'invalid_parameter') {
    super(code, message, { status: 400 });
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** The queue store (Redis) could not be reached or failed: the HTTP layer answers 503. */
export class StoreUnavailableError extends AnteroomError {
  constructor(cause?: unknown) {
    super('store_unavailable', 'The waiting room is temporarily unavailable. Please retry shortly.', {
      status: 503,
      expose: true,
      retryAfter: 2,
      cause,
    });
    this.name = 'StoreUnavailableError';
  }
}
