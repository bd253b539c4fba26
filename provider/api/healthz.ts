/** `GET /healthz` — `{"ok": true}`, or 503 when the store is unreachable. */
import { StoreUnavailableError } from '../../queue-core/errors.ts';
import type { Step } from '../http/context.ts';
import { CACHE } from '../http/steps.ts';

const pingStore: Step = async function pingStore(ctx) {
  ctx.set('Cache-Control', CACHE.none);
  let ok = false;
  try {
    ok = await ctx.state.deps.store.ping();
  } catch {
    ok = false;
  }
  if (!ok) throw new StoreUnavailableError();
  ctx.body = { ok: true };
};

export const healthz: Step[] = [pingStore];
