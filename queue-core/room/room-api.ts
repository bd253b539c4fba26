/**
 * The waiting room as the HTTP surfaces, the pages, the OIDC interaction and the Lambda
 * handlers see it: queue rules applied to a store, with event settings and signing keys.
 * Implemented by `queue-core/room/room.ts` (`createRoom`). Knows nothing of HTTP: outcomes are
 * typed values (visitor-flow.ts), failures are `AnteroomError`s with a stable `code`.
 */
import type { ChallengeOffer } from '../entry/gate.ts';
import type { InletTickResult } from '../inlet.ts';
import type { PlaceReceipt } from '../place-receipts.ts';
import type {
  EventSettings,
  PositionExpiry,
  QueueEntry,
  ServingHistoryRow,
  SessionRecord,
} from '../types.ts';
import type {
  AdmitOptions,
  AdmitOutcome,
  JoinOutcome,
  JoinRequest,
  Place,
  PlaceLookup,
} from './visitor-flow.ts';

/** Everything a waiting page needs, in one answer (API.md `GET /status`). */
export interface StatusView {
  event_id: string;
  request_id: string;
  /** null in the pre-queue (until the draw gives the position) */
  queue_number: number | null;
  entry_time: number;
  serving_counter: number;
  waiting_num: number;
  /** max(0, queue_number − serving_counter − 1); null in the pre-queue */
  ahead: number | null;
  /** position ≤ serving counter and neither expired nor ended */
  eligible: boolean;
  /** seconds until served; null while unknown */
  eta_seconds: number | null;
  /** seconds left to claim the token; null when not applicable */
  expires_in: number | null;
  mode: EventSettings['mode'];
  /** whether a token set was already issued for this request id */
  admitted: boolean;
  /** 'waiting' | 'eligible' | 'admitted' | 'expired' | 'ended' */
  state: 'waiting' | 'eligible' | 'admitted' | 'expired' | 'ended';
  /** 'prequeue' until the event's draw is finished (API.md section 6), then 'queue' */
  phase: 'prequeue' | 'queue';
  /** the scheduled start (epoch seconds); null when the event has no schedule */
  starts_at: number | null;
  /** with mode `sold_out`: the operator's message (null: none given); absent otherwise */
  sold_out_message?: string | null;
  /**
   * events with `abandonAfterSeconds` (API.md section 6): present waiting visitors as counted at
   * the last inlet pass; absent otherwise
   */
  present?: number;
}

/** `GET /events/{id}/draw` (API.md section 6). */
export interface DrawView {
  event_id: string;
  algorithm: 'hmac-sha256' | 'fifo';
  /** hex SHA-256 of the seed; null for a fifo draw (no seed) */
  commitment: string | null;
  /** hex seed, after the draw only */
  seed: string | null;
  /** participants, after the draw only */
  participants: number | null;
  drawn_at: number | null;
}

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  id_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** What one inlet-loop pass did for one event. */
export interface TickReport {
  eventId: string;
  /** The inlet strategy's result (acted only in the one process that won this tick). */
  inlet: InletTickResult;
  /** Positions newly expired by this pass. */
  expired: number;
  /** Serving counter after the pass. */
  serving: number;
}

export interface Room {
  /** The event's current settings (config merged with live admin overrides). Unknown id → `invalid_event_id`. */
  getEvent(eventId: string): Promise<EventSettings>;
  listEvents(): Promise<EventSettings[]>;
  /** Replace an event's settings live (admin API). */
  updateEvent(settings: EventSettings, actor: string): Promise<EventSettings>;

  // The visitor flow (visitor-flow.ts): typed outcomes, the same for every surface.

  /**
   * Take a place in `event` (the settings the caller has just loaded), or keep the live place
   * the visitor holds; a spent `previous` place is replaced. `closed` when the event takes
   * nobody new. A new place draws on `rateLimit` (429 `rate_limited` when spent).
   */
  join(event: EventSettings, request: JoinRequest): Promise<JoinOutcome>;
  /**
   * A fresh entry challenge of the event (a newly signed proof-of-work prefix, or the widget to
   * show), for a page that asks it before the visitor joins; null without a challenge.
   */
  challengeFor(event: EventSettings): ChallengeOffer | null;
  /**
   * Re-create a waiting place the store lost (Redis restarted empty, or failed over without the
   * queue's era) from the visitor's signed place receipt (place-receipts.ts), verified by the
   * caller: the place at the receipt's position, under the request id of the queue's current
   * era; null when `requestId` does not carry that position, the event was reset since, or the
   * position was handed out again (store.restorePlace).
   */
  restorePlace(eventId: string, requestId: string, receipt: PlaceReceipt): Promise<QueueEntry | null>;
  /**
   * The event's reset count as this process last read it (a place receipt names it): at once
   * from the last snapshot, else once the store answered.
   */
  resetCount(eventId: string): number | Promise<number>;
  /** Where a request id stands (status and admission), or `none` when the room does not know it. */
  findPlace(eventId: string, requestId: string): Promise<PlaceLookup>;
  /** Record the admission of a served position (pass-through: at once). Signs nothing. */
  admit(eventId: string, requestId: string, options?: AdmitOptions): Promise<AdmitOutcome>;
  /** The admission tokens of a recorded admission: always the stored claims, re-signed. */
  signTokens(session: SessionRecord): Promise<TokenSet>;

  /**
   * The draw of a scheduled event (`no_draw` for an event without a schedule), and a page of
   * its participants in drawn order once drawn (`draw_not_done` before).
   */
  draw(eventId: string): Promise<DrawView>;
  drawParticipants(eventId: string, offset: number, limit: number): Promise<string[]>;

  /** Unknown request id → `request_not_found`; a position is null until the event's draw is done. */
  getEntry(eventId: string, requestId: string): Promise<QueueEntry>;
  /** From the process's snapshot of the event (≤ 1 s stale). */
  servingCounter(eventId: string): Promise<number>;
  waitingNum(eventId: string): Promise<number>;
  /**
   * People in the line, as a visitor means it: positions handed out that the serving counter has
   * not reached yet. Unlike `waitingNum` (the AWS count), a place let in but never claimed is not
   * counted. From the process's snapshot, like the serving counter.
   */
  peopleWaiting(eventId: string): Promise<number>;
  /** `findPlace`'s status, for the JSON API: an unknown request id → `request_not_found`. */
  status(eventId: string, requestId: string): Promise<StatusView>;
  positionExpiry(eventId: string, requestId: string): Promise<PositionExpiry>;

  incrementServingCounter(eventId: string, by: number, actor: string): Promise<number>;
  activeTokens(eventId: string): Promise<number>;
  expiredTokens(
    eventId: string,
    page?: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: string[]; next_cursor: string | null }>;
  /** 404 `session_not_found` when unknown or already set. */
  updateSession(
    eventId: string,
    requestId: string,
    status: 'completed' | 'abandoned',
    actor: string,
  ): Promise<SessionRecord>;
  reset(eventId: string, actor: string): Promise<void>;
  servingHistory(eventId: string, limit?: number): Promise<ServingHistoryRow[]>;

  /**
   * Follow one visitor's status live (the status stream): `listener` gets their status after
   * every change of anything they see (the event's counters, mode, settings, or their own
   * session or claim window), and null once their place is gone (a reset). `place` is what
   * `findPlace` just answered. Every follower of an event in this process shares one reader of
   * the event (event-watch.ts). Returns the unsubscribe function.
   */
  followStatus(eventId: string, place: Place, listener: (status: StatusView | null) => void): () => void;
  /** Status streams following the event in this process. */
  streamsFollowing(eventId: string): number;

  /**
   * One pass of the inlet loop at the current time, for every event: the inlet strategy (at
   * most one process acts per tick across the cluster) and queue-position expiry (under a
   * short lease, so one process does it). `owner` names the calling process.
   */
  tick(owner: string): Promise<TickReport[]>;
  /**
   * Give up the leases `owner` took in `tick` (max-size inlet, expiry), so another process
   * takes over on its next tick instead of after the leases' ttl. Call it when stopping.
   */
  releaseLeases(owner: string): Promise<void>;
  /**
   * Absent visitors: send the presence this process has queued and wait until the store has it
   * (a Lambda invocation, before it returns). Resolves at once when nothing is queued.
   */
  settled(): Promise<void>;
  /** Stop the room's timers (subscriber polling). Does not close the store. */
  close(): void;
}
