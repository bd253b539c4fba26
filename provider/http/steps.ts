/**
 * Steps shared by several endpoints: where the event id and the request id come from
 * (query for GET, JSON body for POST, the path for `/events/{id}/…`), and loading the event.
 */
import { parseEventId, parseRequestId } from '../../queue-core/validate.ts';
import type { ApiContext, Step } from './context.ts';

/** A parameter from the JSON body (POST/PUT) or the query string (GET). */
export function param(ctx: ApiContext, name: string): unknown {
  if (ctx.method === 'POST' || ctx.method === 'PUT') return ctx.state.body?.[name];
  return ctx.query[name];
}

export const readEventId: Step = async function readEventId(ctx, next) {
  ctx.state.eventId = parseEventId(ctx.params.event_id ?? ctx.params.id ?? param(ctx, 'event_id'));
  await next();
};

/** The event's live settings; an id no event has answers 400 `invalid_event_id`. */
export const loadEvent: Step = async function loadEvent(ctx, next) {
  ctx.state.event = await ctx.state.deps.room.getEvent(ctx.state.eventId);
  await next();
};

export const readRequestId: Step = async function readRequestId(ctx, next) {
  ctx.state.requestId = parseRequestId(param(ctx, 'request_id'));
  await next();
};

/** Cache-Control values: what a CDN may keep, and for how long. */
export const CACHE = {
  /** Event-wide counters: the same for everyone, one second stale at most. */
  shared: 'public, max-age=1',
  /** Per-visitor answers: a browser may reuse one for a second; a shared cache must not. */
  private: 'private, max-age=1',
  /** Fixed per request id (position and entry time) until an operator resets the event. */
  entry: 'public, max-age=10',
  /** Enqueue, token and admin answers. */
  none: 'no-store',
  /** Public keys: short, so a rotated-in key is visible to verifiers within a minute. */
  keys: 'public, max-age=60',
} as const;
