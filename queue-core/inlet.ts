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
import { presenceRule } from './presence/rule.ts';
import type { EventSettings, MaxSizeInlet, PeriodicInlet, PresenceRule, QueueStore } from './types.ts';

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
  /**
   * Events counting present visitors: positions let in (present) not claimed and not expired,
   * counted by the store (the counters cannot tell passed absent ones from those let in).
   */
  outstanding?: number | undefined;
  /**
   * After a store lost an era: positions up to this one were handed out in it and are counted
   * as expired (nobody can claim them), so the counter passes them without room (`Counters`).
   */
  lostBelow?: number | undefined;
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
  const outstanding =
    state.outstanding ?? Math.max(0, Math.min(state.serving, state.queue) - state.tokens - state.expired);
  const capacity = state.maxActive - state.active - outstanding;
  // Counting present visitors, the store's walk stops at the end of the queue itself, and
  // visitors back on return may be admitted while nobody waits above the counter.
  if (state.outstanding !== undefined) return Math.max(capacity, 0);
  const room = Math.max(0, state.queue - state.serving);
  // Positions of a lost era above the counter take no room: nobody can claim them.
  const lost = Math.max(0, Math.min(state.lostBelow ?? 0, state.queue) - state.serving);
  return Math.min(Math.max(capacity, 0) + lost, room);
}

export interface InletTickResult {
  /**
   * Periodic: this caller took the tick (even when nobody new was queued to admit).
   * Max-size: this caller moved the counter.
   */
  acted: boolean;
  /** How far this call moved the serving counter (0 when it did not). */
  incrementBy: number;
  /** Events counting present visitors: how many this call admitted (present, and back on return). */
  admitted?: number | undefined;
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
  const presence = presenceRule(event, now);
  switch (event.inlet.type) {
    case 'manual':
      return IDLE;
    case 'periodic':
      return runPeriodic(store, event.id, event.inlet, now, presence);
    case 'max-size':
      return runMaxSize(
        store,
        event.id,
        event.inlet,
        now,
        owner,
        options.leaseMs ?? ROOM_DEFAULTS.maxSizeLeaseMs,
        presence,
      );
    case 'adaptive': {
      const ttlMs = options.leaseMs ?? ROOM_DEFAULTS.maxSizeLeaseMs;
      const lease = { name: inletLockName(event.id), owner, ttlMs };
      return runAdaptive(store, event.id, event.inlet, now, lease, options.readSignal, presence);
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
  presence: PresenceRule | undefined,
): Promise<InletTickResult> {
  const decision = periodicDecision(inlet, now);
  if (decision === null) return IDLE;
  // Taking the tick and advancing are one atomic store step: exactly one caller per tick
  // advances, even with many schedulers running, and a failure never takes a tick without
  // its advance (which would lose it).
  // The store caps the advance at the queue counter and reports how far this tick moved it.
  const tick = tickStartTime(inlet, decision.tick);
  // With presence, the store admits `incrementBy` present visitors and passes absent ones.
  const advance = await store.advanceOnTick(eventId, tick, decision.incrementBy, now, presence);
  if (advance === null) return IDLE;
  return {
    acted: true,
    incrementBy: advance.moved,
    ...(advance.admitted === undefined ? {} : { admitted: advance.admitted }),
  };
}

async function runMaxSize(
  store: QueueStore,
  eventId: string,
  inlet: MaxSizeInlet,
  now: number,
  owner: string,
  leaseMs: number,
  presence: PresenceRule | undefined,
): Promise<InletTickResult> {
  if (!(await store.acquireLease(inletLockName(eventId), owner, leaseMs))) return IDLE;
  // A loss this process has not seen yet: its sessions held before they are counted.
  await store.holdLosses?.(eventId);
  // Counters first, then the active count: a token issued between the two reads is then
  // counted twice (outstanding and active), which admits less, never more.
  const counters = await store.getCounters(eventId);
  const outstanding =
    presence === undefined ? undefined : (await store.sweepPresence(eventId, presence)).outstanding;
  const active = await store.activeCount(eventId, now);
  const room = maxSizeDecision({
    maxActive: inlet.maxActive,
    active,
    serving: counters.serving,
    queue: counters.queue,
    tokens: counters.tokens,
    expired: counters.expired,
    outstanding,
    lostBelow: counters.lostBelow,
  });
  if (room === 0) return IDLE;
  if (presence === undefined) {
    await store.incrementServingCounter(eventId, room, now);
    return { acted: true, incrementBy: room };
  }
  // `room` present visitors (those back on return first); absent ones are passed uncounted.
  const before = counters.serving;
  const after = await store.incrementServingCounter(eventId, room, now, presence);
  return { acted: true, incrementBy: after - before };
}
