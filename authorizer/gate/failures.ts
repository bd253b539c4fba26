/**
 * Why a sign-in through the gate did not complete: stable snake_case codes (they reach logs and
 * the refusal page), each with its status and the sentence shown to the visitor. Callers switch
 * on the code, never on a status or a message.
 */
import { AnteroomError } from '../../queue-core/errors.ts';

export const SIGN_IN_FAILURES = {
  flow_not_found: {
    status: 400,
    text: 'This sign-in was not started in this browser, or it is too old.',
  },
  provider_error: { status: 400, text: 'The waiting room did not complete the sign-in.' },
  code_rejected: { status: 400, text: 'The sign-in code was refused: it was already used, or it expired.' },
  id_token_invalid: { status: 401, text: 'The sign-in could not be verified.' },
  client_rejected: { status: 502, text: 'This site is not set up correctly with the waiting room.' },
  provider_unavailable: { status: 503, text: 'The waiting room could not be reached. Please retry shortly.' },
  sign_in_required: { status: 401, text: 'Sign in through the waiting room first.' },
} as const satisfies Record<string, { status: number; text: string }>;

export type SignInFailure = keyof typeof SIGN_IN_FAILURES;

export class SignInError extends AnteroomError {
  override readonly code: SignInFailure;
  /** For the log only: what the provider answered, or why a token failed. */
  readonly detail: string | undefined;

  constructor(code: SignInFailure, detail?: string, cause?: unknown) {
    const { status, text } = SIGN_IN_FAILURES[code];
    super(code, text, { status, expose: true, ...(status === 503 ? { retryAfter: 2 } : {}), cause });
    this.name = 'SignInError';
    this.code = code;
    this.detail = detail;
  }
}
