/**
 * Formats both stores share, so the memory store and the Redis store give byte-identical
 * answers (the model-based test compares them): the compact session record kept in
 * Redis, and the opaque pagination cursor of `expiredSessions`.
 */
import { ValidationError } from '../errors.ts';
import type { SessionRecord, SessionStatus } from '../types.ts';

const STATUS_CODE: Record<SessionStatus, string> = { active: 'a', completed: 'c', abandoned: 'x' };
const CODE_STATUS: Record<string, SessionStatus> = { a: 'active', c: 'completed', x: 'abandoned' };
/** `position:issuedAt:expiresAt:status:issuer`; the issuer goes last because it may contain ':'. */
const SESSION = /^(\d+):(-?\d+):(-?\d+):([acx]):(.*)$/s;

export function encodeSession(session: SessionRecord): string {
  const { position, issuedAt, expiresAt, status, issuer } = session;
  return `${position}:${issuedAt}:${expiresAt}:${STATUS_CODE[status]}:${issuer}`;
}

export function decodeSession(eventId: string, requestId: string, encoded: string): SessionRecord {
  const match = SESSION.exec(encoded);
  if (!match) throw new Error(`corrupt session record for ${eventId}/${requestId}`);
  return {
    requestId,
    eventId,
    position: Number(match[1]),
    issuedAt: Number(match[2]),
    expiresAt: Number(match[3]),
    status: CODE_STATUS[match[4]!]!,
    issuer: match[5]!,
  };
}

/** The cursor names the last request id returned; the next page starts right after it. */
export function encodeCursor(lastRequestId: string): string {
  return Buffer.from(lastRequestId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (decoded.length === 0 || encodeCursor(decoded) !== cursor) {
    throw new ValidationError('cursor', 'cursor is not one this server returned', 'invalid_cursor');
  }
  return decoded;
}

export function invalidCursor(): ValidationError {
  return new ValidationError('cursor', 'cursor does not name a known session', 'invalid_cursor');
}
