/**
 * `GET /events/{id}/draw` and `GET /events/{id}/draw/participants` (API.md section 6): the
 * commitment to the seed from the moment the event is configured, then the seed and the
 * participants (hex SHA-256 of each request id, in drawn order, a page at a time) after the draw.
 */
import { DRAW_DEFAULTS } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Step } from '../http/context.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const respondDraw: Step = async function respondDraw(ctx) {
  const view = await ctx.state.deps.room.draw(ctx.state.eventId);
  // Fixed once drawn; before, it changes once (at the draw): a second of caching at most.
  ctx.set('Cache-Control', view.drawn_at === null ? CACHE.shared : CACHE.keys);
  ctx.body = view;
};

function pageNumber(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number > max) throw new AnteroomError('invalid_parameter');
  return number;
}

const respondParticipants: Step = async function respondParticipants(ctx) {
  const offset = pageNumber(ctx.query.offset, 0, Number.MAX_SAFE_INTEGER);
  const limit = pageNumber(ctx.query.limit, DRAW_DEFAULTS.pageLimit, DRAW_DEFAULTS.pageLimit);
  if (limit < 1) throw new AnteroomError('invalid_limit');
  const items = await ctx.state.deps.room.drawParticipants(ctx.state.eventId, offset, limit);
  const { participants } = await ctx.state.deps.room.draw(ctx.state.eventId);
  const end = offset + items.length;
  ctx.set('Cache-Control', CACHE.keys);
  ctx.body = {
    items,
    next_offset: participants !== null && end < participants && items.length > 0 ? end : null,
  };
};

export const draw: Step[] = [readEventId, respondDraw];
export const drawParticipants: Step[] = [readEventId, respondParticipants];
