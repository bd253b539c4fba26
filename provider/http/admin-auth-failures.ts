/**
 * Why an admin authentication failed: stable snake_case codes, written to the audit log and
 * the log line of every failure, each with the sentence the caller reads in the 401 answer.
 * An unknown access key id and a wrong signature read alike, so the answer does not tell
 * which access key ids exist; the audit log tells the operator.
 */
const SIGNATURE_MISMATCH =
  'The request signature does not match: check the access key, the secret, the region and the service (execute-api)';

export const ADMIN_AUTH_FAILURES = {
  no_credentials: 'A valid admin key is required (Authorization: Bearer <key>, or an AWS SigV4 signature)',
  wrong_key: 'The admin key is not valid',
  unsupported_scheme: 'Send Authorization: Bearer <admin key>, or an AWS4-HMAC-SHA256 signature',
  query_signature:
    'Presigned URLs (X-Amz-Signature in the query) are not accepted: sign the Authorization header',
  malformed_signature: 'The Authorization header is not a well-formed AWS4-HMAC-SHA256 signature',
  temporary_credentials:
    'Requests signed with temporary credentials (X-Amz-Security-Token) cannot be verified outside AWS: sign with a key pair of adminSigV4Keys',
  credential_scope: 'The credential scope must be <YYYYMMDD of X-Amz-Date>/<region>/execute-api/aws4_request',
  missing_date: 'A signed request needs an X-Amz-Date header (YYYYMMDDTHHMMSSZ)',
  signature_expired: 'X-Amz-Date is more than 5 minutes away from the server time: check the clock',
  unsigned_header: 'The signature must cover host, x-amz-date and every x-amz-* header sent',
  payload_hash_mismatch: 'X-Amz-Content-Sha256 does not match the request body',
  unknown_access_key: SIGNATURE_MISMATCH,
  signature_mismatch: SIGNATURE_MISMATCH,
  region_not_allowed: 'This access key may not sign for that region',
} as const;

export type AdminAuthFailure = keyof typeof ADMIN_AUTH_FAILURES;

/** A refused admin authentication, as logged and audited. */
export interface AdminAuthRefusal {
  reason: AdminAuthFailure;
  /** What the caller tried: a bearer key, a SigV4 signature, or nothing usable. */
  scheme: 'bearer' | 'sigv4' | 'none';
  /** The access key id a signature named (public, unlike its secret). */
  accessKeyId?: string | undefined;
}
