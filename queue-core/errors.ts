/**
 * Every `code` Anteroom answers with, once: the HTTP status the surfaces answer it with and the
 * sentence they show, in one frozen table whose keys are the `ErrorCode` type. Actions throw an
 * `AnteroomError` naming its code (a message of its own only where it says more, e.g. which
 * field); `provider/http/errors.ts` renders every one of them as `{"error", "code"}` with the
 * table's status. Nothing in queue-core reads a status: callers switch on codes and kinds.
 *
 * `expose: false` (by default every 5xx) is rendered with a generic message, so no internal
 * detail ever leaks. The 202 rows are the codes of "not yet" answers, which are results, not
 * errors (API.md): they are listed so every code the API can send is here.
 */
import { RETRY_AFTER_SECONDS } from './defaults.ts';

interface ErrorRow {
  readonly status: number;
  readonly message: string;
  /** Shown to the client as it is; default: status < 500. */
  readonly expose?: boolean;
}

export const ERRORS = Object.freeze({
  // Results of the JSON API (202): not errors, but codes of its bodies.
  not_yet: { status: 202, message: 'Request ID not being served yet' },
  prequeue: { status: 202, message: 'In the pre-queue: positions are drawn when the sale starts' },
  expiry_off: { status: 202, message: 'Queue position expiration not enabled' },
  claimed: { status: 202, message: 'A token was already issued: the position no longer expires' },

  // Bad input (400).
  bad_request: { status: 400, message: 'Bad request' },
  invalid_parameter: { status: 400, message: 'A parameter is not valid' },
  invalid_event_id: { status: 400, message: 'Invalid event ID' },
  invalid_request_id: { status: 400, message: 'request_id must be a UUID' },
  invalid_increment: { status: 400, message: 'increment_by must be an integer' },
  invalid_status: { status: 400, message: 'status must be 1 (completed) or -1 (abandoned)' },
  invalid_limit: { status: 400, message: 'limit is not a valid page size' },
  invalid_cursor: { status: 400, message: 'cursor is not one this server returned' },
  invalid_issuer: { status: 400, message: 'issuer must be an absolute http(s) URL' },
  invalid_validity_period: { status: 400, message: 'validity_period is out of range' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON' },
  invalid_body: { status: 400, message: 'The request body must be a JSON object' },
  invalid_idempotency_key: {
    status: 400,
    message: 'Idempotency-Key must be a UUID or 22 to 255 base64url characters',
  },
  invalid_event_settings: { status: 400, message: 'The event settings are not valid' },
  invalid_oidc_client: { status: 400, message: 'An OIDC client registration is not valid' },
  invalid_oidc_config: { status: 400, message: 'The OIDC configuration is not valid' },
  invalid_authorizer_config: { status: 400, message: 'The authorizer configuration is not valid' },
  config_too_large: { status: 400, message: 'The configuration is too large' },
  sample_site_nonce_mismatch: { status: 400, message: 'The ID token was issued for another sign-in.' },
  invalid_gate_config: { status: 400, message: 'The site gate configuration is not valid' },
  invalid_origin_health: {
    status: 400,
    message: 'latency_ms (milliseconds) and error_rate (a fraction) are required',
  },
  signal_unreachable: {
    status: 400,
    message: "The deployment's network cannot reach the adaptive inlet's signal",
  },
  entry_check_unreachable: {
    status: 400,
    message: "The deployment's network cannot reach the entry challenge's or enqueue token's provider",
  },

  // Why a sign-in through the site gate did not complete (`authorizer/gate/`): the refusal page
  // shows the sentence.
  flow_not_found: {
    status: 400,
    message: 'This sign-in was not started in this browser, or it is too old.',
  },
  provider_error: { status: 400, message: 'The waiting room did not complete the sign-in.' },
  code_rejected: {
    status: 400,
    message: 'The sign-in code was refused: it was already used, or it expired.',
  },
  id_token_invalid: { status: 401, message: 'The sign-in could not be verified.' },
  sign_in_required: { status: 401, message: 'Sign in through the waiting room first.' },
  client_rejected: {
    status: 502,
    message: 'This site is not set up correctly with the waiting room.',
    expose: true,
  },
  provider_unavailable: {
    status: 503,
    message: 'The waiting room could not be reached. Please retry shortly.',
    expose: true,
  },

  // Who is asking (401, 403).
  unauthorized: {
    status: 401,
    message: 'A valid admin key is required (Authorization: Bearer <key>)',
  },
  invalid_token: { status: 401, message: 'The token is not valid.' },
  forbidden: { status: 403, message: 'Forbidden' },
  insufficient_scope: { status: 403, message: 'This admin key may not make this call' },
  event_closed: { status: 403, message: 'The waiting room is closed to new visitors' },
  event_not_open: { status: 403, message: 'The waiting room is not open yet (see opens_at)' },
  queue_full: { status: 403, message: 'The queue is full: no more places are taken for now' },
  sold_out: { status: 403, message: 'Sold out: the waiting room takes no more visitors' },
  challenge_required: { status: 403, message: 'Solve the entry challenge to take a place' },
  challenge_failed: {
    status: 403,
    message: 'The entry challenge answer is wrong, already used or expired',
  },
  enqueue_token_required: {
    status: 403,
    message: 'An enqueue token from the site is required (Anteroom-Enqueue-Token)',
  },
  enqueue_token_invalid: { status: 403, message: 'The enqueue token is invalid or expired' },
  cross_origin_form: { status: 403, message: 'This form must be sent from this site.' },
  origin_forbidden: { status: 403, message: 'Requests must come through the configured CDN' },

  // What is asked for (404–415).
  not_found: { status: 404, message: 'Not found' },
  request_not_found: { status: 404, message: 'Request ID not found' },
  session_not_found: { status: 404, message: "Request ID doesn't exist or status already set." },
  no_draw: { status: 404, message: 'This event has no scheduled start, and so no draw' },
  method_not_allowed: { status: 405, message: 'Method not allowed' },
  keys_read_only: { status: 409, message: 'The key source is read-only: rotate keys at the source' },
  idempotency_key_in_use: {
    status: 409,
    message:
      'This Idempotency-Key is in use: by another client, or by a request that is running or failed without knowing whether it was applied. It is not run again: read the current state and use a new key',
  },
  draw_not_done: {
    status: 409,
    message: 'The draw has not happened yet: its participants are published after it',
  },
  signal_not_push: {
    status: 409,
    message:
      'This event does not take pushed origin health: its inlet is not adaptive with signal {"type": "push"}',
  },
  position_expired: { status: 410, message: 'Queue position has expired' },
  session_ended: { status: 410, message: 'The session of this request ID has ended' },
  payload_too_large: { status: 413, message: 'Request body too large' },
  unsupported_media_type: {
    status: 415,
    message: 'Send a JSON body (application/json or text/plain)',
  },
  rate_limited: {
    status: 429,
    message: 'Too many enqueue requests from this client; retry later',
  },
  too_many_streams: { status: 429, message: 'Too many status streams open; poll /status instead' },

  // Our side (5xx).
  internal_error: { status: 500, message: 'Internal error' },
  invalid_keys: { status: 500, message: 'The signing keys could not be read', expose: false },
  lambda_entry_missing: { status: 500, message: 'A Lambda entry file is missing', expose: true },
  sample_site_unregistered: { status: 500, message: 'The sample site is not registered' },
  not_implemented: { status: 501, message: 'Not implemented' },
  sample_site_token_unreachable: {
    status: 502,
    message: 'The token endpoint could not be reached.',
  },
  sample_site_token_refused: { status: 502, message: 'The provider refused the code.', expose: true },
  sample_site_id_token_invalid: { status: 502, message: 'The ID token did not verify.', expose: true },
  store_unavailable: {
    status: 503,
    message: 'The waiting room is temporarily unavailable. Please retry shortly.',
    expose: true,
  },
  challenge_unavailable: {
    status: 503,
    message: 'The entry challenge could not be checked. Please retry shortly.',
    expose: true,
  },
  enqueue_token_unavailable: {
    status: 503,
    message: "The site's keys could not be read to check the enqueue token. Please retry shortly.",
    expose: true,
  },
  queue_place_unavailable: {
    status: 503,
    message: 'No place in the queue could be taken. Please retry.',
  },
  service_unavailable: {
    status: 503,
    message: 'The waiting room is temporarily unavailable. Please retry shortly.',
    expose: true,
  },
  jwks_unavailable: { status: 503, message: 'The signing keys could not be loaded. Please retry shortly.' },
  revocation_unavailable: {
    status: 503,
    message: 'The session status could not be checked. Please retry shortly.',
  },
} satisfies Record<string, ErrorRow>);

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorOptions {
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfter?: number | undefined;
  cause?: unknown;
}

/**
 * One error class for the whole project, carrying a code of the table (and its status). The
 * message is the table's unless one that says more is given.
 */
export class AnteroomError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  /** Seconds a client should wait before retrying (503 / 429). */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message?: string, options: ErrorOptions = {}) {
    const row: ErrorRow = ERRORS[code];
    super(message ?? row.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnteroomError';
    this.code = code;
    this.status = row.status;
    this.expose = row.expose ?? row.status < 500;
    this.retryAfter = options.retryAfter;
  }
}

/** Is this a failure on our side (a store outage, a bug), as opposed to a refused request? */
export function isServerFailure(error: unknown): error is AnteroomError {
  return error instanceof AnteroomError && error.status >= 500;
}

/** A client's budget (enqueue, unless `what` says which) is spent: 429 with the seconds until one more is allowed. */
export function rateLimitedError(
  retryAfter: number,
  what = 'Too many enqueue requests from this client',
): AnteroomError {
  return new AnteroomError('rate_limited', `${what}; retry later`, { retryAfter });
}

/** Bad input: the message names the field. Nothing was written. */
export class ValidationError extends AnteroomError {
  readonly field: string;
  constructor(field: string, message: string, code: ErrorCode = 'invalid_parameter') {
    super(code, message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** The queue store (Redis) could not be reached or failed: the HTTP layer answers 503. */
export class StoreUnavailableError extends AnteroomError {
  constructor(cause?: unknown) {
    super('store_unavailable', undefined, { retryAfter: RETRY_AFTER_SECONDS.storeUnavailable, cause });
    this.name = 'StoreUnavailableError';
  }
}
