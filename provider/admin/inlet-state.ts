/**
 * `inlet_state` (API.md section 7): what the adaptive inlet's controller is doing, for the
 * event view, the answer to `POST /origin_health`, the metrics and the dashboard. null for
 * the other inlets.
 */
import { clampRate, initialAdaptiveState } from '../../queue-core/adaptive-inlet.ts';
import { readAdaptiveState } from '../../queue-core/adaptive-tick.ts';
import type { EventSettings, OriginHealth, QueueStore } from '../../queue-core/types.ts';

export interface InletStateView {
  /** Admissions per minute the inlet applies now. */
  rate_per_minute: number;
  /** The latest reading of the origin's health (null before the first). */
  signal: { latency_ms: number; error_rate: number; at: number } | null;
  /** Why the rate is what it is (`ADAPTIVE_REASONS`). */
  reason: string;
}

export async function inletStateView(
  store: QueueStore,
  event: EventSettings,
  now: number,
): Promise<InletStateView | null> {
  const inlet = event.inlet;
  if (inlet.type !== 'adaptive') return null;
  const [stored, pushed] = await Promise.all([
    readAdaptiveState(store, event.id),
    inlet.signal.type === 'push' ? store.getOriginHealth(event.id) : null,
  ]);
  const state = stored ?? initialAdaptiveState(inlet, now);
  const latest = newest(state.signal, pushed);
  return {
    rate_per_minute: Math.round(clampRate(inlet, state.rate) * 100) / 100,
    signal:
      latest === null ? null : { latency_ms: latest.latencyMs, error_rate: latest.errorRate, at: latest.at },
    reason: state.reason,
  };
}

function newest(a: OriginHealth | null, b: OriginHealth | null): OriginHealth | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.at >= a.at ? b : a;
}
