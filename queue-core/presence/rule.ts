/**
 * Absent visitors (API.md section 6): when an event counts present visitors, and the rule an
 * inlet applies at a given time. Off (nothing extra at all, not a single store call) for
 * events without `abandonAfterSeconds`, and in pass-through mode, which admits everyone.
 */
import { PRESENCE_DEFAULTS } from '../defaults.ts';
import type { EventSettings, PresenceRule } from '../types.ts';

/** The event counts present visitors. */
export function countsPresence(event: EventSettings): boolean {
  return event.abandonAfterSeconds != null && event.mode !== 'passthrough';
}

/** The inlets' rule at `now` (epoch seconds), or undefined when the event does not count presence. */
export function presenceRule(event: EventSettings, now: number): PresenceRule | undefined {
  if (!countsPresence(event)) return undefined;
  return { absentBefore: now - event.abandonAfterSeconds!, work: PRESENCE_DEFAULTS.workPerCall };
}

/**
 * How often one process writes that a visitor it keeps seeing is still there (seconds): a
 * fraction of the window, so a visitor polling or streaming stays present with one store write
 * per fraction, however often they poll.
 */
export function touchEverySeconds(event: EventSettings): number {
  return Math.max(1, Math.floor(event.abandonAfterSeconds! / PRESENCE_DEFAULTS.touchesPerWindow));
}
