/**
 * Admin `POST /origin_health {"event_id", "latency_ms", "error_rate"}` (API.md section 7): the
 * origin, or its monitoring, reports its health to an adaptive inlet whose signal is `push`.
 * The reading is kept in the store with the time it arrived; the controller uses the latest
 * one at its next step. Answers 200 `{"inlet_state"}`. An admin key limited to the
 * `origin_health` scope may call this and nothing else.
 */
import { AnteroomError, ValidationError } from '../../queue-core/errors.ts';
import type { OriginHealth } from '../../queue-core/types.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { CACHE, loadEvent, readEventId } from '../http/steps.ts';
import { inletStateView } from './inlet-state.ts';

/** The slowest latency taken: an hour (anything above is a unit mistake). */
const MAX_LATENCY_MS = 3_600_000;

const readReading: Step = async function readReading(ctx, next) {
  const { body } = ctx.state;
  const latency = body['latency_ms'];
  const errorRate = body['error_rate'];
  if (typeof latency !== 'number' || !(latency >= 0 && latency <= MAX_LATENCY_MS)) {
    throw new ValidationError(
      'latency_ms',
      `latency_ms must be a number of milliseconds from 0 to ${MAX_LATENCY_MS}`,
      'invalid_origin_health',
    );
  }
  if (typeof errorRate !== 'number' || !(errorRate >= 0 && errorRate <= 1)) {
    throw new ValidationError(
      'error_rate',
      'error_rate must be a fraction from 0 to 1',
      'invalid_origin_health',
    );
  }
  const reading: OriginHealth = {
    latencyMs: latency,
    errorRate,
    at: Math.floor(ctx.state.deps.nowMs() / 1000),
  };
  ctx.state.reading = reading;
  await next();
};

const requirePushSignal: Step = async function requirePushSignal(ctx, next) {
  const inlet = ctx.state.event.inlet;
  if (inlet.type !== 'adaptive' || inlet.signal.type !== 'push') {
    throw new AnteroomError('signal_not_push');
  }
  await next();
};

const storeReading: Step = async function storeReading(ctx) {
  const { deps, event } = ctx.state;
  const reading = ctx.state.reading as OriginHealth;
  await deps.store.putOriginHealth(event.id, reading);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { inlet_state: await inletStateView(deps.store, event, reading.at) };
};

export const originHealth: Step[] = [
  readJsonBody,
  readEventId,
  loadEvent,
  readReading,
  requirePushSignal,
  storeReading,
];
