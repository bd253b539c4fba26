/** Admin `GET /audit` (extension) — the newest audit entries first (`limit`, default 100, max 1000). */
import { parsePageLimit } from '../../queue-core/validate.ts';
import type { Step } from '../http/context.ts';
import { CACHE } from '../http/steps.ts';
import { auditView } from './audit-trail.ts';

const respond: Step = async function respond(ctx) {
  const limit = parsePageLimit(ctx.query.limit);
  const entries = await ctx.state.deps.store.listAudit(limit);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { items: entries.map(auditView) };
};

export const audit: Step[] = [respond];
