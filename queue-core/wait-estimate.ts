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
import type { ServingHistoryRow } from './types.ts';

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
