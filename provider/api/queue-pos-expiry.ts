/** `GET /queue_pos_expiry` — seconds left to claim a token once the position is served. */
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Step } from '../http/context.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const expiry = await ctx.state.deps.room.positionExpiry(ctx.state.eventId, ctx.state.requestId);
  ctx.set('Cache-Control', CACHE.private);
  switch (expiry.kind) {
    case 'unknown':
      throw new AnteroomError('request_not_found', 'Request ID not found', { status: 404 });
    case 'expired':
      throw new AnteroomError('position_expired', 'Queue position has expired', { status: 410 });
    case 'off':
      ctx.status = 202;
      ctx.body = { error: 'Queue position expiration not enabled', code: 'expiry_off' };
      return;
    case 'not_served':
      ctx.status = 202;
      ctx.body = { error: 'Request ID not being served yet', code: 'not_yet' };
      return;
    case 'claimed':
      ctx.status = 202;
      ctx.body = { error: 'A token was already issued: the position no longer expires', code: 'claimed' };
      return;
    case 'running':
      ctx.body = { expires_in: expiry.expiresIn };
  }
};

export const queuePosExpiry: Step[] = [readEventId, readRequestId, respond];
