/**
 * Wait-estimate accuracy (API.md section 6): each admitted visitor's estimate at joining,
 * against the wait they had.
 *
 * Nothing is kept per waiting visitor. At admission the sample is rebuilt from what the store
 * keeps anyway: the request id gives the position, the entry-time changes the joining time, and
 * the serving history (kept whole) both the history as it stood at joining (the estimate is
 * recomputed with it, by the function the status answers use) and the moment the serving counter
 * reached the position (the real wait: until the visitor could go in, not until they did).
 * A visitor who joined a pre-queue had no estimate until the draw: theirs is the one they got
 * when the queue opened, against their wait from the start (the countdown before it is exact).
 */
import { prequeueStart } from './draw/schedule.ts';
import type { EtaSample, EventSettings, ServingHistoryRow } from './types.ts';
import { estimateWait } from './wait-estimate.ts';

/** What `eta_accuracy` says (the admin event view). */
export interface EtaAccuracy {
  /** Admitted visitors who were shown an estimate (of the newest kept). */
  samples: number;
  p50_abs_error_seconds: number | null;
  p90_abs_error_seconds: number | null;
  /** Median of |estimate − wait| / wait (a wait under a second counts as one second). */
  p50_rel_error: number | null;
}

/**
 * The sample of a visitor at `position` who joined at `entryTime`, from the serving history as
 * it stood when their estimate was shown (`rows`: the newest rows written up to
 * `historyUpTo(event, entryTime)`) and the time their position was reached (null: no row covers
 * it, as in pass-through; then `admittedAt`). Null when they were shown no estimate.
 */
export function etaSampleOf(
  event: EventSettings,
  entry: { position: number; entryTime: number },
  rows: readonly ServingHistoryRow[],
  reachedAt: number | null,
  admittedAt: number,
): EtaSample | null {
  const serving = rows.at(-1)?.serving ?? 0;
  const { position, entryTime } = entry;
  const estimated = estimateWait(event, { position, serving, history: rows, now: entryTime });
  if (estimated === null) return null;
  return { estimated, actual: Math.max(entryTime, reachedAt ?? admittedAt) - entryTime };
}

/**
 * The last second of serving history the estimate shown on joining saw. Times are whole
 * seconds: a change in the joining second itself is taken as coming after the join. A drawn
 * pre-queue's positions are entered at the start (`startAt` is their entry time: the wait is
 * counted from it, the countdown before it being exact); their first estimate comes with the
 * inlet pass that drew them, which may already have let the first ones in: that second counts.
 */
export function historyUpTo(event: EventSettings, entryTime: number): number {
  return prequeueStart(event) === entryTime ? entryTime : entryTime - 1;
}

/** |estimate − wait| / wait, a wait under a second counting as one second. */
export function relativeError(sample: EtaSample): number {
  return Math.abs(sample.estimated - sample.actual) / Math.max(1, sample.actual);
}

/** The summary of `samples` (any order). */
export function summarizeEta(samples: readonly EtaSample[]): EtaAccuracy {
  if (samples.length === 0)
    return { samples: 0, p50_abs_error_seconds: null, p90_abs_error_seconds: null, p50_rel_error: null };
  const absolute = samples.map((s) => Math.abs(s.estimated - s.actual)).sort((a, b) => a - b);
  const relative = samples.map(relativeError).sort((a, b) => a - b);
  return {
    samples: samples.length,
    p50_abs_error_seconds: percentile(absolute, 0.5),
    p90_abs_error_seconds: percentile(absolute, 0.9),
    p50_rel_error: Math.round(percentile(relative, 0.5) * 1000) / 1000,
  };
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}
