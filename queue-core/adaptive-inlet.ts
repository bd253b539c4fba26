/**
 * The adaptive inlet's controller (API.md section 7): the admission rate follows the origin's
 * health. Pure functions of the settings, the stored state, one signal sample and the clock;
 * `inlet.ts` applies them to a store so that exactly one process acts per interval.
 *
 * The rules, once per `intervalSeconds` (docs/adaptive-inlet.md shows why, with plots):
 * - severity = max(latency / target latency, error rate / target error rate);
 * - above target (severity > 1): cut the rate by 10 % just above, up to 50 % at 1.5× and
 *   beyond; then wait up to three intervals for the cut to show (the origin still holds the
 *   sessions admitted before it) unless the signal gets 10 % worse meanwhile;
 * - near target (0.8–1): hold;
 * - below (< 0.8): rise by 3 % an interval (at least 1 a minute); by 10 % while the origin is
 *   under half its target, was below target at the previous reading too, and is not climbing
 *   (5 % or more since that reading: the load of the last rises is still arriving);
 * - no fresh reading: hold; three intervals without one (the signal failed, or nobody ran the
 *   controller): `minPerMinute`;
 * - the rate never leaves [`minPerMinute`, `maxPerMinute`].
 * Between steps the inlet admits at the current rate, second by second, carrying fractions.
 */

import type { AdaptiveInlet, OriginHealth } from './types.ts';

/** Why the rate is what it is: shown as `inlet_state.reason`. */
export const ADAPTIVE_REASONS = {
  starting: 'No reading of the origin yet: admitting at the start rate.',
  below_target: 'The origin is below its target: the rate rises.',
  near_target: 'The origin is close to its target: the rate holds.',
  above_target: 'The origin is above its target: the rate falls.',
  waiting_for_effect: 'The origin is still above its target: waiting for the last cut to take effect.',
  at_max: 'The origin is below its target and the rate is at its maximum.',
  signal_stale: 'No fresh reading of the origin this interval: the rate holds.',
  signal_missing: 'No reading of the origin for three intervals: admitting at the minimum rate.',
} as const;

export type AdaptiveReason = keyof typeof ADAPTIVE_REASONS;

/** The controller's memory, kept in the store (JSON) so any process continues it. */
export interface AdaptiveState {
  /** Admissions per minute. */
  rate: number;
  reason: AdaptiveReason;
  /** The last reading the controller acted on. */
  signal: OriginHealth | null;
  /** Epoch seconds of the last controller step; null before the first. */
  controlledAt: number | null;
  /** Admissions are accounted up to this epoch second. */
  admittedThrough: number;
  /** The fraction of an admission carried to the next second (0 ≤ credit < 1). */
  credit: number;
  /** Consecutive steps without a fresh reading. */
  missing: number;
  /** The last cut: when, and the severity that caused it. */
  lastCut: { at: number; severity: number } | null;
}

/** The controller's constants: one place, each with why. */
export const ADAPTIVE_RULES = Object.freeze({
  /** Below this severity the rate rises; from it up to 1 it holds. */
  riseBelow: 0.8,
  /** Rise per interval below target. */
  rise: 0.03,
  /** Rise per interval far below target (under `fastBelow`, below it before, not climbing). */
  fastRise: 0.1,
  fastBelow: 0.5,
  /** Severity grown by this factor since the previous reading: the origin is climbing. */
  climbingBy: 1.05,
  /** The smallest rise, admissions per minute (so a rate of 0 can rise). */
  riseFloor: 1,
  /** The cut at severity just above 1, and the largest cut (reached at severity 1.5). */
  smallestCut: 0.1,
  largestCut: 0.5,
  /** After a cut, intervals to wait for its effect before cutting again … */
  cutSpacing: 3,
  /** … unless the severity grew by this factor since the cut. */
  worseBy: 1.1,
  /** Intervals without a fresh reading before the rate drops to the minimum. */
  missingLimit: 3,
  /** A reading older than this many intervals is never acted on. */
  maxSampleAgeIntervals: 3,
});

/** The state of a controller that has not run yet. */
export function initialAdaptiveState(inlet: AdaptiveInlet, now: number): AdaptiveState {
  return {
    rate: clampRate(inlet, inlet.startPerMinute ?? inlet.minPerMinute),
    reason: 'starting',
    signal: null,
    controlledAt: null,
    admittedThrough: now,
    credit: 0,
    missing: 0,
    lastCut: null,
  };
}

/** How far above (> 1) or below (< 1) its target the origin is. */
export function severity(inlet: AdaptiveInlet, sample: OriginHealth): number {
  const latency = sample.latencyMs / inlet.target.latencyMs;
  const errors = ratio(sample.errorRate, inlet.target.errorRate);
  return Math.max(latency, errors);
}

/** Is a controller step due at `now` (the caller then reads the signal)? */
export function controlDue(inlet: AdaptiveInlet, state: AdaptiveState, now: number): boolean {
  return state.controlledAt === null || now - state.controlledAt >= inlet.intervalSeconds;
}

/**
 * Account the admissions due from `state.admittedThrough` to `now` at the current rate. A
 * gap (the inlet paused, every process down) admits at most one interval's worth, so a
 * restart is not a burst; what the queue cannot use is not banked (the store caps the advance).
 */
export function accrue(
  inlet: AdaptiveInlet,
  state: AdaptiveState,
  now: number,
): { admit: number; state: AdaptiveState } {
  if (now <= state.admittedThrough) return { admit: 0, state };
  const elapsed = Math.min(now - state.admittedThrough, inlet.intervalSeconds);
  const due = state.credit + (clampRate(inlet, state.rate) * elapsed) / 60;
  const admit = Math.floor(due);
  return { admit, state: { ...state, admittedThrough: now, credit: due - admit } };
}

/**
 * One controller step at `now` with the latest reading (`null` when the signal could not be
 * read). A reading counts only when it is newer than the last one acted on and not older
 * than three intervals; each interval since the last step without one counts as missing.
 */
export function controlStep(
  inlet: AdaptiveInlet,
  state: AdaptiveState,
  sample: OriginHealth | null,
  now: number,
): AdaptiveState {
  const rules = ADAPTIVE_RULES;
  const interval = inlet.intervalSeconds;
  const skipped =
    state.controlledAt === null ? 0 : Math.max(0, Math.floor((now - state.controlledAt) / interval) - 1);
  const fresh =
    sample !== null &&
    sample.at > now - rules.maxSampleAgeIntervals * interval &&
    (state.signal === null || sample.at > state.signal.at);
  const base: AdaptiveState = { ...state, controlledAt: now, rate: clampRate(inlet, state.rate) };

  if (!fresh) {
    const missing = state.missing + skipped + 1;
    if (missing >= rules.missingLimit) {
      return { ...base, missing, rate: inlet.minPerMinute, reason: 'signal_missing' };
    }
    return { ...base, missing, reason: state.controlledAt === null ? 'starting' : 'signal_stale' };
  }

  // The steps nobody took (every process down, the inlet paused) had no reading either.
  const lost = state.missing + skipped >= rules.missingLimit;
  const from: AdaptiveState = lost
    ? { ...base, rate: inlet.minPerMinute, signal: null, lastCut: null }
    : base;
  const next: AdaptiveState = { ...from, signal: sample, missing: 0 };
  const level = severity(inlet, sample);

  if (level > 1) {
    const cut = next.lastCut;
    const recent = cut !== null && now - cut.at < rules.cutSpacing * interval;
    if (recent && level <= cut.severity * rules.worseBy) {
      return { ...next, reason: 'waiting_for_effect' };
    }
    return {
      ...next,
      rate: clampRate(inlet, next.rate * (1 - cutFraction(level))),
      reason: 'above_target',
      lastCut: { at: now, severity: level },
    };
  }
  if (level >= rules.riseBelow) return { ...next, reason: 'near_target' };
  if (next.rate >= inlet.maxPerMinute) return { ...next, rate: inlet.maxPerMinute, reason: 'at_max' };
  const previous = from.signal === null ? null : severity(inlet, from.signal);
  const fast =
    level < rules.fastBelow &&
    previous !== null &&
    previous < rules.riseBelow &&
    level < previous * rules.climbingBy;
  const factor = fast ? rules.fastRise : rules.rise;
  const step = Math.max(next.rate * factor, rules.riseFloor);
  return { ...next, rate: clampRate(inlet, next.rate + step), reason: 'below_target' };
}

/** 10 % just above target, growing linearly to 50 % at 1.5× the target and beyond. */
export function cutFraction(level: number): number {
  const { smallestCut, largestCut } = ADAPTIVE_RULES;
  const grown = smallestCut + (largestCut - smallestCut) * ((level - 1) / 0.5);
  return Math.min(largestCut, Math.max(smallestCut, grown));
}

export function clampRate(inlet: AdaptiveInlet, rate: number): number {
  if (!Number.isFinite(rate)) return inlet.minPerMinute;
  return Math.min(inlet.maxPerMinute, Math.max(inlet.minPerMinute, rate));
}

/** value / target, where any error over a target of 0 is infinitely far above it. */
function ratio(value: number, target: number): number {
  if (target > 0) return value / target;
  return value > 0 ? Number.POSITIVE_INFINITY : 0;
}

/**
 * Reads an adaptive event's `probe` or `prometheus` signal at `now` (provided from outside
 * queue-core: it is HTTP). Rejects when there is no reading; the error says why.
 */
export type OriginSignalReader = (inlet: AdaptiveInlet, now: number) => Promise<OriginHealth>;
