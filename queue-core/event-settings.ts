/**
 * Event (waiting room) settings: the `events[]` configuration model of DESIGN.md.
 *
 * Parsing is strict: an unknown or ill-typed field fails with a `ValidationError`
 * (code `invalid_event_settings`) whose message names the full path of the field,
 * e.g. `events[1].inlet.incrementBy must be an integer ≥ 1`. The defaults are
 * `EVENT_DEFAULTS` and `DEFAULT_EVENT` of `defaults.ts`.
 */
import { ADAPTIVE_INLET_DEFAULTS, DEFAULT_EVENT, EVENT_DEFAULTS } from './defaults.ts';
import { parseScheduleSettings, SCHEDULE_FIELDS } from './draw/settings.ts';
import { ENTRY_FIELDS, mergeChallenge, parseEntrySettings } from './entry/settings.ts';
import { ValidationError } from './errors.ts';
import { fieldPath, fieldRules } from './fields.ts';
import { PRESENCE_FIELDS, parsePresenceSettings } from './presence/settings.ts';
import type { AdaptiveInlet, AdaptiveSignal, EventMode, EventSettings, InletSettings } from './types.ts';

export const EVENT_SETTINGS_ERROR = 'invalid_event_settings';

/** 1–64 characters of `[A-Za-z0-9_.-]`: safe in Redis hash tags, URLs and log lines. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The shared field rules (`fields.ts`), failing with code `invalid_event_settings`. */
const rules = fieldRules((field, message) => invalid(field, message));
const { integer, boolean } = rules;

const MODES: readonly EventMode[] = ['queue', 'passthrough', 'closed', 'sold_out'];
const INLET_TYPES: readonly InletSettings['type'][] = ['manual', 'periodic', 'max-size', 'adaptive'];
const SIGNAL_TYPES: readonly AdaptiveSignal['type'][] = ['probe', 'prometheus', 'push'];

/** Upper bound of counts (same bound as `increment_serving_counter`). */
const MAX_COUNT = 1_000_000_000;
/** Upper bound of durations: one year. */
const MAX_SECONDS = 31_536_000;
/** Upper bound of epoch-second timestamps (year 9999), so a millisecond value is caught. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

/** Longest display name. */
const MAX_NAME_LENGTH = 120;

const EVENT_FIELDS = [
  'id',
  'name',
  'mode',
  'inlet',
  'tokenValiditySeconds',
  'queuePositionExpirySeconds',
  'incrementServingOnExpiry',
  ...ENTRY_FIELDS,
  ...SCHEDULE_FIELDS,
  ...PRESENCE_FIELDS,
] as const;

/** Parse and validate one event, applying defaults. `path` prefixes every error message. */
export function parseEvent(raw: unknown, path = 'events[0]'): EventSettings {
  const object = requireObject(raw, path);
  rejectUnknownFields(object, EVENT_FIELDS, path);
  const name = parseName(object['name'], fieldPath(path, 'name'));
  return {
    id: parseEventId(object['id'], fieldPath(path, 'id')),
    ...(name === undefined ? {} : { name }),
    mode: parseMode(object['mode'], fieldPath(path, 'mode')),
    inlet:
      object['inlet'] === undefined
        ? { ...EVENT_DEFAULTS.inlet }
        : parseInlet(object['inlet'], fieldPath(path, 'inlet')),
    tokenValiditySeconds:
      object['tokenValiditySeconds'] === undefined
        ? EVENT_DEFAULTS.tokenValiditySeconds
        : integer(object['tokenValiditySeconds'], fieldPath(path, 'tokenValiditySeconds'), 1, MAX_SECONDS),
    queuePositionExpirySeconds: parseExpiry(
      object['queuePositionExpirySeconds'],
      fieldPath(path, 'queuePositionExpirySeconds'),
    ),
    incrementServingOnExpiry:
      object['incrementServingOnExpiry'] === undefined
        ? EVENT_DEFAULTS.incrementServingOnExpiry
        : boolean(object['incrementServingOnExpiry'], fieldPath(path, 'incrementServingOnExpiry')),
    ...parseEntrySettings(object, path),
    ...parseScheduleSettings(object, path),
    ...parsePresenceSettings(object, path),
  };
}

/**
 * Parse the `events` array: at least one event, unique ids. `undefined` (the key is
 * absent from the configuration) yields the development default `[DEFAULT_EVENT]`.
 */
export function parseEvents(raw: unknown): EventSettings[] {
  if (raw === undefined) return [cloneEvent(DEFAULT_EVENT)];
  if (!Array.isArray(raw)) throw invalid('events', 'events must be an array of events');
  if (raw.length === 0) throw invalid('events', 'events must list at least one event');
  const events = raw.map((item, index) => parseEvent(item, `events[${index}]`));
  const firstIndexOfId = new Map<string, number>();
  events.forEach((event, index) => {
    const first = firstIndexOfId.get(event.id);
    if (first !== undefined) {
      throw invalid(
        `events[${index}].id`,
        `events[${index}].id "${event.id}" duplicates events[${first}].id`,
      );
    }
    firstIndexOfId.set(event.id, index);
  });
  return events;
}

/**
 * Apply a partial update (admin API `PUT /events/{id}`) to an event, with the same
 * validation as the configuration. Fields absent from the patch keep their value;
 * `null` clears an optional field (`name`, `queuePositionExpirySeconds`, `inlet.startTime`,
 * `inlet.endTime`, `inlet.startPerMinute`, `challenge`, `enqueueToken`, `schedule`, `abandonAfterSeconds`). An inlet patch without
 * `type`, or with the current type, changes only the fields it names (and, for the adaptive
 * inlet, only the fields it names of `target` and of a `signal` of the same type); an inlet of
 * another type replaces the inlet whole. The id cannot change. A siteverify challenge patch
 * keeps the secret unless it names one (`mergeChallenge`). Error messages name the field
 * without a prefix (`inlet.maxActive …`).
 */
export function mergeEventSettings(base: EventSettings, patch: unknown, path = ''): EventSettings {
  const object = requireObject(patch, path || 'settings');
  if (object['id'] !== undefined && object['id'] !== base.id) {
    throw invalid(fieldPath(path, 'id'), `${fieldPath(path, 'id')} cannot change (it is "${base.id}")`);
  }
  const merged: Record<string, unknown> = { ...cloneEvent(base), ...object, id: base.id };
  if (object['inlet'] !== undefined)
    merged['inlet'] = mergeInlet(base.inlet, object['inlet'], fieldPath(path, 'inlet'));
  if (object['challenge'] !== undefined)
    merged['challenge'] = mergeChallenge(base.challenge, object['challenge']);
  return parseEvent(merged, path);
}

/** A deep, mutable copy of an event (events are plain JSON). */
export function cloneEvent(event: EventSettings): EventSettings {
  return structuredClone(event);
}

// ---------------------------------------------------------------------------------
// Field parsers

function parseEventId(value: unknown, path: string): string {
  rules.required(value, path);
  if (typeof value !== 'string' || !EVENT_ID_PATTERN.test(value)) {
    throw invalid(path, `${path} must be 1–64 characters of A–Z, a–z, 0–9, "_", "." or "-"`);
  }
  return value;
}

/** A display name: 1–120 characters of text, no control characters; `null` or absent: none. */
function parseName(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    value.length > MAX_NAME_LENGTH ||
    /\p{Cc}/u.test(value)
  ) {
    throw invalid(path, `${path} must be 1–${MAX_NAME_LENGTH} characters of text (or null for none)`);
  }
  return value;
}

function parseMode(value: unknown, path: string): EventMode {
  if (value === undefined) return EVENT_DEFAULTS.mode;
  return rules.oneOf(value, path, MODES);
}

function parseExpiry(value: unknown, path: string): number | null {
  if (value === undefined) return EVENT_DEFAULTS.queuePositionExpirySeconds;
  if (value === null) return null;
  return integer(value, path, 1, MAX_SECONDS, ' (or null to turn expiry off)');
}

function parseInlet(raw: unknown, path: string): InletSettings {
  const object = requireObject(raw, path);
  const type = object['type'];
  const typePath = fieldPath(path, 'type');
  if (type === undefined) throw invalid(typePath, `${typePath} is required (${INLET_TYPES.join(', ')})`);
  switch (type) {
    case 'manual':
      rejectUnknownFields(object, ['type'], path);
      return { type: 'manual' };
    case 'periodic':
      return parsePeriodic(object, path);
    case 'max-size': {
      rejectUnknownFields(object, ['type', 'maxActive', 'instant'], path);
      const instant =
        object['instant'] === undefined || object['instant'] === null
          ? false
          : boolean(object['instant'], fieldPath(path, 'instant'));
      return {
        type: 'max-size',
        maxActive: requiredInteger(object['maxActive'], fieldPath(path, 'maxActive'), 1, MAX_COUNT),
        ...(instant ? { instant } : {}),
      };
    }
    case 'adaptive':
      return parseAdaptive(object, path);
    default:
      throw invalid(typePath, `${typePath} must be one of ${INLET_TYPES.join(', ')}`);
  }
}

function parsePeriodic(object: Record<string, unknown>, path: string): InletSettings {
  rejectUnknownFields(object, ['type', 'incrementBy', 'intervalSeconds', 'startTime', 'endTime'], path);
  const startTime = optionalEpoch(object['startTime'], fieldPath(path, 'startTime'));
  const endTime = optionalEpoch(object['endTime'], fieldPath(path, 'endTime'));
  if (startTime !== undefined && endTime !== undefined && endTime <= startTime) {
    throw invalid(
      fieldPath(path, 'endTime'),
      `${fieldPath(path, 'endTime')} must be after ${fieldPath(path, 'startTime')}`,
    );
  }
  return {
    type: 'periodic',
    incrementBy: requiredInteger(object['incrementBy'], fieldPath(path, 'incrementBy'), 1, MAX_COUNT),
    intervalSeconds: requiredInteger(
      object['intervalSeconds'],
      fieldPath(path, 'intervalSeconds'),
      1,
      MAX_SECONDS,
    ),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
  };
}

/** Longest controller interval: an hour. */
const MAX_INTERVAL_SECONDS = 3600;
/** Longest latency target: ten minutes. */
const MAX_LATENCY_MS = 600_000;
const MAX_URL_LENGTH = 2048;
const MAX_QUERY_LENGTH = 4096;

function parseAdaptive(object: Record<string, unknown>, path: string): AdaptiveInlet {
  rejectUnknownFields(
    object,
    ['type', 'minPerMinute', 'maxPerMinute', 'startPerMinute', 'intervalSeconds', 'target', 'signal'],
    path,
  );
  const min = requiredInteger(object['minPerMinute'], fieldPath(path, 'minPerMinute'), 0, MAX_COUNT);
  const maxPath = fieldPath(path, 'maxPerMinute');
  const max = requiredInteger(object['maxPerMinute'], maxPath, 1, MAX_COUNT);
  if (max < min) throw invalid(maxPath, `${maxPath} must be ≥ ${fieldPath(path, 'minPerMinute')} (${min})`);
  const start =
    object['startPerMinute'] === undefined || object['startPerMinute'] === null
      ? undefined
      : integer(
          object['startPerMinute'],
          fieldPath(path, 'startPerMinute'),
          min,
          max,
          ' (within min and max)',
        );
  const targetPath = fieldPath(path, 'target');
  const target = requireObject(rules.required(object['target'], targetPath), targetPath);
  rejectUnknownFields(target, ['latencyMs', 'errorRate'], targetPath);
  const errorRatePath = fieldPath(targetPath, 'errorRate');
  const errorRate = rules.required(target['errorRate'], errorRatePath);
  if (typeof errorRate !== 'number' || !(errorRate >= 0 && errorRate <= 1)) {
    throw invalid(errorRatePath, `${errorRatePath} must be a fraction from 0 to 1`);
  }
  return {
    type: 'adaptive',
    minPerMinute: min,
    maxPerMinute: max,
    ...(start === undefined ? {} : { startPerMinute: start }),
    intervalSeconds:
      object['intervalSeconds'] === undefined
        ? ADAPTIVE_INLET_DEFAULTS.intervalSeconds
        : integer(object['intervalSeconds'], fieldPath(path, 'intervalSeconds'), 1, MAX_INTERVAL_SECONDS),
    target: {
      latencyMs: requiredInteger(target['latencyMs'], fieldPath(targetPath, 'latencyMs'), 1, MAX_LATENCY_MS),
      errorRate,
    },
    signal: parseSignal(object['signal'], fieldPath(path, 'signal')),
  };
}

function parseSignal(raw: unknown, path: string): AdaptiveSignal {
  if (raw === undefined) throw invalid(path, `${path} is required (${SIGNAL_TYPES.join(', ')})`);
  const object = requireObject(raw, path);
  switch (object['type']) {
    case 'probe':
      rejectUnknownFields(object, ['type', 'url'], path);
      return { type: 'probe', url: httpUrl(object['url'], fieldPath(path, 'url')) };
    case 'prometheus':
      rejectUnknownFields(object, ['type', 'url', 'latencyQuery', 'errorRateQuery'], path);
      return {
        type: 'prometheus',
        url: httpUrl(object['url'], fieldPath(path, 'url')),
        latencyQuery: text(object['latencyQuery'], fieldPath(path, 'latencyQuery'), MAX_QUERY_LENGTH),
        errorRateQuery: text(object['errorRateQuery'], fieldPath(path, 'errorRateQuery'), MAX_QUERY_LENGTH),
      };
    case 'push':
      rejectUnknownFields(object, ['type'], path);
      return { type: 'push' };
    default:
      return rules.oneOf(object['type'], fieldPath(path, 'type'), SIGNAL_TYPES) as never;
  }
}

function httpUrl(value: unknown, path: string): string {
  const message = `${path} must be an http:// or https:// URL of at most ${MAX_URL_LENGTH} characters`;
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) throw invalid(path, message);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(path, message);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(path, message);
  return value;
}

function text(value: unknown, path: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw invalid(path, `${path} must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

function mergeInlet(base: InletSettings, patch: unknown, path: string): unknown {
  const object = requireObject(patch, path);
  if (object['type'] !== undefined && object['type'] !== base.type) return object;
  if (base.type !== 'adaptive') return { ...base, ...object };
  // One level deeper for the adaptive inlet: `{"target": {"latencyMs": 300}}` keeps the error
  // rate target, and a signal patch of the same type keeps its other fields.
  const merged: Record<string, unknown> = { ...base, ...object };
  if (isObject(object['target'])) merged['target'] = { ...base.target, ...object['target'] };
  const signal = object['signal'];
  if (isObject(signal) && (signal['type'] === undefined || signal['type'] === base.signal.type)) {
    merged['signal'] = { ...base.signal, ...signal };
  }
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalEpoch(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return integer(value, path, 0, MAX_EPOCH_SECONDS, ' (epoch seconds)');
}

function requiredInteger(value: unknown, path: string, min: number, max: number): number {
  return integer(rules.required(value, path), path, min, max);
}

// ---------------------------------------------------------------------------------
// Helpers

function requireObject(value: unknown, path: string): Record<string, unknown> {
  return rules.object(value, path);
}

function rejectUnknownFields(object: Record<string, unknown>, known: readonly string[], path: string): void {
  rules.onlyKeys(object, path, known);
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(field, message, EVENT_SETTINGS_ERROR);
}
