/**
 * The event settings of a scheduled sale (API.md section 6): `schedule: {"prequeueAt"?,
 * "startAt"}` (epoch seconds, `prequeueAt` before `startAt`) and `draw: "fifo" | "shuffle"`.
 * Parsed as part of an event by `event-settings.ts`; `null` removes `schedule` in a
 * `PUT /events/{id}` patch.
 */
import { EVENT_DEFAULTS } from '../defaults.ts';
import { ValidationError } from '../errors.ts';
import { fieldPath, fieldRules, type RawObject } from '../fields.ts';
import type { DrawAlgorithmSetting, EventSettings, ScheduleSettings } from '../types.ts';

export const SCHEDULE_FIELDS = ['schedule', 'draw', 'maxQueueLength', 'soldOutMessage'] as const;

const rules = fieldRules((field, message) => new ValidationError(field, message, 'invalid_event_settings'));
const DRAWS: readonly DrawAlgorithmSetting[] = ['fifo', 'shuffle'];
/** Year 9999: a millisecond timestamp is caught. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

/** The longest operator message. */
const MAX_MESSAGE_LENGTH = 500;
const MAX_QUEUE_LENGTH = 1_000_000_000;

export function parseScheduleSettings(
  object: RawObject,
  path: string,
): Pick<EventSettings, 'schedule' | 'draw' | 'maxQueueLength' | 'soldOutMessage'> {
  const lengthPath = fieldPath(path, 'maxQueueLength');
  const maxQueueLength =
    object['maxQueueLength'] === undefined || object['maxQueueLength'] === null
      ? undefined
      : rules.integer(object['maxQueueLength'], lengthPath, 1, MAX_QUEUE_LENGTH, ' (or null for no limit)');
  const soldOutMessage = parseMessage(object['soldOutMessage'], fieldPath(path, 'soldOutMessage'));
  const schedule = parseSchedule(object['schedule'], fieldPath(path, 'schedule'));
  const draw =
    object['draw'] === undefined || object['draw'] === null
      ? undefined
      : rules.oneOf(object['draw'], fieldPath(path, 'draw'), DRAWS);
  return {
    ...(schedule === undefined ? {} : { schedule }),
    ...(draw === undefined || draw === EVENT_DEFAULTS.draw ? {} : { draw }),
    ...(maxQueueLength === undefined ? {} : { maxQueueLength }),
    ...(soldOutMessage === undefined ? {} : { soldOutMessage }),
  };
}

/** Text shown to visitors: 1–500 characters, no control characters but line breaks. */
function parseMessage(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    value.length > MAX_MESSAGE_LENGTH ||
    /\p{Cc}/u.test(value.replaceAll('\n', ''))
  ) {
    throw rules.fail(path, `${path} must be 1–${MAX_MESSAGE_LENGTH} characters of text (or null for none)`);
  }
  return value;
}

function parseSchedule(raw: unknown, path: string): ScheduleSettings | undefined {
  if (raw === undefined || raw === null) return undefined;
  const object = rules.onlyKeys(rules.object(raw, path), path, ['prequeueAt', 'startAt']);
  const startPath = fieldPath(path, 'startAt');
  const startAt = rules.integer(
    rules.required(object['startAt'], startPath),
    startPath,
    0,
    MAX_EPOCH_SECONDS,
    ' (epoch seconds)',
  );
  const prequeuePath = fieldPath(path, 'prequeueAt');
  if (object['prequeueAt'] === undefined || object['prequeueAt'] === null) return { startAt };
  const prequeueAt = rules.integer(
    object['prequeueAt'],
    prequeuePath,
    0,
    MAX_EPOCH_SECONDS,
    ' (epoch seconds)',
  );
  if (prequeueAt >= startAt) throw rules.fail(prequeuePath, `${prequeuePath} must be before ${startPath}`);
  return { prequeueAt, startAt };
}
