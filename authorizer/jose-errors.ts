/** Maps what jose (and the key set) throw onto the authorizer's stable deny reasons. */
import { errors } from 'jose';
import { JwksUnavailableError } from './jwks.ts';
import type { DenyReason } from './reasons.ts';

function claimReason(claim: string, why: string): DenyReason {
  if (claim === 'iss') return 'invalid_issuer';
  if (claim === 'aud') return 'invalid_audience';
  if (claim === 'nbf' && why === 'check_failed') return 'token_not_yet_valid';
  return 'invalid_claims';
}

export function reasonForError(error: unknown): DenyReason {
  if (error instanceof JwksUnavailableError) return 'jwks_unavailable';
  if (error instanceof errors.JWTExpired) return 'token_expired';
  if (error instanceof errors.JWTClaimValidationFailed) return claimReason(error.claim, error.reason);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'unsupported_algorithm';
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed_token';
  // Signature failures, and anything unforeseen (an unusable key, a crypto error): refuse as unverifiable.
  return 'invalid_signature';
}
