/**
 * Admin `GET /expired_tokens` — request ids whose token expired. Without `limit`: the
 * AWS-compatible JSON array of all of them; with `limit` (and `cursor`): one page,
 * `{"items", "next_cursor"}`.
 */
import { ValidationError } from '../../queue-core/errors.ts';
import { parsePageLimit } from '../../queue-core/validate.ts';
import type { Step } from '../http/context.ts';
import { CACHE, readEventId } from '../http/steps.ts';

const CURSOR = /^[A-Za-z0-9_.:=-]{1,200}$/;

const readPage: Step = async function readPage(ctx, next) {
  const { limit, cursor } = ctx.query;
  if (limit !== undefined) {
    const parsedLimit = parsePageLimit(limit);
    if (cursor !== undefined && (typeof cursor !== 'string' || !CURSOR.test(cursor))) {
      throw new ValidationError(
        'cursor',
        'cursor must be a next_cursor value from a previous page',
        'invalid_cursor',
      );
    }
    ctx.state.page = { limit: parsedLimit, cursor: cursor as string | undefined };
  } else if (cursor !== undefined) {
    throw new ValidationError('cursor', 'cursor needs a limit', 'invalid_cursor');
  }
  await next();
};

const respond: Step = async function respond(ctx) {
  const page = ctx.state.page as { limit: number; cursor?: string } | undefined;
  const found = await ctx.state.deps.room.expiredTokens(ctx.state.eventId, page);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = page ? found : found.items;
};

export const expiredTokens: Step[] = [readEventId, readPage, respond];
