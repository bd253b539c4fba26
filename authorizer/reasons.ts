/**
 * Why a token was refused: stable snake_case codes (they reach logs, 401 bodies and the
 * API Gateway authorizer context), each with the sentence shown to the caller.
 */
export const DENY_REASONS = {
  missing_token: 'An admission token is required.',
  malformed_token: 'The admission token is not a well-formed JWT.',
  unsupported_algorithm: 'The admission token is signed with an algorithm that is not accepted.',
  unknown_key: 'The admission token is signed with an unknown key.',
  invalid_signature: 'The admission token signature is invalid.',
  token_expired: 'The admission token has expired.',
  token_not_yet_valid: 'The admission token is not valid yet.',
  invalid_issuer: 'The admission token was issued by another waiting room.',
  invalid_audience: 'The admission token is for another event.',
  invalid_token_use: 'Only access tokens are accepted here.',
  invalid_claims: 'The admission token lacks required claims.',
  session_ended: 'The admission session has ended.',
  jwks_unavailable: 'The signing keys could not be loaded. Please retry shortly.',
  revocation_unavailable: 'The session status could not be checked. Please retry shortly.',
} as const;

export type DenyReason = keyof typeof DENY_REASONS;

/** The reasons that are our outage, not the token's fault (503 rows of queue-core's error table). */
export type TransientReason = 'jwks_unavailable' | 'revocation_unavailable';

/**
 * Denials caused by our own dependencies (the JWKS endpoint, the revocation store), not by the
 * token: callers answer 503 / a Lambda error instead of a cached 401/403, so a short outage
 * does not lock admitted visitors out for the cache's lifetime.
 */
export function isTransient(reason: DenyReason): reason is TransientReason {
  return reason === 'jwks_unavailable' || reason === 'revocation_unavailable';
}
