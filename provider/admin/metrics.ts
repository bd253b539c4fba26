/** Admin `GET /metrics` — Prometheus text format. */
import type { Step } from '../http/context.ts';
import { CACHE } from '../http/steps.ts';

const respond: Step = async function respond(ctx) {
  const { registry } = ctx.state.deps.metrics;
  const text = await registry.metrics();
  ctx.set('Cache-Control', CACHE.none);
  ctx.type = registry.contentType;
  ctx.body = text;
};

export const metrics: Step[] = [respond];
