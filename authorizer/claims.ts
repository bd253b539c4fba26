/**
 * What makes a verified JWT an admission token for this API: the claims the waiting room puts
 * in every token (API.md §1), checked after the signature, issuer, audience and times.
 */
import type { JWTPayload } from 'jose';
import type { DenyReason } from './reasons.ts';

export interface AdmissionClaims extends JWTPayload {
  iss: string;
  /** The event id. */
  aud: string | string[];
  /** The visitor's request id. */
  sub: string;
  queue_position: number;
  token_use: 'access';
  exp: number;
}

/** What a downstream API is told about an admitted visitor (also the API Gateway authorizer context). */
export interface AdmissionContext {
  event_id: string;
  queue_position: number;
  request_id: string;
}

export type ClaimsCheck = { claims: AdmissionClaims; context: AdmissionContext } | { reason: DenyReason };

/**
 * Only access tokens open the door: the id and refresh tokens issued beside it carry the same
 * claims and must not be replayable as access tokens.
 */
export function checkAdmissionClaims(payload: JWTPayload, audiences: readonly string[]): ClaimsCheck {
  if (payload['token_use'] !== 'access') return { reason: 'invalid_token_use' };
  const { sub, exp } = payload;
  const position = payload['queue_position'];
  if (typeof sub !== 'string' || sub === '') return { reason: 'invalid_claims' };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { reason: 'invalid_claims' };
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    return { reason: 'invalid_claims' };
  }
  // jose already checked that one of our audiences is present; name the event it matched.
  const tokenAudiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const eventId = tokenAudiences.find((aud) => typeof aud === 'string' && audiences.includes(aud));
  if (eventId === undefined) return { reason: 'invalid_audience' };
  return {
    claims: payload as AdmissionClaims,
    context: { event_id: eventId, queue_position: position, request_id: sub },
  };
}
