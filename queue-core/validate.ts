/**
 * Input checks run before a store is called. Each parser returns the normalised value
 * or throws a `ValidationError` naming the field, so the HTTP layer can answer 400
 * with a stable code and stores may assume valid input.
 */
import { ValidationError } from './errors.ts';

const EVENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INTEGER = /^-?\d{1,16}$/;
const MAX_INCREMENT = 1_000_000_000;

/** A number, or a string holding a plain integer (query strings); anything else is null. */
function toInteger(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && INTEGER.test(value.trim())) {
    const parsed = Number(value.trim());
    return Number.isSafeInteger(parsed) ? parsed : null;
  }
  return null;
}

/** 1–64 characters of `[A-Za-z0-9_.-]`; safe inside a Redis hash tag and a URL path. */
export function parseEventId(value: unknown, field = 'event_id'): string {
  if (typeof value === 'string' && EVENT_ID.test(value)) return value;
  throw new ValidationError(
    field,
    `${field} must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"`,
    'invalid_event_id',
  );
}

/** A UUID in any letter case; returned in the canonical lower-case form the stores keep. */
export function parseRequestId(value: unknown, field = 'request_id'): string {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (UUID.test(lower)) return lower;
  }
  throw new ValidationError(field, `${field} must be a UUID`, 'invalid_request_id');
}

/** An integer with |n| ≤ 10^9 (negative moves the serving counter back). */
export function parseIncrement(value: unknown, field = 'increment_by'): number {
  const parsed = toInteger(value);
  if (parsed !== null && Math.abs(parsed) <= MAX_INCREMENT) return parsed;
  throw new ValidationError(
    field,
    `${field} must be an integer between -1000000000 and 1000000000`,
    'invalid_increment',
  );
}

/** AWS-compatible session status: 1 = completed, -1 = abandoned. */
export function parseSessionStatus(value: unknown, field = 'status'): 'completed' | 'abandoned' {
  const parsed = toInteger(value);
  if (parsed === 1) return 'completed';
  if (parsed === -1) return 'abandoned';
  throw new ValidationError(field, `${field} must be 1 (completed) or -1 (abandoned)`, 'invalid_status');
}

export interface PageLimitOptions {
  /** Used when the value is absent (undefined, null or ""). Default 100. */
  defaultLimit?: number;
  /** Largest accepted limit. Default 1000. */
  max?: number;
}

/** A page size: an integer from 1 to `max`; absent means `defaultLimit`. */
export function parsePageLimit(value: unknown, field = 'limit', options: PageLimitOptions = {}): number {
  const max = options.max ?? 1000;
  if (value === undefined || value === null || value === '')
    return Math.min(options.defaultLimit ?? 100, max);
  const parsed = toInteger(value);
  if (parsed !== null && parsed >= 1 && parsed <= max) return parsed;
  throw new ValidationError(field, `${field} must be an integer between 1 and ${max}`, 'invalid_limit');
}
