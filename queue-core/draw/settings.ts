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

export const SCHEDULE_FIELDS = ['schedule', 'draw'] as const;

const rules = fieldRules((field, message) => new ValidationError(field, message, 'invalid_event_settings'));
const DRAWS: readonly DrawAlgorithmSetting[] = ['fifo', 'shuffle'];
/** Year 9999: a millisecond timestamp is caught. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

export function parseScheduleSettings(
  object: RawObject,
  path: string,
): Pick<EventSettings, 'schedule' | 'draw'> {
  const schedule = parseSchedule(object['schedule'], fieldPath(path, 'schedule'));
  const draw =
    object['draw'] === undefined || object['draw'] === null
      ? undefined
      : rules.oneOf(object['draw'], fieldPath(path, 'draw'), DRAWS);
  return {
    ...(schedule === undefined ? {} : { schedule }),
    ...(draw === undefined || draw === EVENT_DEFAULTS.draw ? {} : { draw }),
  };
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
