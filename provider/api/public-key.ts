/** `GET /public_key` — the current admission signing key as one bare public JWK (AWS-compatible). */
import type { Step } from '../http/context.ts';
import { CACHE, loadEvent, readEventId } from '../http/steps.ts';

const respond: Step = function respond(ctx) {
  ctx.set('Cache-Control', CACHE.keys);
  ctx.body = ctx.state.deps.keys.publicJwk();
};

export const publicKey: Step[] = [readEventId, loadEvent, respond];
