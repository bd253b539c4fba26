/** What a proving-ground run shows, computed from its rows (the same for the test and the bench). */
import type { ProvingGroundResult, ProvingGroundRow } from './run.ts';

export interface Window {
  /** Seconds from the start, [from, to). */
  from: number;
  to: number;
}

/** Positions admitted a minute over a window, as a share of the capacity rate then. */
export function admittedShare(rows: readonly ProvingGroundRow[], window: Window): number {
  const inside = rows.filter((row) => row.t >= window.from && row.t < window.to);
  const admitted = inside.reduce((sum, row) => sum + row.admitted, 0);
  const capacity = inside.reduce((sum, row) => sum + row.capacityPerMinute / 60, 0);
  return admitted / capacity;
}

/** The highest rate over the capacity rate, and the most sessions over the capacity, in a window. */
export function overshoot(rows: readonly ProvingGroundRow[], window: Window): { rate: number; load: number } {
  const inside = rows.filter((row) => row.t >= window.from && row.t < window.to);
  return {
    rate: Math.max(...inside.map((row) => row.ratePerMinute / row.capacityPerMinute)),
    load: Math.max(...inside.map((row) => row.active / row.capacity)),
  };
}

/** Seconds the origin's p95 or error rate was over the target, in a window (all by default). */
export function secondsAboveTarget(
  result: ProvingGroundResult,
  window: Window = { from: 0, to: Number.POSITIVE_INFINITY },
  errorRateTarget = 0.01,
): number {
  return result.rows.filter(
    (row) =>
      row.t >= window.from &&
      row.t < window.to &&
      (row.latencyMs > result.latencyTargetMs || row.errorRate > errorRateTarget),
  ).length;
}

/**
 * Controller intervals from `at` (a capacity change) until the rate first fell below what it
 * was then; null when it never did before `to`.
 */
export function intervalsToBackOff(result: ProvingGroundResult, at: number, to: number): number | null {
  const before = result.rows.find((row) => row.t === at)?.ratePerMinute;
  if (before === undefined) return null;
  const fell = result.rows.find((row) => row.t > at && row.t < to && row.ratePerMinute < before);
  return fell === undefined ? null : Math.ceil((fell.t - at) / result.intervalSeconds);
}

/** The first second from `from` at which the rate reached `share` of the capacity rate; null if never. */
export function reachedShare(rows: readonly ProvingGroundRow[], from: number, share: number): number | null {
  const row = rows.find(
    (candidate) => candidate.t >= from && candidate.ratePerMinute >= share * candidate.capacityPerMinute,
  );
  return row === undefined ? null : row.t;
}

/** The largest rate in a window (admissions a minute). */
export function peakRate(rows: readonly ProvingGroundRow[], window: Window): number {
  return Math.max(
    ...rows.filter((row) => row.t >= window.from && row.t < window.to).map((row) => row.ratePerMinute),
  );
}
