/**
 * Wait-time estimate from the serving counter's history.
 *
 * Model. Between two consecutive history rows the counter is taken to have moved at a
 * constant rate (Δserving / Δtime): an advance of 50 that followed 60 quiet seconds
 * counts as 50/60 per second spread over that minute, so bursts are smoothed out. The
 * admission rate is the exponentially weighted average of that piecewise-constant
 * rate over the last `windowSeconds` (default 10 minutes, and at least the last
 * interval), each instant weighted by exp(−age / timeConstantSeconds) (default 3
 * minutes), so recent behaviour dominates while one odd interval cannot swing it.
 *
 * Pauses. The time since the last advance counts as "nothing admitted" only beyond the
 * usual gap between advances (the mean interval in the window): a periodic inlet that
 * ticks every minute does not dip between ticks, but a stopped one decays towards 0.
 * When the last advance is older than max(window, twice the last interval), the
 * history says nothing about the present and the estimate is unknown (null).
 *
 * Rows that share one second are merged (the counter's value at the end of that second).
 * A negative change (an operator correcting the counter) counts against the rate.
 */
import type { EventSettings, PeriodicInlet, ServingHistoryRow } from './types.ts';

export interface RateOptions {
  /** How far back history is considered (seconds, default 600). */
  windowSeconds?: number | undefined;
  /** Time constant of the exponential weighting (seconds, default 180). */
  timeConstantSeconds?: number | undefined;
}

export interface WaitInput extends RateOptions {
  position: number;
  serving: number;
  /** Serving-counter changes, any order. */
  history: readonly Pick<ServingHistoryRow, 'serving' | 'time'>[];
  now: number;
}

const DEFAULT_WINDOW_SECONDS = 600;
const DEFAULT_TIME_CONSTANT_SECONDS = 180;

/**
 * Seconds until `position` is reached: 0 once it is served, null while the history
 * cannot tell (fewer than 2 advances, no progress, or the last advance long ago).
 */
export function estimateWaitSeconds(input: WaitInput): number | null {
  if (input.position <= input.serving) return 0;
  const rate = admissionRate(input.history, input.now, input);
  if (rate === null) return null;
  // The epsilon keeps floating-point noise (199.99999999 or 200.00000001) from adding a second.
  return Math.ceil((input.position - input.serving) / rate - 1e-9);
}

/**
 * The estimate a visitor of `event` is shown (the status answers, and the wait-estimate
 * accuracy's recomputation of it at joining): one function, so the two never differ.
 *
 * Where the inlet says more than the history, it is used (the figures are in the README,
 * "Wait-estimate accuracy", from test/queue-core/eta-accuracy.test.ts):
 * - periodic, while the queue runs and nothing else moves the counter (`abandonAfterSeconds`
 *   passing absent visitors, `incrementServingOnExpiry` replacing expired positions: both move it
 *   faster than the ticks, which the history then shows): the ticks are known in advance (`startTime` + k ×
 *   `intervalSeconds`, each letting in `incrementBy`), so the wait is the time to the tick
 *   that reaches the position. From the history alone the first visitors got no estimate and
 *   the rest one smoothed over ticks; a drawn pre-queue got none at all (no history at the start).
 * - max-size: the first `maxActive` admissions fill the empty room at the pace visitors
 *   arrive, not at the pace sessions end, which is what the rest of the line waits for; the
 *   rows of that fill are left out of the rate.
 */
export function estimateWait(
  event: Pick<EventSettings, 'inlet' | 'mode'> & {
    abandonAfterSeconds?: number | null | undefined;
    incrementServingOnExpiry?: boolean | undefined;
  },
  input: Omit<WaitInput, keyof RateOptions>,
): number | null {
  const { inlet } = event;
  if (input.position <= input.serving) return 0;
  const ticksAlone = event.abandonAfterSeconds == null && event.incrementServingOnExpiry !== true;
  if (inlet.type === 'periodic' && event.mode === 'queue' && ticksAlone) return periodicWait(inlet, input);
  if (inlet.type === 'max-size') {
    // Until the room has been full once, a place is free: the next positions go in at once.
    if (input.serving < inlet.maxActive) return input.position <= inlet.maxActive ? 0 : null;
    const fillEnd = input.history.findIndex((row) => row.serving >= inlet.maxActive);
    return estimateWaitSeconds({ ...input, history: input.history.slice(Math.max(0, fillEnd)) });
  }
  return estimateWaitSeconds(input);
}

/**
 * Seconds until the periodic tick that reaches `position`. The tick of the current interval
 * has run, unless the interval begins this very second and the counter has not moved in it.
 * Null when that tick would come at or after the inlet's `endTime`.
 */
function periodicWait(
  inlet: PeriodicInlet,
  input: Pick<WaitInput, 'position' | 'serving' | 'history' | 'now'>,
): number | null {
  const { now, position, serving } = input;
  const start = inlet.startTime ?? 0;
  const interval = inlet.intervalSeconds;
  let next: number;
  if (now < start) {
    next = start;
  } else {
    const current = start + Math.floor((now - start) / interval) * interval;
    const movedNow = input.history.some((row) => row.time === now);
    next = now === current && !movedNow ? current : current + interval;
  }
  const at = next + (Math.ceil((position - serving) / inlet.incrementBy) - 1) * interval;
  if (inlet.endTime !== undefined && at >= inlet.endTime) return null;
  return at - now;
}

/** Positions admitted per second (> 0), or null when unknown. */
export function admissionRate(
  history: readonly Pick<ServingHistoryRow, 'serving' | 'time'>[],
  now: number,
  options: RateOptions = {},
): number | null {
  const window = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const tau = options.timeConstantSeconds ?? DEFAULT_TIME_CONSTANT_SECONDS;
  const rows = mergeSameSecond(history.filter((row) => row.time <= now));
  if (rows.length < 2) return null;

  const last = rows[rows.length - 1]!;
  const lastInterval = last.time - rows[rows.length - 2]!.time;
  if (now - last.time > Math.max(window, 2 * lastInterval)) return null;

  // The window always covers the last interval, so a slow schedule (one advance every
  // 15 minutes) still has a rate between its advances.
  const windowStart = Math.min(now - window, rows[rows.length - 2]!.time);
  // Weight of the time span [from, to] (epoch seconds): ∫ exp(−(now − t)/τ) dt.

  const weight = (from: number, to: number): number => {
    const start = Math.max(from, windowStart);
    if (to <= start) return 0;
    return tau * (Math.exp(-(now - to) / tau) - Math.exp(-(now - start) / tau));
  };

  let admitted = 0; // weighted positions
  let elapsed = 0; // weighted seconds
  let gaps = 0;
  let gapCount = 0;
  for (let index = 1; index < rows.length; index++) {
    const previous = rows[index - 1]!;
    const current = rows[index]!;
    const duration = current.time - previous.time;
    const mass = weight(previous.time, current.time);
    if (mass === 0) continue;
    admitted += ((current.serving - previous.serving) / duration) * mass;
    elapsed += mass;
    gaps += duration;
    gapCount += 1;
  }
  if (gapCount === 0) return null;

  // The quiet time since the last advance, beyond the usual gap, admitted nothing.
  const usualGap = gaps / gapCount;
  elapsed += weight(last.time + usualGap, now);

  const rate = admitted / elapsed;
  return rate > 0 && Number.isFinite(rate) ? rate : null;
}

function mergeSameSecond(
  history: readonly Pick<ServingHistoryRow, 'serving' | 'time'>[],
): { serving: number; time: number }[] {
  const sorted = [...history].sort((a, b) => a.time - b.time);
  const merged: { serving: number; time: number }[] = [];
  for (const row of sorted) {
    const tail = merged[merged.length - 1];
    if (tail !== undefined && tail.time === row.time) tail.serving = row.serving;
    else merged.push({ serving: row.serving, time: row.time });
  }
  return merged;
}
