/**
 * Inlet strategies: how the serving counter moves on its own.
 *
 * The decisions are pure functions of settings, counters and the clock; `runInletTick`
 * applies them to a store so that, however many processes (or Lambda invocations)
 * call it, each periodic tick advances once and only one process steers a max-size
 * event at a time.
 *
 * Neither inlet moves the serving counter past the queue counter (the last position
 * assigned): a periodic tick admits up to `incrementBy` of the visitors actually queued,
 * so an idle hour does not bank admissions that a crowd arriving later would all use at
 * once (the retired AWS solution's "periodic inlet ignores queue length").
 */

import type { AdaptiveState, OriginSignalReader } from './adaptive-inlet.ts';
import { runAdaptive } from './adaptive-tick.ts';
import { ROOM_DEFAULTS } from './defaults.ts';
import type { EventSettings, MaxSizeInlet, PeriodicInlet, QueueStore } from './types.ts';

export interface PeriodicDecision {
  /** Tick number: `floor((now − (startTime ?? 0)) / intervalSeconds)`. */
  tick: number;
  incrementBy: number;
}

/** The periodic tick due at `now`, or null outside `[startTime, endTime)`. */
export function periodicDecision(inlet: PeriodicInlet, now: number): PeriodicDecision | null {
  const start = inlet.startTime ?? 0;
  if (now < start) return null;
  if (inlet.endTime !== undefined && now >= inlet.endTime) return null;
  return { tick: Math.floor((now - start) / inlet.intervalSeconds), incrementBy: inlet.incrementBy };
}

/**
 * Epoch second at which a tick begins: what `advanceOnTick` records. Tick numbers restart
 * whenever the interval or the start time changes (a live settings change), while tick
 * start times keep growing with the clock, so a changed schedule neither stalls (its tick
 * numbers would sit below the last one claimed) nor runs twice in one slot.
 */
export function tickStartTime(inlet: PeriodicInlet, tick: number): number {
  return (inlet.startTime ?? 0) + tick * inlet.intervalSeconds;
}

export interface MaxSizeState {
  maxActive: number;
  /** Sessions with status active and an unexpired token. */
  active: number;
  /** Counters of the event (see `Counters`). */
  serving: number;
  queue: number;
  tokens: number;
  expired: number;
}

/**
 * How far to advance the serving counter so that active sessions plus served positions
 * that have not claimed their token yet never exceed `maxActive`.
 *
 * outstanding = max(0, min(serving, queue) − tokens − expired): positions already let
 * through that may still claim a token. Completed, abandoned and expired sessions are
 * not active, so they free places. The advance never goes negative (the inlet never
 * takes back a place) and never past the end of the queue (a counter running ahead of
 * the queue would admit future arrivals unchecked).
 */
export function maxSizeDecision(state: MaxSizeState): number {
  const outstanding = Math.max(0, Math.min(state.serving, state.queue) - state.tokens - state.expired);
  const capacity = state.maxActive - state.active - outstanding;
  const room = Math.max(0, state.queue - state.serving);
  return Math.min(Math.max(capacity, 0), room);
}

export interface InletTickResult {
  /**
   * Periodic: this caller took the tick (even when nobody new was queued to admit).
   * Max-size: this caller moved the counter.
   */
  acted: boolean;
  /** How far this call moved the serving counter (0 when it did not). */
  incrementBy: number;
  /** Adaptive: the controller's state after this call. */
  adaptive?: AdaptiveState;
  /** Adaptive: why the origin's signal gave no reading this step. */
  signalError?: string;
}

export interface InletTickOptions {
  /** Max-size and adaptive lease lifetime; the holder renews it on every tick (default 15 s). */
  leaseMs?: number | undefined;
  /** Reads the adaptive inlet's probe and Prometheus signals (HTTP lives outside queue-core). */
  readSignal?: OriginSignalReader | undefined;
}

const IDLE: InletTickResult = Object.freeze({ acted: false, incrementBy: 0 });

/**
 * Run the event's inlet once at `now`. `owner` names the calling process (for the
 * max-size and adaptive lease). Only events in mode `queue` are moved.
 */
export async function runInletTick(
  store: QueueStore,
  event: EventSettings,
  now: number,
  owner: string,
  options: InletTickOptions = {},
): Promise<InletTickResult> {
  if (event.mode !== 'queue') return IDLE;
  switch (event.inlet.type) {
    case 'manual':
      return IDLE;
    case 'periodic':
      return runPeriodic(store, event.id, event.inlet, now);
    case 'max-size':
      return runMaxSize(
        store,
        event.id,
        event.inlet,
        now,
        owner,
        options.leaseMs ?? ROOM_DEFAULTS.maxSizeLeaseMs,
      );
    case 'adaptive': {
      const ttlMs = options.leaseMs ?? ROOM_DEFAULTS.maxSizeLeaseMs;
      const lease = { name: inletLockName(event.id), owner, ttlMs };
      return runAdaptive(store, event.id, event.inlet, now, lease, options.readSignal);
    }
  }
}

export function inletLockName(eventId: string): string {
  return `inlet:${eventId}`;
}

async function runPeriodic(
  store: QueueStore,
  eventId: string,
  inlet: PeriodicInlet,
  now: number,
): Promise<InletTickResult> {
  const decision = periodicDecision(inlet, now);
  if (decision === null) return IDLE;
  // Taking the tick and advancing are one atomic store step: exactly one caller per tick
  // advances, even with many schedulers running, and a failure never takes a tick without
  // its advance (which would lose it).
  // The store caps the advance at the queue counter and reports how far this tick moved it.
  const tick = tickStartTime(inlet, decision.tick);
  const advance = await store.advanceOnTick(eventId, tick, decision.incrementBy, now);
  if (advance === null) return IDLE;
  return { acted: true, incrementBy: advance.moved };
}

async function runMaxSize(
  store: QueueStore,
  eventId: string,
  inlet: MaxSizeInlet,
  now: number,
  owner: string,
  leaseMs: number,
): Promise<InletTickResult> {
  if (!(await store.acquireLease(inletLockName(eventId), owner, leaseMs))) return IDLE;
  // Counters first, then the active count: a token issued between the two reads is then
  // counted twice (outstanding and active), which admits less, never more.
  const counters = await store.getCounters(eventId);
  const active = await store.activeCount(eventId, now);
  const incrementBy = maxSizeDecision({
    maxActive: inlet.maxActive,
    active,
    serving: counters.serving,
    queue: counters.queue,
    tokens: counters.tokens,
    expired: counters.expired,
  });
  if (incrementBy === 0) return IDLE;
  await store.incrementServingCounter(eventId, incrementBy, now);
  return { acted: true, incrementBy };
}
