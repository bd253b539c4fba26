/**
 * The adaptive inlet applied to a store: once a second the lease holder admits at the
 * current rate, and once per interval it reads the origin's health and steps the controller.
 *
 * Exactly one process acts per step across the cluster: the inlet lease keeps the others
 * (and their probes) idle, and the step itself is a compare-and-set on the stored state's
 * version that carries the admission with it (`advanceInlet`), so even two processes that
 * both believe they hold the lease (one paused past its ttl) admit each second once. The
 * state lives in the store: a restart, or another process taking the lease, continues it.
 */
import {
  type AdaptiveState,
  accrue,
  controlDue,
  controlStep,
  initialAdaptiveState,
  type OriginSignalReader,
} from './adaptive-inlet.ts';
import type { AdaptiveInlet, OriginHealth, PresenceRule, QueueStore } from './types.ts';

export interface AdaptiveTickResult {
  acted: boolean;
  incrementBy: number;
  /** The controller's state after this call (when it acted). */
  adaptive?: AdaptiveState;
  /** Why the signal gave no reading this step (for the log). */
  signalError?: string;
}

const IDLE: AdaptiveTickResult = Object.freeze({ acted: false, incrementBy: 0 });

export async function runAdaptive(
  store: QueueStore,
  eventId: string,
  inlet: AdaptiveInlet,
  now: number,
  lease: { name: string; owner: string; ttlMs: number },
  readSignal: OriginSignalReader | undefined,
  presence?: PresenceRule,
): Promise<AdaptiveTickResult> {
  if (!(await store.acquireLease(lease.name, lease.owner, lease.ttlMs))) return IDLE;
  const record = await store.getInletState(eventId);
  const stored = record === null ? null : decodeAdaptiveState(record.state);
  // Admissions up to now at the rate that held until now, then the controller's step.
  const accrued = accrue(inlet, stored ?? initialAdaptiveState(inlet, now), now);
  let state = accrued.state;
  let signalError: string | undefined;
  if (controlDue(inlet, state, now)) {
    const reading = await readOrigin(store, eventId, inlet, now, readSignal);
    signalError = reading.error;
    state = controlStep(inlet, state, reading.sample, now);
  }
  if (stored !== null && state === stored) return IDLE;
  const advance = await store.advanceInlet(
    eventId,
    record?.version ?? 0,
    JSON.stringify(state),
    accrued.admit,
    now,
    presence,
  );
  // Another process stepped since the read: it admitted this second, not us.
  if (advance === null) return IDLE;
  return {
    acted: true,
    incrementBy: advance.moved,
    ...(advance.admitted === undefined ? {} : { admitted: advance.admitted }),
    adaptive: state,
    ...(signalError === undefined ? {} : { signalError }),
  };
}

/** The controller's stored state, or null when there is none the controller can use. */
export async function readAdaptiveState(store: QueueStore, eventId: string): Promise<AdaptiveState | null> {
  const record = await store.getInletState(eventId);
  return record === null ? null : decodeAdaptiveState(record.state);
}

async function readOrigin(
  store: QueueStore,
  eventId: string,
  inlet: AdaptiveInlet,
  now: number,
  readSignal: OriginSignalReader | undefined,
): Promise<{ sample: OriginHealth | null; error?: string }> {
  if (inlet.signal.type === 'push') return { sample: await store.getOriginHealth(eventId) };
  if (readSignal === undefined) return { sample: null, error: 'this process cannot read the signal' };
  try {
    return { sample: await readSignal(inlet, now) };
  } catch (error) {
    return { sample: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** A stored state, checked field by field: anything else (an older format, a hand edit) restarts. */
export function decodeAdaptiveState(json: string): AdaptiveState | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const s = value as Partial<AdaptiveState> | null;
  if (typeof s !== 'object' || s === null) return null;
  const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  const ok =
    finite(s.rate) &&
    typeof s.reason === 'string' &&
    (s.signal === null || (typeof s.signal === 'object' && finite(s.signal?.latencyMs))) &&
    (s.controlledAt === null || finite(s.controlledAt)) &&
    finite(s.admittedThrough) &&
    finite(s.credit) &&
    finite(s.missing) &&
    (s.lastCut === null || (typeof s.lastCut === 'object' && finite(s.lastCut?.at)));
  return ok ? (s as AdaptiveState) : null;
}
