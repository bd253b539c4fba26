/**
 * The waiting room as the OIDC provider sees it, without HTTP: is this account admitted to
 * this event, and moving a visitor forward (take a place once, claim the admission when the
 * position is served). Admission is always per event: being admitted to one event says
 * nothing about another (the queue-bypass trap).
 */
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Room, StatusView } from '../../queue-core/room/room-api.ts';
import type { EnqueueRateLimit, EventSettings } from '../../queue-core/types.ts';
import { type VisitRecord, type Visits, WAITING_RECORD_TTL_SECONDS } from './visits.ts';

export interface Admission {
  eventId: string;
  requestId: string;
  position: number;
  queuedAt: number;
  admittedAt: number;
  expiresAt: number;
}

export type VisitState =
  | { kind: 'closed'; event: EventSettings }
  | { kind: 'waiting'; event: EventSettings; status: StatusView }
  | { kind: 'admitted'; event: EventSettings; admission: Admission };

export interface AdvanceOptions {
  /** The per-client enqueue budget a new place draws on (429 when spent; reloads spend nothing). */
  rateLimit?: EnqueueRateLimit | undefined;
  /**
   * The queue's idempotency key of this browser (`vid:<visitor id>`, as the queue API and the
   * waiting page use), so a place taken on any surface is the same place. Default `oidc:<account>`.
   */
  visitorKey?: string;
}

export interface WaitingRoomOptions {
  room: Room;
  visits: Visits;
  now: () => number;
}

export class WaitingRoom {
  readonly room: Room;
  readonly visits: Visits;
  readonly now: () => number;

  constructor(options: WaitingRoomOptions) {
    this.room = options.room;
    this.visits = options.visits;
    this.now = options.now;
  }

  /**
   * The account's live admission to the event, or null: the window has not ended, the session
   * was not ended through the admin API, and the event is not closed.
   */
  async admission(eventId: string, accountId: string): Promise<Admission | null> {
    const record = await this.visits.find(eventId, accountId);
    if (record?.admittedAt === undefined || record.expiresAt === undefined) return null;
    if (record.expiresAt <= this.now()) return null;
    const [event, status] = await Promise.all([
      this.room.getEvent(eventId),
      this.statusOf(eventId, record.requestId),
    ]);
    if (event.mode === 'closed' || status?.state !== 'admitted') return null;
    return admissionOf(eventId, record);
  }

  /**
   * One step of the waiting-room interaction: take a place if the account has none (or only a
   * dead one), and claim the admission once the position is served. Idempotent: a reload or a
   * second tab finds the same place.
   */
  async advance(eventId: string, accountId: string, options: AdvanceOptions = {}): Promise<VisitState> {
    const event = await this.room.getEvent(eventId);
    if (event.mode === 'closed') return { kind: 'closed', event };
    let record = await this.visits.find(eventId, accountId);
    let status = record === undefined ? null : await this.statusOf(eventId, record.requestId);
    // Each round checks a place or takes one. The longest real path: the first place (found again
    // through its key after the record was lost) is spent, a new place is taken, then checked.
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (record !== undefined && status !== null && !isDead(record, status, this.now())) {
        if (status.state !== 'eligible' && status.state !== 'admitted')
          return { kind: 'waiting', event, status };
        const claimed = await this.claim(event, accountId, record);
        if (claimed === 'spent') {
          status = null;
          continue;
        }
        if (claimed !== null) return { kind: 'admitted', event, admission: claimed };
        // Served but not claimable yet (max-size inlet full): keep waiting.
        return { kind: 'waiting', event, status: await this.room.status(eventId, record.requestId) };
      }
      // No place, or a dead one (expired, ended, reset, admission window over): take a new place
      // under a key derived from the dead one, so concurrent tabs converge on one new place.
      const base = options.visitorKey ?? `oidc:${accountId}`;
      const visitorKey = record === undefined ? base : `${base}:${record.requestId}`;
      const entry = await this.room.enqueue(eventId, visitorKey, options.rateLimit);
      record = { requestId: entry.requestId, position: entry.position, queuedAt: entry.entryTime };
      await this.visits.save(eventId, accountId, record, WAITING_RECORD_TTL_SECONDS);
      status = await this.room.status(eventId, entry.requestId);
    }
    throw new AnteroomError(
      'queue_place_unavailable',
      'No place in the queue could be taken. Please retry.',
      {
        status: 503,
        retryAfter: 2,
      },
    );
  }

  /**
   * Issue (or find) the room session of a served position: the admission, null when not
   * possible yet, or `spent` when the position can no longer admit (window over, expired, ended).
   */
  private async claim(
    event: EventSettings,
    accountId: string,
    record: VisitRecord,
  ): Promise<Admission | null | 'spent'> {
    try {
      const result = await this.room.generateToken(event.id, record.requestId);
      if (result.status !== 200) return null;
      const admitted: VisitRecord = {
        ...record,
        admittedAt: result.session.issuedAt,
        expiresAt: result.session.expiresAt,
      };
      if (admitted.expiresAt! <= this.now()) return 'spent';
      if (record.admittedAt === undefined) {
        await this.visits.save(event.id, accountId, admitted, admitted.expiresAt! - this.now());
      }
      return admissionOf(event.id, admitted);
    } catch (error) {
      if (error instanceof AnteroomError && error.status === 410) return 'spent';
      throw error;
    }
  }

  /** The status of a request id, or null when the room no longer knows it (reset, unknown). */
  async statusOf(eventId: string, requestId: string): Promise<StatusView | null> {
    try {
      return await this.room.status(eventId, requestId);
    } catch (error) {
      if (error instanceof AnteroomError && error.status === 404) return null;
      throw error;
    }
  }
}

const MAX_ROUNDS = 6;

/** A place that can no longer lead to an admission. */
function isDead(record: VisitRecord, status: StatusView, now: number): boolean {
  if (record.expiresAt !== undefined && record.expiresAt <= now) return true;
  return status.state === 'expired' || status.state === 'ended';
}

function admissionOf(eventId: string, record: VisitRecord): Admission {
  return {
    eventId,
    requestId: record.requestId,
    position: record.position,
    queuedAt: record.queuedAt,
    admittedAt: record.admittedAt!,
    expiresAt: record.expiresAt!,
  };
}

/** The waiting-room claims of an admission (ID token and userinfo). */
export function admissionClaims(admission: Admission): Record<string, string | number> {
  return {
    request_id: admission.requestId,
    event_id: admission.eventId,
    queue_position: admission.position,
    queued_at: admission.queuedAt,
    admitted_at: admission.admittedAt,
  };
}

export const WAITING_ROOM_CLAIMS = [
  'request_id',
  'event_id',
  'queue_position',
  'queued_at',
  'admitted_at',
] as const;
