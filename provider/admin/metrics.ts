/**
 * Admin `GET /metrics` — Prometheus text format. The registry is built (prom-client loaded) by
 * the first scrape in a Lambda container, with every count made before it; `anteroom serve`
 * built it at start.
 */
import type { Step } from '../http/context.ts';
import { CACHE } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const registry = await ctx.state.deps.metrics.ready();
  const text = await registry.metrics();
  ctx.set('Cache-Control', CACHE.none);
  ctx.type = registry.contentType;
  ctx.body = text;
};

export const metrics: Step[] = [respond];
