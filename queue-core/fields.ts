/**
 * Field validation, once, for every configuration Anteroom reads: the server configuration
 * (`provider/config/server-config.ts`), the event settings (`event-settings.ts`, also behind the
 * admin API) and the deployment configuration (`infra/lib/config.ts`). Each rule returns the
 * value or throws an error whose message names the field, in the same words everywhere; each
 * caller says which error class carries it (`ConfigError`, `ValidationError` with its code).
 *
 *   const rules = fieldRules((field, message) => new ValidationError(field, message));
 *   rules.integer(raw.port, 'listen.port', 0, 65_535);   // "listen.port must be an integer ≥ 0 and ≤ 65535"
 */

/** Makes the error a rule throws: `message` already names `field`. */
export type FieldFailure = (field: string, message: string) => Error;

export type RawObject = Record<string, unknown>;

export interface FieldRules {
  /** The error of `field`, for checks of the caller's own. */
  fail(field: string, message: string): Error;
  /** A JSON object (not null, not an array). */
  object(value: unknown, field: string): RawObject;
  /** Every key of `object` is one of `known`. */
  onlyKeys(object: RawObject, field: string, known: readonly string[]): RawObject;
  /** Present (not undefined). */
  required<T>(value: T | undefined, field: string): T;
  /** An integer from `min` to `max`; `hint` is added to the message (" (epoch seconds)"). */
  integer(value: unknown, field: string, min: number, max: number, hint?: string): number;
  boolean(value: unknown, field: string): boolean;
  /** A non-empty string. */
  string(value: unknown, field: string): string;
  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T;
  /** A string of the given shape; `what` says it in words (default: the pattern). */
  matches(value: unknown, field: string, shape: RegExp, what?: string): string;
}

/** `path.key`, or `key` at the top. */
export function fieldPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function fieldRules(failure: FieldFailure): FieldRules {
  const fail = (field: string, message: string) => failure(field, message);
  return {
    fail,
    object(value, field) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw fail(field, `${field} must be an object`);
      }
      return value as RawObject;
    },
    onlyKeys(object, field, known) {
      for (const key of Object.keys(object)) {
        if (!known.includes(key)) {
          const path = fieldPath(field, key);
          throw fail(path, `${path} is not a known field (expected ${known.join(', ')})`);
        }
      }
      return object;
    },
    required(value, field) {
      if (value === undefined) throw fail(field, `${field} is required`);
      return value;
    },
    integer(value, field, min, max, hint = '') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw fail(field, `${field} must be an integer ≥ ${min} and ≤ ${max}${hint}`);
      }
      return value;
    },
    boolean(value, field) {
      if (typeof value !== 'boolean') throw fail(field, `${field} must be true or false`);
      return value;
    },
    string(value, field) {
      if (typeof value !== 'string' || value.length === 0) {
        throw fail(field, `${field} must be a non-empty string`);
      }
      return value;
    },
    oneOf(value, field, allowed) {
      if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
        throw fail(field, `${field} must be one of ${allowed.join(', ')}`);
      }
      return value as (typeof allowed)[number];
    },
    matches(value, field, shape, what) {
      if (typeof value !== 'string' || !shape.test(value)) {
        throw fail(field, `${field} must be ${what ?? `a string matching ${shape.source}`}`);
      }
      return value;
    },
  };
}
