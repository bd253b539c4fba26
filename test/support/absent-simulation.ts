/**
 * Absent visitors (API.md section 6), simulated through the room on a controlled clock: 1,000
 * visitors join, half of them leave (stop polling), and a periodic inlet admits 50 every 10 s.
 * The present ones poll `/status` every 5 s (what the waiting page does without a stream) and
 * claim their token as soon as they are eligible. Some of those who left come back: before their
 * position is reached, after it was passed, and after its expiry. Used by
 * test/queue-core/absent-simulation.test.ts (assertions) and bench/absent.ts (the figures).
 */
import { parseEvents } from '../../queue-core/event-settings.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import type { StatusView } from '../../queue-core/room/room-api.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import type { QueueStore } from '../../queue-core/types.ts';

export const SIMULATION = {
  visitors: 1000,
  incrementBy: 50,
  intervalSeconds: 10,
  /** Ticks begin once the window has passed for those who left at the start. */
  startAfter: 60,
  abandonAfterSeconds: 30,
  expirySeconds: 120,
  pollSeconds: 5,
  /** Left and back before their position is reached: even positions 902 … 1000, back at +70 s. */
  early: { from: 902, to: 1000, at: 70 },
  /** Left and back after their position was passed: even positions 102 … 140, back at +125 s. */
  late: { from: 102, to: 140, at: 125 },
  /** Left and back after the expiry of their passed position: even positions 2 … 40, back at +300 s. */
  expired: { from: 2, to: 40, at: 300 },
  endAfter: 330,
} as const;

type Group = 'stayed' | 'early' | 'late' | 'expired' | 'gone';

interface Visitor {
  position: number;
  requestId: string;
  group: Group;
  /** Polls from this second on (relative); null: never again. */
  from: number | null;
  /** The status on the visitor's first poll after coming back. */
  onReturn?: StatusView;
  /** Relative second the token was claimed. */
  claimedAt?: number;
  /** The last status seen. */
  last?: StatusView;
}

export interface SimulationResult {
  abandonAfterSeconds: number | null;
  /** Per inlet tick (relative second): visitors admitted by it, by group. */
  ticks: Array<{ at: number; admitted: number; stayed: number; returned: number }>;
  /** Stayers (present from the start) admitted per tick while at least `incrementBy` present ones waited. */
  presentPerTick: number[];
  visitors: Visitor[];
}

function groupOf(position: number): Group {
  if (position % 2 === 1) return 'stayed';
  for (const group of ['early', 'late', 'expired'] as const) {
    const { from, to } = SIMULATION[group];
    if (position >= from && position <= to) return group;
  }
  return 'gone';
}

/** Run the simulation on `store` (empty for event `sim`), with or without `abandonAfterSeconds`. */
export async function simulateAbsentVisitors(
  store: QueueStore,
  abandonAfterSeconds: number | null,
  eventId = 'sim',
): Promise<SimulationResult> {
  const t0 = 1_900_000_000;
  const clock = { now: t0 };
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  const room = createRoom({
    store,
    keys,
    events: parseEvents([
      {
        id: eventId,
        inlet: {
          type: 'periodic',
          incrementBy: SIMULATION.incrementBy,
          intervalSeconds: SIMULATION.intervalSeconds,
          startTime: t0 + SIMULATION.startAfter,
        },
        queuePositionExpirySeconds: SIMULATION.expirySeconds,
        abandonAfterSeconds,
      },
    ]),
    issuer: 'https://queue.example.test',
    now: () => clock.now,
    nowMs: () => clock.now * 1000,
  });
  try {
    const event = await room.getEvent(eventId);
    const visitors: Visitor[] = [];
    for (let i = 1; i <= SIMULATION.visitors; i++) {
      const joined = await room.join(event, { visitorKey: `visitor-${i}` });
      if (joined.kind !== 'joined' || joined.place.position !== i)
        throw new Error(`join ${i}: ${joined.kind}`);
      const group = groupOf(i);
      const from = group === 'stayed' ? 0 : group === 'gone' ? null : SIMULATION[group].at;
      visitors.push({ position: i, requestId: joined.place.requestId, group, from });
    }
    const ticks: SimulationResult['ticks'] = [];
    for (let second = 1; second <= SIMULATION.endAfter; second++) {
      clock.now = t0 + second;
      const polling = visitors.filter(
        (visitor) =>
          visitor.claimedAt === undefined &&
          visitor.from !== null &&
          second >= visitor.from &&
          ((second - visitor.from) % SIMULATION.pollSeconds === 0 ||
            (visitor.position + second) % SIMULATION.pollSeconds === 0),
      );
      await Promise.all(
        polling.map(async (visitor) => {
          const status = await room.status(eventId, visitor.requestId);
          if (visitor.group !== 'stayed' && visitor.onReturn === undefined) visitor.onReturn = status;
          visitor.last = status;
          if (status.eligible) {
            const outcome = await room.admit(eventId, visitor.requestId);
            if (outcome.kind === 'issued') visitor.claimedAt = second;
          }
        }),
      );
      // What the polls wrote of presence is sent in the turn after them (presence/tracker.ts).
      await new Promise((resolve) => setImmediate(resolve));
      const [report] = await room.tick('simulation');
      if (report?.inlet.acted)
        ticks.push({ at: second, admitted: report.inlet.admitted ?? 0, stayed: 0, returned: 0 });
    }
    for (const visitor of visitors) {
      if (visitor.claimedAt === undefined) continue;
      const tick = ticks.findLast((candidate) => candidate.at < visitor.claimedAt! + 1);
      if (tick === undefined) continue;
      if (visitor.group === 'stayed') tick.stayed++;
      else tick.returned++;
    }
    const stayersLeft = (at: number) =>
      visitors.filter(
        (visitor) =>
          visitor.group === 'stayed' && (visitor.claimedAt === undefined || visitor.claimedAt > at),
      ).length;
    const presentPerTick = ticks
      .filter((tick) => stayersLeft(tick.at) >= SIMULATION.incrementBy)
      .map((tick) => tick.stayed + tick.returned);
    return { abandonAfterSeconds, ticks, presentPerTick, visitors };
  } finally {
    room.close();
  }
}

/** Mean of a list (0 for none). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
