/**
 * Admin `PUT /events/{id}` — change an event's settings live (all processes pick the change
 * up within a second). The body is a partial update validated like the configuration; a bad
 * field answers 400 `invalid_event_settings` naming it.
 */
import { mergeEventSettings } from '../../queue-core/event-settings.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { idempotentWrite } from '../http/idempotent-write.ts';
import { CACHE, loadEvent, readEventId } from '../http/steps.ts';
import { eventView } from './event-view.ts';

const mergeSettings: Step = async function mergeSettings(ctx, next) {
  ctx.state.settings = mergeEventSettings(ctx.state.event, ctx.state.body);
  await next();
};

const saveSettings: Step = async function saveSettings(ctx) {
  const { deps, actor } = ctx.state;
  const saved = await deps.room.updateEvent(ctx.state.settings as EventSettings, actor);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = await eventView(deps, saved);
};

export const putEvent: Step[] = [
  idempotentWrite,
  readJsonBody,
  readEventId,
  loadEvent,
  mergeSettings,
  saveSettings,
];
