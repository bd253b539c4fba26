/**
 * The inlet loop's one tick, the same for `anteroom serve` (every second in every process,
 * through `room.tick`) and the Lambda scheduled run (`provider/lambda/scheduled.ts`): for one
 * event at one time, its inlet strategy (at most one process acts per tick across the cluster)
 * and the expiry of positions reached and not claimed in time (under a short lease, so one
 * process does it; the step is atomic in the store, so the lease only saves the others work).
 * An event with a pre-queue admits nobody until its draw is done: before `startAt` its tick does
 * nothing, from `startAt` it draws (`draw/run-draw.ts`, under the draw's lease), and the inlet
 * and expiry run once the draw is finished.
 */
import { PRESENCE_DEFAULTS, ROOM_DEFAULTS } from '../defaults.ts';
import { drawLockName, runDraw } from '../draw/run-draw.ts';
import { prequeueStart } from '../draw/schedule.ts';
import { drawSeed } from '../draw/seed.ts';
import { type InletTickOptions, type InletTickResult, inletLockName, runInletTick } from '../inlet.ts';
import { countsPresence, presenceRule } from '../presence/rule.ts';
import type { DrawState, EventSettings, ExpireResult, PresenceCount, QueueStore } from '../types.ts';

/** What one tick did for one event. */
export interface EventTick {
  /** The inlet strategy's result (acted only in the one process that won this tick). */
  inlet: InletTickResult;
  /** The expiry step's result; null when expiry is off or another process holds its lease. */
  expiry: ExpireResult | null;
  /** An event with a pre-queue: its draw's state after this tick; absent otherwise. */
  draw?: DrawState | undefined;
  /** Events counting present visitors: the presence sweep's count (in the process that swept). */
  presence?: PresenceCount | undefined;
}

export interface EventTickOptions extends Pick<InletTickOptions, 'readSignal'> {
  /** The secret draw seeds derive from (`draw/seed.ts`); needed by events with `draw: "shuffle"`. */
  drawSecret?: (() => Buffer) | undefined;
}

const NOTHING_YET: EventTick = Object.freeze({
  inlet: Object.freeze({ acted: false, incrementBy: 0 }),
  expiry: null,
});

const expiryLockName = (eventId: string) => `expiry:${eventId}`;
const presenceLockName = (eventId: string) => `presence:${eventId}`;

/**
 * One tick of `event` at `now` (epoch seconds); `owner` names the calling process for the leases;
 * `options.readSignal` reads adaptive inlets' probe and Prometheus signals.
 */
export async function tickEvent(
  store: QueueStore,
  event: EventSettings,
  now: number,
  owner: string,
  options: EventTickOptions = {},
): Promise<EventTick> {
  let draw: DrawState | undefined;
  const startAt = prequeueStart(event);
  if (startAt !== null) {
    if (now < startAt) return NOTHING_YET;
    draw = await store.drawState(event.id);
    if (draw.phase !== 'drawn') {
      const secret = options.drawSecret;
      draw = await runDraw(store, event, {
        owner,
        seed: secret === undefined ? null : drawSeed(secret(), event),
        now: () => now,
      });
      if (draw.phase !== 'drawn') return { ...NOTHING_YET, draw };
    }
  }
  const inlet = await runInletTick(store, event, now, owner, options);
  let expiry: ExpireResult | null = null;
  if (
    event.queuePositionExpirySeconds !== null &&
    (await store.acquireLease(expiryLockName(event.id), owner, ROOM_DEFAULTS.expiryLeaseMs))
  ) {
    expiry = await store.expirePositions(
      event.id,
      now,
      event.queuePositionExpirySeconds,
      event.incrementServingOnExpiry,
      countsPresence(event),
    );
  }
  // Absent visitors: forget stale presence (a bounded slice) and count present and absent,
  // after the inlet's pass, in one process per tick.
  const rule = presenceRule(event, now);
  let presence: PresenceCount | undefined;
  if (
    rule !== undefined &&
    (await store.acquireLease(presenceLockName(event.id), owner, PRESENCE_DEFAULTS.sweepLeaseMs))
  ) {
    presence = await store.sweepPresence(event.id, rule);
  }
  return {
    inlet,
    expiry,
    ...(draw === undefined ? {} : { draw }),
    ...(presence === undefined ? {} : { presence }),
  };
}

/** The leases a tick may take for an event: released by a stopping process (`room.releaseLeases`). */
export function tickLeaseNames(eventId: string): string[] {
  return [inletLockName(eventId), expiryLockName(eventId), drawLockName(eventId), presenceLockName(eventId)];
}
