/**
 * Where a scheduled event stands at a time (API.md section 6): before it opens nobody joins;
 * with a pre-queue, visitors join it from `prequeueAt` until `startAt`, when it is drawn.
 */
import type { EventSettings } from '../types.ts';

/** The epoch second new visitors may first join: `prequeueAt`, else `startAt`; null when unscheduled. */
export function opensAt(event: EventSettings): number | null {
  const schedule = event.schedule;
  if (schedule === undefined) return null;
  return schedule.prequeueAt ?? schedule.startAt;
}

/** Nobody may join yet. */
export function beforeOpening(event: EventSettings, now: number): boolean {
  const opens = opensAt(event);
  return opens !== null && now < opens;
}

/** The event holds arrivals in a pre-queue until `startAt`: its `startAt`, else null. */
export function prequeueStart(event: EventSettings): number | null {
  const schedule = event.schedule;
  return schedule?.prequeueAt === undefined ? null : schedule.startAt;
}
