/** `GET /.well-known/jwks.json` — every public key that still verifies admission tokens. */
import type { Step } from '../http/context.ts';
import { CACHE } from '../http/steps.ts';

const respond: Step = function respond(ctx) {
  ctx.set('Cache-Control', CACHE.keys);
  ctx.body = ctx.state.deps.keys.jwks();
};

export const jwks: Step[] = [respond];
