/**
 * The queue engine's vocabulary and the store contract.
 *
 * Every store (memory, Redis) implements `QueueStore` and passes the one contract
 * suite in `test/queue-core/store-contract.ts`. Times are Unix epoch seconds
 * (integers) and are always passed in by the caller (`now`), so tests control the
 * clock and every process agrees on the rules.
 */
import type { PlaceReceipt } from './place-receipts.ts';

export type EventMode = 'queue' | 'passthrough' | 'closed' | 'sold_out';

export interface ManualInlet {
  type: 'manual';
}

export interface PeriodicInlet {
  type: 'periodic';
  /** How many positions each tick admits (≥ 1). */
  incrementBy: number;
  /** Seconds between ticks (≥ 1). */
  intervalSeconds: number;
  /** Epoch seconds; no ticks before it. */
  startTime?: number | undefined;
  /** Epoch seconds; no ticks from it on. */
  endTime?: number | undefined;
}

export interface MaxSizeInlet {
  type: 'max-size';
  /** Active sessions are never allowed above this (≥ 1). */
  maxActive: number;
  /** Admit an arrival in its enqueue while nobody waits and there is room (API.md section 6). */
  instant?: boolean | undefined;
}

export interface ProbeSignal {
  type: 'probe';
  /** The origin URL Anteroom times GETs of. */
  url: string;
}

export interface PrometheusSignal {
  type: 'prometheus';
  /** Base URL of the Prometheus HTTP API (`<url>/api/v1/query`). */
  url: string;
  /** Instant query answering the origin's p95 latency in milliseconds. */
  latencyQuery: string;
  /** Instant query answering the origin's error rate as a fraction. */
  errorRateQuery: string;
}

export interface PushSignal {
  type: 'push';
}

export type AdaptiveSignal = ProbeSignal | PrometheusSignal | PushSignal;

export interface AdaptiveInlet {
  type: 'adaptive';
  minPerMinute: number;
  maxPerMinute: number;
  /** The rate before the first reading; `minPerMinute` when absent. */
  startPerMinute?: number | undefined;
  /** Seconds between controller steps. */
  intervalSeconds: number;
  target: {
    /** The origin's p95 latency it should stay under (ms). */
    latencyMs: number;
    /** The fraction of failed requests it should stay under. */
    errorRate: number;
  };
  signal: AdaptiveSignal;
}

export type InletSettings = ManualInlet | PeriodicInlet | MaxSizeInlet | AdaptiveInlet;

/** One waiting room. */
export interface EventSettings {
  id: string;
  /** What visitors and operators read (the waiting page, the dashboard); the id when absent. */
  name?: string;
  mode: EventMode;
  inlet: InletSettings;
  /** Lifetime of issued admission tokens (seconds). */
  tokenValiditySeconds: number;
  /** Seconds a reached position has to claim its token; `null` turns expiry off. */
  queuePositionExpirySeconds: number | null;
  /** Advance the serving counter by the number of positions that expired unclaimed. */
  incrementServingOnExpiry: boolean;
  /** An entry challenge new visitors solve before they get a place (API.md section 6); absent: none. */
  challenge?: ChallengeSettings | undefined;
  /** New places need a JWT of the site naming the visitor's identity; absent: none. */
  enqueueToken?: EnqueueTokenSettings | undefined;
  /** A scheduled start, with a pre-queue when `prequeueAt` is set (API.md section 6); absent: open now. */
  schedule?: ScheduleSettings | undefined;
  /** The order the pre-queue is given its positions in at `schedule.startAt` (default `fifo`). */
  draw?: DrawAlgorithmSetting | undefined;
  /** The longest line (positions not yet served, or the pre-queue): beyond it 403 `queue_full`; absent: none. */
  maxQueueLength?: number | undefined;
  /** What visitors read when the operator sets `mode: "sold_out"`; absent: the pages' own words. */
  soldOutMessage?: string | undefined;
  /**
   * A waiting visitor unseen (no status request, no open stream) for this many seconds is absent:
   * the inlets pass over them (API.md section 6, "Absent visitors"); absent or null: off.
   */
  abandonAfterSeconds?: number | null | undefined;
}

/**
 * Absent visitors (API.md section 6): how an inlet tells present from absent. A waiting
 * position last seen before `absentBefore` (epoch seconds) is absent. The inlet admits present
 * ones only: first those who came back after the counter passed them while absent, then the
 * present ones in line; absent ones are passed without counting against its budget. At most
 * `work` positions are looked at per call (rule 6), so a call's cost does not grow with the
 * number of absent visitors; what is left is looked at by the next one.
 */
export interface PresenceRule {
  absentBefore: number;
  work: number;
}

/** Present and absent visitors of an event as the last presence sweep counted them. */
export interface PresenceCount {
  /** Waiting positions seen within the window, and those back after being passed while absent. */
  present: number;
  /** Waiting positions not seen within the window. */
  absent: number;
  /** Positions the inlet let in (present) that have not claimed a token and not expired. */
  outstanding: number;
}

/** API.md section 6, "Scheduled start with a pre-queue and a verifiable draw". Epoch seconds. */
export interface ScheduleSettings {
  /** From then until `startAt` visitors join a pre-queue; absent: no pre-queue. */
  prequeueAt?: number | undefined;
  /** Before it (and before `prequeueAt`) nobody joins; at it the pre-queue is drawn. */
  startAt: number;
}

export type DrawAlgorithmSetting = 'fifo' | 'shuffle';

/** A proof-of-work or a captcha widget (API.md section 6, "Entry challenge"). */
export type ChallengeSettings = PowChallengeSettings | SiteverifyChallengeSettings;

export interface PowChallengeSettings {
  type: 'pow';
  /** Leading zero bits the SHA-256 of the answer must have (8–24): 2^difficulty hashes on average. */
  difficulty: number;
}

export type SiteverifyProvider = 'turnstile' | 'hcaptcha' | 'recaptcha';

export interface SiteverifyChallengeSettings {
  type: 'siteverify';
  provider: SiteverifyProvider;
  /** The widget's public key (shown to visitors). */
  sitekey: string;
  /** The server key of the siteverify call: never shown by the admin API, the dashboard or the audit log. */
  secret: string;
  /** The siteverify URL; absent: the provider's own. */
  url?: string | undefined;
}

/** One place per identity: the site's JWT in `Anteroom-Enqueue-Token` (API.md section 6). */
export interface EnqueueTokenSettings {
  /** The `iss` the tokens must carry. */
  issuer: string;
  /** Where the site publishes its public keys; exactly one of `jwksUrl` and `jwks`. */
  jwksUrl?: string | undefined;
  /** The site's public keys, inline (a JWKS document). */
  jwks?: { keys: Array<Record<string, unknown>> } | undefined;
  /** The `aud` the tokens must carry; absent: not checked. */
  audience?: string | undefined;
}

export interface QueueEntry {
  /** Issued by the store: it carries the position under a MAC (store/request-ids.ts). */
  requestId: string;
  eventId: string;
  /** null while the entry waits in a pre-queue for the draw (`prequeued` is its arrival number). */
  position: number | null;
  /** Epoch seconds the position was assigned (the pre-queue was joined). */
  entryTime: number;
  /** Arrival number in the pre-queue (1, 2, …) of an entry not yet drawn; absent otherwise. */
  prequeued?: number | undefined;
}

export interface EnqueueInput {
  /** Stable key of the visitor (cookie id or Idempotency-Key): a repeat returns the first entry. */
  visitorKey?: string | undefined;
  now: number;
  /** The per-client budget a new entry draws on; none when absent. */
  rateLimit?: EnqueueRateLimit | undefined;
  /**
   * The event has a pre-queue that closes at `startAt`: before then (and while nobody closed
   * it) a new entry joins the pre-queue with an arrival number and no position; at or after it
   * the pre-queue is closed first (`closePrequeue`, with `shuffle`), in the same atomic step, and
   * the entry is placed after it.
   */
  prequeue?: { startAt: number; shuffle: boolean } | undefined;
  /**
   * A new entry is refused with 403 `queue_full` (nothing taken) while this many wait: positions
   * assigned and not yet served (queue − serving), or entries in an open pre-queue.
   */
  maxQueueLength?: number | undefined;
  /** The event counts present visitors (`abandonAfterSeconds`): a new entry is seen now. */
  present?: boolean | undefined;
}

/**
 * The draw of a pre-queue (API.md section 6). `open`: not closed (or no pre-queue); `drawing`:
 * closed, the drawn order is being written (`written` of `participants`); `drawn`: every
 * participant has a position. A pre-queue in arrival order is drawn as it closes (its arrival
 * numbers are its order); a shuffled one needs its order written (`writeDrawSlice`).
 */
export interface DrawState {
  phase: 'open' | 'drawing' | 'drawn';
  /** Arrivals in the pre-queue when it closed (while open: so far). */
  participants: number;
  /** Participants whose drawn order is written. */
  written: number;
  /** The position before the first participant's (0 unless places were taken before). */
  base: number;
  /** The order is shuffled (written by the draw); false: arrival order. */
  shuffled: boolean;
  /** Epoch seconds the pre-queue closed and the draw finished; null before. */
  closedAt: number | null;
  drawnAt: number | null;
}

/**
 * A client's enqueue budget in one event: `perMinute` a minute, a bucket holding a minute's
 * worth that refills continuously (GCRA), shared by every process using the store.
 */
export interface EnqueueRateLimit {
  /** Who draws on it: the client address (at most 128 characters). */
  client: string;
  perMinute: number;
  /** The caller's clock, ms. */
  nowMs: number;
}

export interface EnqueueResult extends QueueEntry {
  /** false when the visitor key was already queued and the first entry was returned. */
  created: boolean;
}

/**
 * The checks a visitor who may be new passes before `enqueue`, for events with an entry
 * challenge or enqueue tokens, in API.md's order after "event open": place already held,
 * enqueue token, rate limit, challenge. The verdicts that need no state (the token's signature,
 * the proof-of-work's hash) are made by the caller; the store applies them in that order, with
 * what needs state, in one atomic step.
 */
export interface ScreenInput {
  /** The key the visitor holds a place under (cookie or Idempotency-Key). */
  visitorKey: string;
  /**
   * The enqueue token: the identity key it names (`identity`: a place held under it is the
   * visitor's, and `visitorKey` is linked to it), or why there is none; absent: not asked for.
   */
  token?: { identity: string } | 'missing' | 'invalid' | 'unavailable' | undefined;
  /** The per-client budget: a new visitor takes one request of it, one with no answer only looks. */
  rateLimit?: EnqueueRateLimit | undefined;
  /**
   * The challenge answer: `missing`, `invalid` (a wrong or expired proof of work), `deferred`
   * (a widget token, verified by the caller once the store clears the visitor), or a valid proof
   * of work whose prefix is spent now (`used`: a name for it, kept `forMs`); absent: none asked.
   */
  challenge?: 'missing' | 'invalid' | 'deferred' | { used: string; forMs: number } | undefined;
  /** The caller's clock, ms (how long a spent prefix is kept). */
  nowMs: number;
}

export type Screening =
  /** The visitor already holds this place: no check applies. */
  | { kind: 'held'; entry: QueueEntry }
  | { kind: 'enqueue_token_required' }
  | { kind: 'enqueue_token_invalid' }
  /** The token could not be checked (its keys could not be fetched). */
  | { kind: 'enqueue_token_unavailable' }
  | { kind: 'challenge_required' }
  | { kind: 'challenge_failed' }
  /** A new visitor that passed every check: its budget is taken (and its proof of work spent). */
  | { kind: 'clear' };

/** Raw counters of one event, as the AWS solution keeps them. */
export interface Counters {
  /** Last assigned position (= number of positions handed out). */
  queue: number;
  serving: number;
  /** Tokens issued (first issuance only). */
  tokens: number;
  /** Positions that expired without a token. */
  expired: number;
  completed: number;
  abandoned: number;
  /** Every position ≤ this is expired (unless it already had a token). */
  maxExpiredPosition: number;
  /**
   * How many times the event was reset (0: never). Kept across resets, so a reader can tell a
   * reset from no change even when new joins brought the other counters back to where they were.
   */
  resets: number;
  /** Events with `abandonAfterSeconds`: present and absent waiting visitors at the last sweep. */
  present?: number | undefined;
  absent?: number | undefined;
  /** Events with `abandonAfterSeconds`: visitors admitted on their return (cumulative). */
  readmitted?: number | undefined;
  /**
   * After a store lost an era (docs/reliability.md): positions up to this one were handed out in
   * the lost era, and those the queue counter was raised over are counted in `expired` (their
   * request ids can never claim). Absent when no era was lost.
   */
  lostBelow?: number | undefined;
}

export type SessionStatus = 'active' | 'completed' | 'abandoned';

/** The stored claims of a token set: re-issue re-signs exactly these. */
export interface SessionRecord {
  requestId: string;
  eventId: string;
  position: number;
  issuedAt: number;
  expiresAt: number;
  issuer: string;
  status: SessionStatus;
}

export interface IssueInput {
  requestId: string;
  now: number;
  validitySeconds: number;
  issuer: string;
  /** The event's `queuePositionExpirySeconds` (null = off). */
  expirySeconds: number | null;
  /** Max-size events: refuse a first issuance while this many sessions are active. */
  maxActive?: number | undefined;
  /** The event counts present visitors: a reached position needs the inlet's admission too. */
  presence?: boolean | undefined;
}

export type IssueOutcome =
  /** `created` is true on the first issuance only. */
  | { kind: 'issued'; session: SessionRecord; created: boolean }
  | { kind: 'unknown' }
  | { kind: 'not_yet'; position: number; serving: number }
  /** max-size: the position is served but every place is taken; retry later. */
  | { kind: 'full'; position: number; serving: number }
  | { kind: 'position_expired' }
  | { kind: 'session_ended'; session: SessionRecord }
  /** The entry waits for the draw of a pre-queue (or the draw is not finished). */
  | { kind: 'prequeue' };

export type PositionExpiry =
  | { kind: 'unknown' }
  | { kind: 'off' }
  | { kind: 'not_served' }
  /** A token was already issued: expiry no longer applies. */
  | { kind: 'claimed' }
  | { kind: 'expired' }
  | { kind: 'running'; expiresIn: number }
  /** Absent visitors: the counter passed the position while its visitor was absent; not admitted (yet). */
  | { kind: 'passed' };

export interface ServingHistoryRow {
  /** Serving-counter value after the change. */
  serving: number;
  /** Epoch seconds of the change. */
  time: number;
  /** First token issuances of positions covered first by this row. */
  served: number;
}

/** One admitted visitor's wait: the estimate they were shown on joining, and the wait they had (seconds). */
export interface EtaSample {
  estimated: number;
  actual: number;
}

/** What one periodic tick did to the serving counter. */
export interface TickAdvance {
  /** Serving counter after the tick. */
  serving: number;
  /** How far this tick moved it (negative for a negative step). */
  moved: number;
  /** With a presence rule: the visitors it admitted (present ones passed, and returning ones). */
  admitted?: number | undefined;
}

/** The adaptive inlet's stored controller state. */
export interface InletStateRecord {
  version: number;
  state: string;
}

/** One reading of an origin's health: p95 latency (ms), error rate (0–1), epoch seconds. */
export interface OriginHealth {
  latencyMs: number;
  errorRate: number;
  at: number;
}

export interface ExpireResult {
  /** The new boundary (every position ≤ it is expired). */
  maxExpiredPosition: number;
  /** Positions newly counted as expired by this call. */
  newlyExpired: number;
  /** How much the serving counter was advanced (0 without auto-advance). */
  advancedBy: number;
  /** Serving counter after the call. */
  serving: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AuditEntry {
  time: number;
  actor: string;
  action: string;
  eventId?: string | undefined;
  before?: unknown;
  after?: unknown;
}

/**
 * The primitives every queue store provides. All operations of one event are
 * atomic with respect to each other across every process sharing the store.
 * Failures of the backing service reject with `StoreUnavailableError`.
 * Argument validation (event ids, request ids, integer ranges) happens in
 * `queue-core/validate.ts` before a store is called; stores may assume valid input.
 */
export interface EntryReadOptions {
  /** How old what the process read of the event may be (ms); 0 or absent: read the store now. */
  maxAgeMs?: number | undefined;
}

export interface QueueStore {
  readonly kind: 'memory' | 'redis';

  /**
   * Assign the next position (1, 2, …), or return the visitor's existing entry. With
   * `rateLimit`, a new entry first takes one request from the client's budget in this event,
   * in the same atomic step: when the budget is spent it rejects with 429 `rate_limited`
   * (`retryAfter` seconds) and nothing is taken. A known visitor key is answered without
   * touching the budget.
   */
  enqueue(eventId: string, input: EnqueueInput): Promise<EnqueueResult>;
  /**
   * Position and entry time of a request id, or null when it was never issued. With
   * `maxAgeMs`, a place that exists may be answered from what the process read of the event up
   * to that long ago (no store call for a waiting visitor's poll); a reset made elsewhere within
   * that time can go unseen. "Unknown" is always the store's answer as of now.
   */
  getEntry(eventId: string, requestId: string, options?: EntryReadOptions): Promise<QueueEntry | null>;
  /**
   * Re-create a waiting place the store lost from its signed receipt (place-receipts.ts; the
   * caller verified it, and that `requestId` carries its position): the place at the same
   * position in the queue's current era (its request id is that era's), or null when it cannot
   * be: the event was reset since the receipt, or the current era already handed the position
   * out to someone else. Never makes a position held twice.
   */
  restorePlace(eventId: string, requestId: string, receipt: PlaceReceipt): Promise<QueueEntry | null>;

  getServingCounter(eventId: string): Promise<number>;
  /**
   * Add `by` (may be negative); the counter never goes below 0. Returns the new value. With
   * `presence`, an increase admits `by` present visitors (PresenceRule) instead of `by` positions.
   */
  incrementServingCounter(eventId: string, by: number, now: number, presence?: PresenceRule): Promise<number>;
  /**
   * One periodic inlet tick, atomically: when `tick` is above the event's last tick taken
   * here, record it and move the serving counter as `incrementServingCounter(eventId, by,
   * now)` does, except that an increase never takes it past the queue counter (the last
   * position assigned): new = min(serving + by, max(serving, queue)) for `by` > 0, so ticks
   * while nobody waits do not bank admissions for the next crowd, and a counter already
   * past the queue (an admin increment) is left where it is. A negative `by` lowers it as
   * incrementServingCounter does (never below 0). Returns the serving value after the tick
   * and how far this tick moved it (0 when nobody new is queued: the tick is still taken).
   * When `tick` is not above the last tick taken, changes nothing and returns null. Exactly
   * one caller per tick takes it, and no failure can record the tick without the advance
   * or the reverse. `reset` forgets the last tick.
   */
  advanceOnTick(
    eventId: string,
    tick: number,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<TickAdvance | null>;
  getCounters(eventId: string): Promise<Counters>;
  /** queue − tokens − expired, never below 0. */
  waitingCount(eventId: string): Promise<number>;

  /** Issue (first time) or look up (later) the session of a request id: one atomic step. */
  issueToken(eventId: string, input: IssueInput): Promise<IssueOutcome>;
  getSession(eventId: string, requestId: string): Promise<SessionRecord | null>;
  /**
   * The sessions of many request ids in one read (null where none), in the order asked: the
   * status streams' batched check of who was admitted or ended (at most 1000 ids a call).
   */
  getSessions(eventId: string, requestIds: readonly string[]): Promise<(SessionRecord | null)[]>;
  /**
   * Sessions with status active and `expiresAt > now`, with those the loss hold counts (Redis:
   * sessions a store lost whose tokens still verify, docs/reliability.md).
   */
  activeCount(eventId: string, now: number): Promise<number>;
  /**
   * Redis: see now whether the store lost writes of the event (the regression guard) and, if so,
   * put back the sessions this process issued (the loss hold) before answering. The max-size
   * inlet calls it before it counts. Stores that cannot lose writes (memory) have none.
   */
  holdLosses?(eventId: string): Promise<void>;
  /** Request ids whose token expired (`expiresAt < now`), any status, oldest first. */
  expiredSessions(
    eventId: string,
    now: number,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<string>>;
  /** active → completed/abandoned, once. null when unknown or already set. */
  updateSession(
    eventId: string,
    requestId: string,
    status: 'completed' | 'abandoned',
  ): Promise<SessionRecord | null>;

  /** Queue-position expiry state of one request id (AWS `/queue_pos_expiry` semantics). */
  /** With `presence`, a reached position its visitor was absent for answers `passed` until admitted. */
  positionExpiry(
    eventId: string,
    requestId: string,
    now: number,
    expirySeconds: number | null,
    presence?: boolean,
  ): Promise<PositionExpiry>;
  /**
   * Advance the expiry boundary over positions that were reached and not claimed in time. With
   * `presence` (the event counts present visitors), auto-advance makes up only for positions the
   * inlet admitted: it is a credit the next presence advance admits more by.
   */
  expirePositions(
    eventId: string,
    now: number,
    expirySeconds: number,
    autoAdvance: boolean,
    presence?: boolean,
  ): Promise<ExpireResult>;

  /**
   * Absent visitors (API.md section 6): the positions were seen at `now` (a status request, an
   * open stream, `queue_num`, `generate_token`). A waiting one is present from now on; one the
   * serving counter passed while its visitor was absent comes back: the next inlet advance
   * admits it ahead of the line, unless it expired (`expirySeconds` after it was reached, or
   * behind the expiry boundary). Positions not handed out are ignored. One call for many.
   */
  touchPresence(
    eventId: string,
    positions: readonly number[],
    now: number,
    expirySeconds: number | null,
  ): Promise<void>;
  /**
   * Forget the presence of at most `rule.work` positions not seen since `rule.absentBefore`
   * (oldest first) and record the counts (`Counters.present`, `absent`), in one atomic step.
   */
  sweepPresence(eventId: string, rule: PresenceRule): Promise<PresenceCount>;
  /** Serving-counter changes, oldest first (bounded by `limit`, newest kept). */
  servingHistory(eventId: string, limit: number): Promise<ServingHistoryRow[]>;
  /**
   * The serving history as an admitted position's wait-estimate sample needs it: the newest
   * `limit` rows written at or before `time` (when the position was taken), and the time the
   * row that first covered `position` was written (when it was reached; null: no row covers it).
   */
  historyAt(
    eventId: string,
    position: number,
    time: number,
    limit: number,
  ): Promise<{ rows: ServingHistoryRow[]; reachedAt: number | null }>;
  /** Keep one wait-estimate sample, with the event's newest `keep` (a reset forgets them). */
  recordEtaSample(eventId: string, sample: EtaSample, keep: number): Promise<void>;
  /** The event's kept wait-estimate samples, newest first. */
  etaSamples(eventId: string): Promise<EtaSample[]>;

  /**
   * Remove every trace of one event (counters, entries, sessions, history, last tick, the
   * adaptive inlet's state and pushed reading); the settings override stays.
   */
  reset(eventId: string): Promise<void>;

  /**
   * Take or renew a named lease for `ttlMs`. True when `owner` holds it after the call.
   * Used so exactly one process acts per inlet tick.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;

  /**
   * Give up a lease `owner` holds, so another process can take it at once instead of after
   * its ttl (a stopping server, a scheduled run that ends). False when `owner` did not hold it.
   */
  releaseLease(name: string, owner: string): Promise<boolean>;

  /**
   * Take one request from the named budget of `perMinute` a minute (a bucket holding a minute's
   * worth that refills continuously, the arithmetic of the enqueue budget), shared by every
   * process using the store. Resolves to 0 when one was taken, else to the seconds (≥ 1) until
   * one would be, and nothing is taken. Used for per-client limits outside the enqueue (the
   * OIDC requests that create provider state); `name` says whose budget it is.
   */
  takeBudget(name: string, perMinute: number, nowMs: number): Promise<number>;

  /**
   * The checks before a new place (`ScreenInput`), in one atomic step. A spent budget rejects
   * with 429 `rate_limited` as `enqueue` does; nothing else is thrown. `clear` takes no place:
   * the caller enqueues next, without a budget (this call took it).
   */
  screenVisitor(eventId: string, input: ScreenInput): Promise<Screening>;
  /** Let `visitorKey` name the place `requestId` holds too (unless it already names one). */
  linkVisitor(eventId: string, visitorKey: string, requestId: string): Promise<void>;
  /**
   * Record `owner` as the client of `visitorKey` unless one is recorded already, atomically;
   * answers the recorded owner (`owner` when this call recorded it). Kept until `reset`.
   */
  bindVisitorKey(eventId: string, visitorKey: string, owner: string): Promise<string>;

  /**
   * The adaptive inlet's controller state (JSON, opaque to the store) and its version (1 after
   * the first write); null before any write or after `reset`.
   */
  getInletState(eventId: string): Promise<InletStateRecord | null>;
  /**
   * One adaptive inlet step, atomically: when the stored state's version is `expectedVersion`
   * (0 when none is stored), store `state` as version expectedVersion + 1 and move the serving
   * counter up by `by` (≥ 0) as `advanceOnTick` does: never past the queue counter. Returns the
   * serving value after the step and how far it moved; null, changing nothing, when the
   * version differs (another process stepped first).
   */
  advanceInlet(
    eventId: string,
    expectedVersion: number,
    state: string,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<TickAdvance | null>;
  /** Keep the latest reading of the origin's health pushed for an event (`POST /origin_health`). */
  putOriginHealth(eventId: string, sample: OriginHealth): Promise<void>;
  /** The latest pushed reading; null when none (or after `reset`). */
  getOriginHealth(eventId: string): Promise<OriginHealth | null>;

  /**
   * Admission without waiting: move the serving counter onto `position` when it is next in line
   * (the counter is at position − 1) and active sessions plus served, unclaimed positions are
   * under `maxActive`, in one atomic step; false (nothing changed) otherwise. The caller then
   * issues the token, which `issueToken` refuses past `maxActive` on its own.
   */
  admitOnArrival(eventId: string, position: number, maxActive: number, now: number): Promise<boolean>;

  /** Live event settings changed through the admin API (shared across processes). */
  getEventOverride(eventId: string): Promise<EventSettings | null>;
  putEventOverride(settings: EventSettings): Promise<void>;

  /**
   * An admin write's `Idempotency-Key` (API.md section 5), `key` already scoped to its call:
   * `claimed` when nobody used it within `ttlSeconds` (it is now held), `answered` with the
   * first request's answer, `in_doubt` when a request holds it without an answer (running, or
   * it failed with its outcome unknown).
   */
  claimIdempotencyKey(key: string, ttlSeconds: number, nowMs: number): Promise<IdempotencyClaim>;
  /** Keep the answer of a claimed key for the rest of its lifetime. */
  answerIdempotencyKey(key: string, answer: string): Promise<void>;
  /** Give a claimed key up: its request changed nothing. */
  releaseIdempotencyKey(key: string): Promise<void>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;

  /**
   * The pre-queue's draw (API.md section 6). A pre-queued entry (`enqueue` with `prequeue`)
   * carries its arrival number in its request id and has no position until the draw is done;
   * `issueToken` answers `prequeue` for it, and for every entry while the draw is `drawing`.
   * A pre-queued visitor costs what a queued one does: their visitor key names the arrival.
   */
  drawState(eventId: string): Promise<DrawState>;
  /**
   * Close the pre-queue at `now` (idempotent: a closed one is left as it is): its arrivals are
   * the draw's participants, the queue counter moves past them so later arrivals take the
   * positions after them. In arrival order (`shuffle` false) or with no participant the draw
   * is `drawn` at once; else it is `drawing` until its order is written.
   */
  closePrequeue(eventId: string, now: number, shuffle: boolean): Promise<DrawState>;
  /** The request ids of the pre-queue's arrivals `from` … `from + count − 1` (1-based), in arrival order. */
  prequeueIds(eventId: string, from: number, count: number): Promise<string[]>;
  /**
   * One slice of a shuffled draw's order, in one short atomic step: `ranks` holds, as 32-bit
   * big-endian numbers, the drawn rank (1 … n) of arrivals `written + 1` … on, and `arrivals`
   * the arrival number drawn at ranks `written + 1` … on (the same count). Written only when the
   * draw is `drawing` and `written` is still `expectedWritten` (else null, nothing changed:
   * another process wrote it); the draw is `drawn` at `now` after the last slice. Returns the
   * new `written`.
   */
  writeDrawSlice(
    eventId: string,
    expectedWritten: number,
    ranks: Buffer,
    arrivals: Buffer,
    now: number,
  ): Promise<number | null>;
  /** The participants' request ids in drawn order from `offset` (0-based), at most `limit`; [] before the draw is done. */
  drawnIds(eventId: string, offset: number, limit: number): Promise<string[]>;

  /** Is the backing service reachable (health checks). */
  ping(): Promise<boolean>;
  /** Settings of the backing service that put the queue at risk, for the operator (logged at start). */
  configurationWarnings(): Promise<string[]>;
  close(): Promise<void>;
}

/** What an admin write's `Idempotency-Key` says (`QueueStore.claimIdempotencyKey`). */
export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'answered'; answer: string }
  | { kind: 'in_doubt' };
