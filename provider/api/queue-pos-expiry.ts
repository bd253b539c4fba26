/** `GET /queue_pos_expiry` — seconds left to claim a token once the position is served. */
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Step } from '../http/context.ts';
import { codeBody } from '../http/errors.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const expiry = await ctx.state.deps.room.positionExpiry(ctx.state.eventId, ctx.state.requestId);
  ctx.set('Cache-Control', CACHE.private);
  switch (expiry.kind) {
    case 'unknown':
      throw new AnteroomError('request_not_found');
    case 'expired':
      throw new AnteroomError('position_expired');
    case 'off':
      ctx.status = 202;
      ctx.body = codeBody('expiry_off');
      return;
    case 'not_served':
    // Absent visitors: passed while away and not let in yet, the next pass admits them first.
    case 'passed':
      ctx.status = 202;
      ctx.body = codeBody('not_yet');
      return;
    case 'claimed':
      ctx.status = 202;
      ctx.body = codeBody('claimed');
      return;
    case 'running':
      ctx.body = { expires_in: expiry.expiresIn };
  }
};

export const queuePosExpiry: Step[] = [readEventId, readRequestId, respond];
