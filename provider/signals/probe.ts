/**
 * The `probe` signal: Anteroom times GETs of the origin's URL itself. Several requests are
 * sent at once at each controller step; the reading is their p95 latency (nearest rank) and
 * the share that failed. A failure is a network error, a timeout (counted at the timeout's
 * length) or an answer outside 200–399. Redirects are not followed: the probe times the
 * origin's own answer.
 */
import type { AdaptiveInlet, OriginHealth, ProbeSignal } from '../../queue-core/types.ts';
import { send } from './fetch-json.ts';

// `performance` is Node's global, read when a probe runs: importing `node:perf_hooks` with this
// module cost every Lambda cold start about 1.4 ms of CPU.

export const PROBE_DEFAULTS = Object.freeze({
  /** Requests per reading. */
  samples: 5,
  /** The timeout is twice the latency target, within these bounds (ms). */
  minTimeoutMs: 1000,
  maxTimeoutMs: 10_000,
});

export function probeTimeoutMs(inlet: AdaptiveInlet): number {
  const { minTimeoutMs, maxTimeoutMs } = PROBE_DEFAULTS;
  return Math.min(maxTimeoutMs, Math.max(minTimeoutMs, 2 * inlet.target.latencyMs));
}

interface Timing {
  ms: number;
  ok: boolean;
}

/** One reading at `now` (epoch seconds): never rejects, the origin being down is a reading too. */
export async function readProbe(
  signal: ProbeSignal,
  inlet: AdaptiveInlet,
  now: number,
  samples: number = PROBE_DEFAULTS.samples,
): Promise<OriginHealth> {
  const timeoutMs = probeTimeoutMs(inlet);
  const timings = await Promise.all(Array.from({ length: samples }, () => timeOne(signal.url, timeoutMs)));
  const sorted = timings.map((timing) => timing.ms).sort((a, b) => a - b);
  const p95 = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]!;
  const failed = timings.filter((timing) => !timing.ok).length;
  return { latencyMs: Math.round(p95), errorRate: failed / timings.length, at: now };
}

async function timeOne(url: string, timeoutMs: number): Promise<Timing> {
  const started = performance.now();
  try {
    const answer = await send({ url, timeoutMs });
    return { ms: performance.now() - started, ok: answer.status >= 200 && answer.status < 400 };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return { ms: timedOut ? timeoutMs : performance.now() - started, ok: false };
  }
}
