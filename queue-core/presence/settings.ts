/**
 * Absent visitors (API.md section 6): `abandonAfterSeconds` (`null` = off, the default). A
 * waiting visitor whose page has neither an open status stream nor a status request for that
 * long is absent; the inlets admit present visitors and pass absent ones (presence/rule.ts).
 * Parsed as part of an event by `event-settings.ts`; `null` turns it off in a `PUT /events/{id}`.
 */
import { PRESENCE_DEFAULTS } from '../defaults.ts';
import { ValidationError } from '../errors.ts';
import { fieldPath, fieldRules, type RawObject } from '../fields.ts';
import type { EventSettings } from '../types.ts';

export const PRESENCE_FIELDS = ['abandonAfterSeconds'] as const;

const rules = fieldRules((field, message) => new ValidationError(field, message, 'invalid_event_settings'));

export function parsePresenceSettings(
  object: RawObject,
  path: string,
): Pick<EventSettings, 'abandonAfterSeconds'> {
  const raw = object['abandonAfterSeconds'];
  if (raw === undefined || raw === null) return {};
  const field = fieldPath(path, 'abandonAfterSeconds');
  const abandonAfterSeconds = rules.integer(
    raw,
    field,
    PRESENCE_DEFAULTS.minAbandonAfterSeconds,
    PRESENCE_DEFAULTS.maxAbandonAfterSeconds,
    ' (or null to count every visitor as present)',
  );
  return { abandonAfterSeconds };
}
