/**
 * Why a sign-in through the gate did not complete: stable snake_case codes (they reach logs and
 * the refusal page), rows of the one error table (`queue-core/errors.ts`: status and the sentence
 * shown to the visitor). Callers switch on the code, never on a status or a message.
 */
import { RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { AnteroomError, ERRORS } from '../../queue-core/errors.ts';

export const SIGN_IN_FAILURES = [
  'flow_not_found',
  'provider_error',
  'code_rejected',
  'id_token_invalid',
  'client_rejected',
  'provider_unavailable',
  'sign_in_required',
] as const;

export type SignInFailure = (typeof SIGN_IN_FAILURES)[number];

export class SignInError extends AnteroomError {
  override readonly code: SignInFailure;
  /** For the log only: what the provider answered, or why a token failed. */
  readonly detail: string | undefined;

  constructor(code: SignInFailure, detail?: string, cause?: unknown) {
    const unavailable = ERRORS[code].status === 503;
    super(code, undefined, {
      ...(unavailable ? { retryAfter: RETRY_AFTER_SECONDS.storeUnavailable } : {}),
      cause,
    });
    this.name = 'SignInError';
    this.code = code;
    this.detail = detail;
  }
}
