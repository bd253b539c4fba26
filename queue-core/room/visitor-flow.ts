/**
 * The visitor flow: how a visitor goes through the room, once, for every surface (the JSON API,
 * the waiting page, the OIDC interaction, the Lambda handlers).
 *
 *   join      take a place (idempotent per visitor key), or keep the live place the visitor
 *             holds; a spent place is replaced by exactly one new place
 *   findPlace where a request id stands: its status and its admission, or `none`
 *   admit     record the admission of a served position (no token is signed)
 *   signTokens sign the admission tokens of a recorded admission (JSON API, waiting page)
 *
 * Outcomes are values with a `kind`; each surface switches on the kind and answers in its own
 * terms (a status code, a page, an OIDC redirect). Only failures (bad input, a store outage, a
 * spent rate limit) are thrown, as `AnteroomError`s. Nothing here knows about HTTP.
 *
 * Later phases (a pre-queue, challenges, presence) extend `JoinRequest` and the outcome unions;
 * each surface's `switch` then names what it does with the new kind.
 */

import type { ChallengeOffer, EntryCredentials } from '../entry/gate.ts';
import type { EnqueueRateLimit, EventSettings, IssueOutcome, QueueEntry, SessionRecord } from '../types.ts';
import type { StatusView } from './room-api.ts';
import type { VisitorState } from './status-view.ts';

/**
 * Who joins, and what they held before. With an entry challenge or enqueue tokens
 * (`EntryCredentials`: the answer, the site's JWT, the address) a new visitor is screened first.
 */
export interface JoinRequest extends EntryCredentials {
  /**
   * The visitor's idempotency key (`vid:<visitor cookie>`, `key:<Idempotency-Key>`): asking again
   * under the same key returns the same place, on every surface.
   */
  visitorKey: string;
  /**
   * The request id the visitor was last given, when the caller remembers one (the request cookie,
   * the OIDC visit record). Still live, it is the answer; spent (see `isSpent`), the visitor gets
   * the one place that replaces it (`replacementKey`), however many tabs ask at once.
   */
  previous?: string | null | undefined;
  /** The per-client budget a new place draws on (429 `rate_limited` when spent). */
  rateLimit?: EnqueueRateLimit | undefined;
  /**
   * A key the client chose (an `Idempotency-Key`) is the first client's only: its owner is
   * recorded on first use, and a client that is not that owner is refused (409
   * `idempotency_key_in_use`) before anything else is looked at.
   */
  keyOwner?: KeyOwner | null | undefined;
}

/** Who uses a client-chosen visitor key (strings opaque to the room, compared for equality). */
export interface KeyOwner {
  /** What to record when the key is new (the visitor cookie's id, else the address). */
  owner: string;
  /** Recorded owners that are this client (its visitor cookie's id, its address). */
  accepted: readonly string[];
}

export type JoinOutcome =
  /** The event takes no new visitors (`closed`, or `sold_out`). */
  | { kind: 'closed' }
  /** A scheduled event that opens (its pre-queue, else its start) at `opensAt`. */
  | { kind: 'not_open'; opensAt: number }
  /**
   * The visitor's place; `created` when it was taken by this call; `admitted` when the enqueue
   * admitted it at once (max-size `instant`: nobody waited and there was room).
   */
  | { kind: 'joined'; place: QueueEntry; created: boolean; admitted?: { serving: number } }
  /** A new visitor must answer this challenge first (no place taken). */
  | { kind: 'challenge_required'; challenge: ChallengeOffer }
  /** The answer was wrong, already used or expired; `challenge` is a fresh one to try again. */
  | { kind: 'challenge_failed'; challenge: ChallengeOffer }
  /** The event needs the site's enqueue token naming the visitor's identity. */
  | { kind: 'enqueue_token_required' }
  | { kind: 'enqueue_token_invalid' };

/** A join that took or found no place: everything but `joined`. */
export type JoinRefusal = Exclude<JoinOutcome, { kind: 'joined' }>;

/** A request id's place, as `findPlace` reads it. */
export interface Place {
  entry: QueueEntry;
  /** What `GET /status` answers for it. */
  status: StatusView;
  /** The recorded admission (issued once the position was served), or null. */
  session: SessionRecord | null;
  /** It can no longer lead to, or be, a live admission (see `isSpent`). */
  spent: boolean;
  /** The visitor's own state as read for `status` (null when the position is not reached). */
  visitor?: VisitorState | null | undefined;
}

export type PlaceLookup =
  /** The room does not know the request id (never issued, or gone with a reset). */
  { kind: 'none' } | ({ kind: 'found' } & Place);

/**
 * What `admit` did: the store's issuance outcome. `issued` carries the session (`created` on the
 * first admission only); `not_yet` and `full` are "keep waiting"; `position_expired`,
 * `session_ended` and `unknown` are spent or missing places.
 */
export type AdmitOutcome =
  | Exclude<IssueOutcome, { kind: 'prequeue' }>
  /** In the pre-queue (or its draw is not finished): the sale starts at `startsAt`. */
  | { kind: 'prequeue'; startsAt: number };

/** Options of `admit` (admin `generate_token`); they shape a first admission only. */
export interface AdmitOptions {
  issuer?: string;
  validitySeconds?: number;
}

/** Does the event take new places? A closed event keeps its queue moving but takes nobody new. */
export function takesNewVisitors(event: EventSettings): boolean {
  return event.mode !== 'closed' && event.mode !== 'sold_out';
}

/**
 * A place is spent when it can no longer lead to a live admission: its position expired
 * unclaimed, its session was ended, or its admission window is over.
 */
export function isSpent(status: StatusView, session: SessionRecord | null, now: number): boolean {
  if (status.state === 'expired' || status.state === 'ended') return true;
  return session !== null && session.expiresAt <= now;
}

/**
 * The idempotency key of the place that replaces `spent`: derived from the spent place, so two
 * tabs replacing it at once converge on one new place, and a visitor can replace a place only
 * once.
 */
export function replacementKey(visitorKey: string, spent: string): string {
  return `${visitorKey}:after:${spent}`;
}
