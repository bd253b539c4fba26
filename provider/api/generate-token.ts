/**
 * `POST /generate_token` (public) — the admission tokens once the position is served.
 * The public endpoint ignores `issuer` and `validity_period`: the issuer is `publicUrl`.
 */
import { RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { AdmitOptions, AdmitOutcome } from '../../queue-core/room/visitor-flow.ts';
import { readJsonBody } from '../http/body.ts';
import type { ApiContext, Step } from '../http/context.ts';
import { codeBody } from '../http/errors.ts';
import { restoreFromReceipt } from '../http/place-receipt.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

/** Records the admission (`ctx.state.admission`); the admin endpoint passes its overrides. */
export async function admitVisitor(ctx: ApiContext, options?: AdmitOptions): Promise<void> {
  ctx.state.admission = await ctx.state.deps.room.admit(ctx.state.eventId, ctx.state.requestId, options);
}

const admit: Step = async function admit(ctx, next) {
  await admitVisitor(ctx);
  if ((ctx.state.admission as AdmitOutcome).kind === 'unknown') {
    // A place the store lost, re-created from the visitor's receipt (http/place-receipt.ts).
    const { deps, eventId, requestId } = ctx.state;
    const restored = await restoreFromReceipt(deps, eventId, requestId, ctx.get('Cookie') || undefined);
    if (restored !== null) {
      for (const cookie of restored.setCookies) ctx.append('Set-Cookie', cookie);
      ctx.state.requestId = restored.entry.requestId;
      await admitVisitor(ctx);
    }
  }
  await next();
};

/**
 * 200 with the tokens, or 202 when the position is not served yet (a result, not an error);
 * a spent or unknown place is an error.
 */
export async function respondWithTokens(ctx: ApiContext): Promise<void> {
  const outcome = ctx.state.admission as AdmitOutcome;
  switch (outcome.kind) {
    case 'issued':
      ctx.set('Cache-Control', CACHE.none);
      ctx.body = await ctx.state.deps.room.signTokens(outcome.session);
      return;
    case 'not_yet':
    case 'full':
      ctx.set('Cache-Control', CACHE.none);
      ctx.status = 202;
      ctx.body =
        outcome.kind === 'full'
          ? { ...codeBody('not_yet', 'Every place is taken; retry shortly'), reason: 'full' }
          : { ...codeBody('not_yet'), reason: 'not_yet' };
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS.notYet));
      return;
    case 'prequeue':
      ctx.set('Cache-Control', CACHE.none);
      ctx.status = 202;
      ctx.body = { ...codeBody('prequeue'), phase: 'prequeue', starts_at: outcome.startsAt };
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS.notYet));
      return;
    case 'position_expired':
      throw new AnteroomError('position_expired');
    case 'session_ended':
      throw new AnteroomError('session_ended');
    case 'unknown':
      throw new AnteroomError('request_not_found');
  }
}

const respond: Step = function respond(ctx) {
  return respondWithTokens(ctx);
};

export const generateToken: Step[] = [readJsonBody, readEventId, readRequestId, admit, respond];
