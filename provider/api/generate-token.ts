/**
 * `POST /generate_token` (public) — the admission tokens once the position is served.
 * The public endpoint ignores `issuer` and `validity_period`: the issuer is `publicUrl`.
 */
import type { GenerateTokenResult } from '../../queue-core/room/room-api.ts';
import { readJsonBody } from '../http/body.ts';
import type { ApiContext, Step } from '../http/context.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const issueTokens: Step = async function issueTokens(ctx, next) {
  ctx.state.result = await ctx.state.deps.room.generateToken(ctx.state.eventId, ctx.state.requestId);
  await next();
};

/** 200 with the tokens, or 202 when the position is not served yet (a result, not an error). */
export function respondWithTokens(ctx: ApiContext): void {
  const result = ctx.state.result as GenerateTokenResult;
  ctx.set('Cache-Control', CACHE.none);
  if (result.status === 202) {
    ctx.status = 202;
    ctx.body =
      result.reason === 'full'
        ? { error: 'Every place is taken; retry shortly', code: 'not_yet', reason: 'full' }
        : { error: 'Request ID not being served yet', code: 'not_yet', reason: 'not_yet' };
    ctx.set('Retry-After', '1');
    return;
  }
  ctx.body = result.tokens;
}

const respond: Step = function respond(ctx) {
  respondWithTokens(ctx);
};

export const generateToken: Step[] = [readJsonBody, readEventId, readRequestId, issueTokens, respond];
