/**
 * The demo's crowd (`demoCrowd`; development mode only): simulated visitors join the demo event
 * over its first minutes, most of them early, so whoever opens the waiting page of a fresh
 * `npm start` joins behind people and watches the line move, the estimate settle and the
 * dashboard's chart fill. They take their places through the room like anyone (a visitor key
 * each), so every count the pages show is a real one. When their turn comes most go in after a
 * few seconds; some never come back for it (their place expires, as a real no-show's does).
 */

import { DEMO_CROWD } from '../../queue-core/defaults.ts';
import type { Room } from '../../queue-core/room/room-api.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface DemoCrowdOptions {
  room: Room;
  eventId: string;
  logger: Logger;
  /** How the crowd is drawn (default DEMO_CROWD). */
  crowd?: DemoCrowdShape;
  /** [0, 1): who leaves, how long each takes to go in (tests pass a seeded one). */
  random?: () => number;
  /** Milliseconds (default Date.now). */
  nowMs?: () => number;
}

export interface DemoCrowdShape {
  /** Simulated visitors in all. */
  visitors: number;
  /** They arrive over this many seconds from the start, most at first. */
  arrivalSeconds: number;
  /** The share of them that never come back for their turn. */
  noShowShare: number;
  /** A visitor whose turn came goes in after between these many seconds. */
  claimDelaySeconds: readonly [number, number];
  /** How often the crowd acts (ms). */
  stepMs: number;
}

/** A simulated visitor's place, until they went in or left. */
interface Member {
  requestId: string;
  position: number;
  /** When they will go in (ms), once their turn has come; null before. */
  claimAtMs: number | null;
}

/**
 * How many of the crowd have arrived `elapsed` seconds after the start: an arrival rate that
 * falls steadily from twice its average to nothing at `arrivalSeconds`.
 */
export function arrivedBy(
  elapsed: number,
  shape: Pick<DemoCrowdShape, 'visitors' | 'arrivalSeconds'>,
): number {
  const t = Math.min(1, Math.max(0, elapsed / shape.arrivalSeconds));
  return Math.round(shape.visitors * (1 - (1 - t) ** 2));
}

export function startDemoCrowd(options: DemoCrowdOptions): { stop(): Promise<void> } {
  const { room, eventId, logger } = options;
  const shape = options.crowd ?? DEMO_CROWD;
  const random = options.random ?? Math.random;
  const nowMs = options.nowMs ?? Date.now;
  const startedMs = nowMs();
  const waiting: Member[] = [];
  let joined = 0;
  let running: Promise<void> | null = null;
  let failed = false;

  logger.info(
    { demo_crowd: true },
    `demo crowd: ${shape.visitors} simulated visitors join "${eventId}" over ${Math.round(shape.arrivalSeconds / 60)} minutes (demoCrowd false turns it off)`,
  );

  async function arrive(now: number): Promise<void> {
    const due = arrivedBy((now - startedMs) / 1000, shape);
    if (joined >= due) return;
    const event = await room.getEvent(eventId);
    while (joined < due) {
      const outcome = await room.join(event, { visitorKey: `demo-crowd:${startedMs}:${joined}` });
      joined += 1;
      if (outcome.kind !== 'joined' || outcome.place.position === null) continue;
      waiting.push({ requestId: outcome.place.requestId, position: outcome.place.position, claimAtMs: null });
    }
  }

  /** Those whose turn came: most go in after a few seconds, some never come. */
  async function claim(now: number): Promise<void> {
    if (waiting.length === 0) return;
    const serving = await room.servingCounter(eventId);
    const [least, most] = shape.claimDelaySeconds;
    for (let i = 0; i < waiting.length; ) {
      const member = waiting[i]!;
      if (member.position > serving) break;
      if (member.claimAtMs === null) {
        if (random() < shape.noShowShare) {
          waiting.splice(i, 1);
          continue;
        }
        member.claimAtMs = now + (least + random() * (most - least)) * 1000;
      }
      if (member.claimAtMs <= now) {
        await room.admit(eventId, member.requestId);
        waiting.splice(i, 1);
        continue;
      }
      i += 1;
    }
  }

  async function step(): Promise<void> {
    const now = nowMs();
    try {
      await arrive(now);
      await claim(now);
      failed = false;
    } catch (error) {
      // The store may be away for a moment: the crowd waits for it like everyone else.
      if (!failed) logger.warn({ err: error, demo_crowd: true }, 'demo crowd: the room did not answer');
      failed = true;
    }
  }

  const timer = setInterval(() => {
    if (running) return;
    running = step().finally(() => {
      running = null;
    });
    if (joined >= shape.visitors && waiting.length === 0) clearInterval(timer);
  }, shape.stepMs);
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
