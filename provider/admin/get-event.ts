/** Admin `GET /events/{id}` — one event's settings and live counters. */
import type { Step } from '../http/context.ts';
import { CACHE, loadEvent, readEventId } from '../http/steps.ts';
import { eventView } from './event-view.ts';

const respond: Step = async function respond(ctx) {
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = await eventView(ctx.state.deps, ctx.state.event);
};

export const getEvent: Step[] = [readEventId, loadEvent, respond];
