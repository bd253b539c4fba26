/** Admin `GET /events` — every event with its settings and live counters. */
import type { Step } from '../http/context.ts';
import { CACHE } from '../http/steps.ts';
import { eventView } from './event-view.ts';

const respond: Step = async function respond(ctx) {
  const { deps } = ctx.state;
  const events = await deps.room.listEvents();
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = await Promise.all(events.map((event) => eventView(deps, event)));
};

export const listEvents: Step[] = [respond];
