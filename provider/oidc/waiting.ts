/**
 * The waiting room as the OIDC provider sees it, without HTTP: is this account admitted to
 * this event, and moving a visitor forward (take a place once, claim the admission when the
 * position is served). Admission is always per event: being admitted to one event says
 * nothing about another (the queue-bypass trap).
 */
import { RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import type { ChallengeOffer, EntryCredentials } from '../../queue-core/entry/gate.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Room, StatusView } from '../../queue-core/room/room-api.ts';
import type { PlaceLookup } from '../../queue-core/room/visitor-flow.ts';
import type { EnqueueRateLimit, EventSettings, QueueEntry, SessionRecord } from '../../queue-core/types.ts';
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
  /** A new place needs this entry challenge answered first; `failed` when an answer was refused. */
  | { kind: 'challenge'; event: EventSettings; challenge: ChallengeOffer; failed: boolean }
  | { kind: 'admitted'; event: EventSettings; admission: Admission };

export interface AdvanceOptions {
  /** The per-client enqueue budget a new place draws on (429 when spent; reloads spend nothing). */
  rateLimit?: EnqueueRateLimit | undefined;
  /**
   * The queue's idempotency key of this browser (`vid:<visitor id>`, as the queue API and the
   * waiting page use), so a place taken on any surface is the same place. Default `oidc:<account>`.
   */
  visitorKey?: string;
  /**
   * The entry challenge's answer, the `enqueue_token` authorization parameter and the visitor's
   * address, for a new place in an event that screens its visitors (API.md section 6).
   */
  credentials?: EntryCredentials;
  /**
   * The request id this browser's place had at its last view (the page's signed place cookie):
   * read first, without the join, which only a missing or spent place then needs.
   */
  knownPlace?: string | undefined;
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
    if (record === undefined) return null;
    const [event, place] = await Promise.all([
      this.room.getEvent(eventId),
      this.room.findPlace(eventId, record.requestId),
    ]);
    if (event.mode === 'closed' || place.kind === 'none' || place.spent) return null;
    return place.status.state === 'admitted' && place.session !== null
      ? admissionOf(place.entry, place.session)
      : null;
  }

  /**
   * One step of the waiting-room interaction: take a place if the account has none (or only a
   * spent one), and claim the admission once the position is served. Idempotent: a reload or a
   * second tab finds the same place.
   */
  async advance(eventId: string, accountId: string, options: AdvanceOptions = {}): Promise<VisitState> {
    const event = await this.room.getEvent(eventId);
    if (event.mode === 'closed') return { kind: 'closed', event };
    const visitorKey = options.visitorKey ?? `oidc:${accountId}`;
    if (options.knownPlace !== undefined) {
      const place = await this.room.findPlace(eventId, options.knownPlace);
      if (place.kind === 'found' && !place.spent) {
        const state = await this.#standing(event, accountId, place, undefined);
        if (state !== null) return state;
      }
    }
    // The visit record is read only when the browser's key leads to a spent place: it may name
    // the place that replaced it. A waiting visitor costs the join and the place's read alone.
    let stored: VisitRecord | undefined;
    let read = false;
    let previous: string | undefined;
    // Each round takes (or finds) a place and checks it. The longest real path: the first place
    // (found through its key) is spent, the record names its replacement, which is spent too,
    // and the replacement of that one is taken and checked.
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // The room's one rule gives the live place, or the one replacement of a spent `previous`.
      const joined = await this.room.join(event, {
        visitorKey,
        previous,
        rateLimit: options.rateLimit,
        ...options.credentials,
      });
      if (joined.kind === 'closed') return { kind: 'closed', event };
      if (joined.kind === 'challenge_required' || joined.kind === 'challenge_failed') {
        const failed = joined.kind === 'challenge_failed';
        return { kind: 'challenge', event, challenge: joined.challenge, failed };
      }
      if (joined.kind === 'not_open') throw new AnteroomError('event_not_open');
      if (joined.kind !== 'joined') throw new AnteroomError(joined.kind);
      const { requestId } = joined.place;
      const place = await this.room.findPlace(eventId, requestId);
      if (place.kind === 'found' && !place.spent) {
        // A replacement is remembered at once: later views need not walk from the first place.
        if (previous !== undefined) stored = await this.#remember(eventId, accountId, { requestId }, stored);
        const state = await this.#standing(event, accountId, place, stored);
        if (state !== null) return state;
        // Spent between the read and the claim: take the place that replaces it.
      }
      if (!read) {
        read = true;
        stored = await this.visits.find(eventId, accountId);
        if (stored !== undefined && stored.requestId !== requestId) {
          previous = stored.requestId;
          continue;
        }
      }
      previous = requestId;
    }
    throw new AnteroomError('queue_place_unavailable', undefined, {
      retryAfter: RETRY_AFTER_SECONDS.placeUnavailable,
    });
  }

  /**
   * Where a live place stands: still waiting, or admitted (the admission claimed and the visit
   * record saved); null when it was spent between the read and the claim.
   */
  async #standing(
    event: EventSettings,
    accountId: string,
    place: Extract<PlaceLookup, { kind: 'found' }>,
    stored: VisitRecord | undefined,
  ): Promise<VisitState | null> {
    const eventId = event.id;
    const { requestId } = place.entry;
    if (place.status.state === 'waiting') return { kind: 'waiting', event, status: place.status };
    const outcome = await this.room.admit(eventId, requestId);
    if (outcome.kind === 'issued' && outcome.session.expiresAt > this.now()) {
      // What `admission()` (the provider's prompt, its token endpoint) reads from now on.
      await this.#remember(eventId, accountId, { requestId }, stored);
      return { kind: 'admitted', event, admission: admissionOf(place.entry, outcome.session) };
    }
    if (outcome.kind === 'not_yet' || outcome.kind === 'full' || outcome.kind === 'prequeue') {
      // Served but not claimable yet (max-size inlet full, a draw still running): keep waiting.
      return { kind: 'waiting', event, status: await this.room.status(eventId, requestId) };
    }
    return null;
  }

  /** Save the visit record unless `stored` already says the same; the record now stored. */
  async #remember(
    eventId: string,
    accountId: string,
    record: VisitRecord,
    stored: VisitRecord | undefined,
  ): Promise<VisitRecord> {
    if (stored?.requestId === record.requestId) return stored;
    await this.visits.save(eventId, accountId, record, WAITING_RECORD_TTL_SECONDS);
    return record;
  }
}

const MAX_ROUNDS = 6;

function admissionOf(entry: QueueEntry, session: SessionRecord): Admission {
  return {
    eventId: entry.eventId,
    requestId: entry.requestId,
    position: session.position,
    queuedAt: entry.entryTime,
    admittedAt: session.issuedAt,
    expiresAt: session.expiresAt,
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
