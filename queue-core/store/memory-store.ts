/**
 * The single-process queue engine: every rule of the Redis store, kept in Maps and
 * sorted arrays. It is not a mock; it passes the same contract suite and serves as the
 * model the Redis store is compared against. Hot-path operations are O(1) or O(log n).
 */

import { AnteroomError, rateLimitedError } from '../errors.ts';
import type { PlaceReceipt } from '../place-receipts.ts';
import type {
  AuditEntry,
  Counters,
  DrawState,
  EnqueueInput,
  EnqueueResult,
  EtaSample,
  EventSettings,
  ExpireResult,
  IdempotencyClaim,
  InletStateRecord,
  IssueInput,
  IssueOutcome,
  OriginHealth,
  Page,
  PositionExpiry,
  PresenceCount,
  PresenceRule,
  QueueEntry,
  QueueStore,
  ScreenInput,
  Screening,
  ServingHistoryRow,
  SessionRecord,
  TickAdvance,
} from '../types.ts';
import { newEra, prequeueIdFor, requestIdFor } from './request-ids.ts';
import { SortedSet } from './sorted-set.ts';
import { decodeCursor, encodeCursor, invalidCursor } from './store-codec.ts';
import { AUDIT_CAP, EXPIRE_ROWS_PER_CALL, MAX_SERVING } from './store-limits.ts';

export { AUDIT_CAP, EXPIRE_ROWS_PER_CALL, MAX_SERVING };

interface EventState {
  counters: Counters;
  /** The secret this queue's request ids are signed with (request-ids.ts); drawn at the first join. */
  era: string | undefined;
  entries: Map<string, { position: number; entryTime: number }>;
  visitors: Map<string, string>;
  /** visitorKey → the client that first used it (`bindVisitorKey`). */
  keyOwners: Map<string, string>;
  /** Entry time by position − 1. */
  entryTimes: number[];
  sessions: Map<string, SessionRecord>;
  /** Active sessions by expiresAt. */
  active: SortedSet;
  /** Every session by expiresAt (expired-session listing). */
  all: SortedSet;
  /** Every session by position: how many positions of a range were claimed. */
  claimed: SortedSet;
  /** Strictly increasing serving values; the last row is the current serving counter. */
  history: ServingHistoryRow[];
  /** Last periodic inlet tick taken by `advanceOnTick` (none yet: undefined). */
  lastTick: number | undefined;
  /** The adaptive inlet's controller state (`advanceInlet`), and the last pushed reading. */
  inlet: InletStateRecord | undefined;
  originHealth: string | undefined;
  /** The pre-queue (API.md section 6): each arrival's request id and join time, by arrival − 1. */
  arrivals: Array<{ requestId: string; entryTime: number }>;
  /** Pre-queue request id → arrival number. */
  prequeued: Map<string, number>;
  draw: DrawState;
  /** A shuffled draw's rank of each arrival (by arrival − 1), and the arrival at each rank (by rank − 1). */
  ranks: number[];
  order: number[];
  /** Absent visitors: present positions (waiting) and those the inlet let in (≤ serving), by position. */
  present: SortedSet;
  /** Position → when it was last seen (epoch seconds), and the same ordered by time. */
  seen: Map<number, number>;
  seenOrder: SortedSet;
  /** Positions passed while their visitor was absent who came back, waiting to be admitted first. */
  back: SortedSet;
  /** Expired admitted positions auto-advance still owes the next presence advance. */
  credit: number;
  /**
   * The serving counter the first presence advance started from: positions up to it were let
   * in by reaching them, before the event counted presence (none yet: every reached one was).
   */
  presenceFrom: number | undefined;
  /** The newest wait-estimate samples, newest first. */
  etaSamples: EtaSample[];
}

/** The place of an entry: a position, or none yet (a pre-queued arrival). */
type Located =
  | { position: number; entryTime: number }
  | { position: null; entryTime: number; arrival: number };

function newEventState(): EventState {
  return {
    counters: {
      queue: 0,
      serving: 0,
      tokens: 0,
      expired: 0,
      completed: 0,
      abandoned: 0,
      maxExpiredPosition: 0,
      resets: 0,
    },
    era: undefined,
    entries: new Map(),
    visitors: new Map(),
    keyOwners: new Map(),
    entryTimes: [],
    sessions: new Map(),
    active: new SortedSet(),
    all: new SortedSet(),
    claimed: new SortedSet(),
    history: [],
    lastTick: undefined,
    inlet: undefined,
    originHealth: undefined,
    arrivals: [],
    prequeued: new Map(),
    etaSamples: [],
    draw: {
      phase: 'open',
      participants: 0,
      written: 0,
      base: 0,
      shuffled: false,
      closedAt: null,
      drawnAt: null,
    },
    ranks: [],
    order: [],
    present: new SortedSet(),
    seen: new Map(),
    seenOrder: new SortedSet(),
    back: new SortedSet(),
    credit: 0,
    presenceFrom: undefined,
  };
}

/** Where a request id stands: its position, or (pre-queued, not drawn yet) its arrival; undefined when unknown. */
function locate(state: EventState, requestId: string): Located | undefined {
  const entry = state.entries.get(requestId);
  if (entry !== undefined) return entry;
  const arrival = state.prequeued.get(requestId);
  if (arrival === undefined) return undefined;
  const { draw } = state;
  if (draw.phase !== 'drawn')
    return { position: null, entryTime: state.arrivals[arrival - 1]!.entryTime, arrival };
  const position = draw.base + (draw.shuffled ? state.ranks[arrival - 1]! : arrival);
  return { position, entryTime: state.entryTimes[position - 1]! };
}

/** As a `QueueEntry`. */
function entryOf(eventId: string, requestId: string, located: Located): QueueEntry {
  return located.position === null
    ? { requestId, eventId, position: null, entryTime: located.entryTime, prequeued: located.arrival }
    : { requestId, eventId, position: located.position, entryTime: located.entryTime };
}

/** Close the pre-queue (idempotent): lua/close-prequeue.lua. */
function closePrequeue(state: EventState, now: number, shuffle: boolean): void {
  const { draw } = state;
  if (draw.phase !== 'open') return;
  const participants = state.arrivals.length;
  draw.participants = participants;
  draw.base = state.counters.queue;
  draw.shuffled = shuffle;
  draw.closedAt = now;
  if (participants === 0 || !shuffle) {
    draw.phase = 'drawn';
    draw.written = participants;
    draw.drawnAt = now;
  } else {
    draw.phase = 'drawing';
  }
  state.counters.queue += participants;
  for (let i = 0; i < participants; i++) state.entryTimes.push(now);
}

/** Index of the first history row with serving ≥ position (the row that first covered it). */
function coveringRowIndex(history: ServingHistoryRow[], position: number): number {
  let low = 0;
  let high = history.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (history[mid]!.serving < position) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Expiry reference: the later of joining and being reached by the serving counter. */
function referenceTime(state: EventState, position: number, entryTime: number): number {
  const row = state.history[coveringRowIndex(state.history, position)];
  return Math.max(entryTime, row?.time ?? entryTime);
}

function isPositionExpired(
  state: EventState,
  entry: { position: number; entryTime: number },
  now: number,
  expirySeconds: number,
): boolean {
  if (entry.position <= state.counters.maxExpiredPosition) return true;
  return now - referenceTime(state, entry.position, entry.entryTime) > expirySeconds;
}

/**
 * Record a new serving value as a history row (rows stay strictly increasing). Rows above
 * it are dropped (a decrease); a row already at the value keeps its time.
 */
function recordServing(state: EventState, serving: number, now: number): void {
  const { history } = state;
  while (history.length > 0 && history[history.length - 1]!.serving > serving) history.pop();
  if (history[history.length - 1]?.serving !== serving) {
    history.push({ serving, time: now, served: 0 });
  }
}

/**
 * Move the serving counter by `by` within [0, MAX_SERVING]; returns the new value. With
 * `capAtQueue` (the periodic inlet) an increase stops at the queue counter and never moves
 * a counter already past it, so an idle queue does not bank admissions; decreases are not
 * capped.
 */
function incrementServing(state: EventState, by: number, now: number, capAtQueue = false): number {
  const { serving, queue } = state.counters;
  const target = capAtQueue && by > 0 ? Math.min(serving + by, Math.max(serving, queue)) : serving + by;
  const next = Math.min(MAX_SERVING, Math.max(0, target));
  if (next !== state.counters.serving) {
    state.counters.serving = next;
    recordServing(state, next, now);
  }
  return next;
}

/** Presence members are positions; the score is the position, the member always ''. */
const AT = '';

function markSeen(state: EventState, position: number, now: number): void {
  const before = state.seen.get(position);
  if (before !== undefined) state.seenOrder.remove(before, String(position));
  state.seen.set(position, now);
  state.seenOrder.add(now, String(position));
}

function forgetSeen(state: EventState, position: number): void {
  const before = state.seen.get(position);
  if (before === undefined) return;
  state.seenOrder.remove(before, String(position));
  state.seen.delete(position);
}

/** The last drawn position while the draw's participants still count as present, else 0. */
function presentDrawEnd(state: EventState, rule: PresenceRule): number {
  const { draw } = state;
  if (draw.phase !== 'drawn' || draw.drawnAt === null || draw.drawnAt < rule.absentBefore) return 0;
  return draw.base + draw.participants;
}

/**
 * Move the serving counter so that `by` (plus the expiry credit) present visitors are admitted
 * (the same walk as lua/increment-serving.lua): first those back after being passed, then the
 * present positions above the counter in order, passing absent ones (forgotten as they are
 * met); when no present position is left, up to the queue counter. At most `rule.work`
 * positions are looked at. Returns the new serving value and how many were admitted.
 */
function presentAdvance(
  state: EventState,
  by: number,
  now: number,
  rule: PresenceRule,
): { serving: number; admitted: number } {
  const { counters } = state;
  state.presenceFrom ??= counters.serving;
  let budget = by + state.credit;
  state.credit = 0;
  let admitted = 0;
  let work = 0;
  while (budget > 0 && state.back.size > 0 && work < rule.work) {
    work++;
    const position = state.back.scoreAt(0)!;
    state.back.remove(position, AT);
    if (position <= counters.maxExpiredPosition) continue;
    state.present.add(position, AT);
    counters.readmitted = (counters.readmitted ?? 0) + 1;
    budget--;
    admitted++;
  }
  let cursor = counters.serving;
  // A pre-queue's participants could not be seen before the draw: for one window after it,
  // those not seen since count as seen at the draw (as in lua/increment-serving.lua).
  const drawEnd = presentDrawEnd(state, rule);
  while (budget > 0 && work < rule.work && cursor < drawEnd) {
    cursor++;
    work++;
    state.present.add(cursor, AT);
    budget--;
    admitted++;
  }
  while (budget > 0 && work < rule.work) {
    const index = state.present.indexAbove(cursor);
    const position = state.present.scoreAt(index);
    if (position === undefined) {
      cursor = Math.max(cursor, counters.queue);
      break;
    }
    work++;
    cursor = position;
    if ((state.seen.get(position) ?? Number.NEGATIVE_INFINITY) >= rule.absentBefore) {
      budget--;
      admitted++;
    } else {
      state.present.remove(position, AT);
      forgetSeen(state, position);
    }
  }
  if (cursor > counters.serving) {
    counters.serving = Math.min(cursor, MAX_SERVING);
    recordServing(state, counters.serving, now);
  }
  return { serving: counters.serving, admitted };
}

/** Expired Idempotency-Keys are swept once this many are held. */
const IDEMPOTENCY_SWEEP_SIZE = 10_000;

export class MemoryStore implements QueueStore {
  readonly kind = 'memory';
  #events = new Map<string, EventState>();
  /** How many times each event was reset (kept across resets, as the Redis store's `ar:{e}:x`). */
  #resets = new Map<string, number>();
  #leases = new Map<string, { owner: string; until: number }>();
  /** Rate budgets: name → theoretical arrival time (ms) of the next request (GCRA). */
  #rates = new Map<string, number>();
  #lastRateSweep = Number.NEGATIVE_INFINITY;
  /** Spent proof-of-work prefixes: name → when it may be forgotten (ms). */
  #spent = new Map<string, number>();
  #lastSpentSweep = Number.NEGATIVE_INFINITY;
  #overrides = new Map<string, string>();
  #audit: AuditEntry[] = [];
  readonly #newEra: () => string;

  /** `newEra`: where a queue's era comes from (request-ids.ts); default random. Tests pin it to compare stores. */
  constructor(options: { newEra?: (() => string) | undefined } = {}) {
    this.#newEra = options.newEra ?? newEra;
  }
  /** Admin Idempotency-Keys: key → answer ('' while claimed) and when it is forgotten (ms). */
  #idempotency = new Map<string, { answer: string; until: number }>();

  #state(eventId: string): EventState {
    let state = this.#events.get(eventId);
    if (!state) {
      state = newEventState();
      this.#events.set(eventId, state);
    }
    return state;
  }

  /** Read-only access: an unknown event reads as a new one without being created. */
  #peek(eventId: string): EventState | undefined {
    return this.#events.get(eventId);
  }

  async enqueue(eventId: string, input: EnqueueInput): Promise<EnqueueResult> {
    const state = this.#state(eventId);
    // An empty key names nobody (the Redis store cannot tell it from no key either).
    const visitorKey = input.visitorKey === '' ? undefined : input.visitorKey;
    const knownId = visitorKey === undefined ? undefined : state.visitors.get(visitorKey);
    if (knownId === undefined && input.maxQueueLength !== undefined) {
      // Those waiting: the pre-queue while it is open, else the positions not served yet.
      const unclosed = input.prequeue !== undefined && state.draw.phase === 'open';
      const prequeued = unclosed ? state.arrivals.length : 0;
      const waiting =
        unclosed && input.now < input.prequeue!.startAt
          ? prequeued
          : state.counters.queue + prequeued - state.counters.serving;
      if (waiting >= input.maxQueueLength) throw new AnteroomError('queue_full');
    }
    if (knownId === undefined && input.rateLimit !== undefined) {
      const { client, perMinute, nowMs } = input.rateLimit;
      const retryAfter = this.#takeRate(`${eventId}\n${client}`, perMinute, nowMs);
      if (retryAfter > 0) throw rateLimitedError(retryAfter);
    }
    if (knownId !== undefined) {
      return { ...entryOf(eventId, knownId, locate(state, knownId)!), created: false };
    }
    state.era ??= this.#newEra();
    if (input.prequeue !== undefined && state.draw.phase === 'open') {
      if (input.now < input.prequeue.startAt) {
        // The pre-queue is open: an arrival number, no position (the draw gives it at startAt).
        const arrival = state.arrivals.length + 1;
        const requestId = prequeueIdFor(state.era, eventId, arrival);
        state.arrivals.push({ requestId, entryTime: input.now });
        state.prequeued.set(requestId, arrival);
        if (visitorKey !== undefined) state.visitors.set(visitorKey, requestId);
        return {
          requestId,
          eventId,
          position: null,
          entryTime: input.now,
          prequeued: arrival,
          created: true,
        };
      }
      closePrequeue(state, input.now, input.prequeue.shuffle);
    }
    const position = ++state.counters.queue;
    const requestId = requestIdFor(state.era, eventId, position);
    state.entries.set(requestId, { position, entryTime: input.now });
    state.entryTimes.push(input.now);
    if (visitorKey !== undefined) state.visitors.set(visitorKey, requestId);
    if (input.present) {
      state.present.add(position, AT);
      markSeen(state, position, input.now);
    }
    return { requestId, eventId, position, entryTime: input.now, created: true };
  }

  async getEntry(eventId: string, requestId: string): Promise<QueueEntry | null> {
    const state = this.#peek(eventId);
    const located = state === undefined ? undefined : locate(state, requestId);
    return located === undefined ? null : entryOf(eventId, requestId, located);
  }

  /** Memory loses nothing: an id it does not know was reset away (or never issued), and stays unknown. */
  async restorePlace(
    _eventId: string,
    _requestId: string,
    _receipt: PlaceReceipt,
  ): Promise<QueueEntry | null> {
    return null;
  }

  async getServingCounter(eventId: string): Promise<number> {
    return this.#peek(eventId)?.counters.serving ?? 0;
  }

  async incrementServingCounter(
    eventId: string,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<number> {
    const state = this.#state(eventId);
    if (presence !== undefined && by > 0) return presentAdvance(state, by, now, presence).serving;
    return incrementServing(state, by, now);
  }

  async advanceOnTick(
    eventId: string,
    tick: number,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<TickAdvance | null> {
    const state = this.#state(eventId);
    if (state.lastTick !== undefined && tick <= state.lastTick) return null;
    // No await between the check and the increment: atomic for every caller of this store.
    state.lastTick = tick;
    return this.#advance(state, by, now, presence);
  }

  #advance(state: EventState, by: number, now: number, presence: PresenceRule | undefined): TickAdvance {
    const before = state.counters.serving;
    if (presence !== undefined && by > 0) {
      const { serving, admitted } = presentAdvance(state, by, now, presence);
      return { serving, moved: serving - before, admitted };
    }
    const serving = incrementServing(state, by, now, true);
    return { serving, moved: serving - before };
  }

  async getInletState(eventId: string): Promise<InletStateRecord | null> {
    const inlet = this.#peek(eventId)?.inlet;
    return inlet === undefined ? null : { ...inlet };
  }

  async advanceInlet(
    eventId: string,
    expectedVersion: number,
    state: string,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<TickAdvance | null> {
    const event = this.#state(eventId);
    if ((event.inlet?.version ?? 0) !== expectedVersion) return null;
    // No await between the check and the increment: atomic for every caller of this store.
    event.inlet = { version: expectedVersion + 1, state };
    return this.#advance(event, by, now, presence);
  }

  async putOriginHealth(eventId: string, sample: OriginHealth): Promise<void> {
    this.#state(eventId).originHealth = JSON.stringify(sample);
  }

  async getOriginHealth(eventId: string): Promise<OriginHealth | null> {
    const json = this.#peek(eventId)?.originHealth;
    return json === undefined ? null : (JSON.parse(json) as OriginHealth);
  }

  async getCounters(eventId: string): Promise<Counters> {
    return { ...(this.#peek(eventId) ?? newEventState()).counters, resets: this.#resets.get(eventId) ?? 0 };
  }

  async waitingCount(eventId: string): Promise<number> {
    const counters = this.#peek(eventId)?.counters;
    return counters ? Math.max(0, counters.queue - counters.tokens - counters.expired) : 0;
  }

  async issueToken(eventId: string, input: IssueInput): Promise<IssueOutcome> {
    const state = this.#peek(eventId);
    const located = state === undefined ? undefined : locate(state, input.requestId);
    if (!state || !located) return { kind: 'unknown' };
    if (located.position === null || state.draw.phase === 'drawing') return { kind: 'prequeue' };
    const entry = located;
    const { serving } = state.counters;
    if (entry.position > serving) return { kind: 'not_yet', position: entry.position, serving };
    const existing = state.sessions.get(input.requestId);
    if (existing) {
      return existing.status === 'active'
        ? { kind: 'issued', session: { ...existing }, created: false }
        : { kind: 'session_ended', session: { ...existing } };
    }
    // Passed while its visitor was absent: admitted only once the inlet lets it in on return.
    if (
      input.presence &&
      state.presenceFrom !== undefined &&
      entry.position > state.presenceFrom &&
      state.present.indexOf(entry.position, AT) < 0
    ) {
      return { kind: 'not_yet', position: entry.position, serving };
    }
    if (input.expirySeconds !== null && isPositionExpired(state, entry, input.now, input.expirySeconds)) {
      return { kind: 'position_expired' };
    }
    if (input.maxActive !== undefined && state.active.countAbove(input.now) >= input.maxActive) {
      return { kind: 'full', position: entry.position, serving };
    }
    const session: SessionRecord = {
      requestId: input.requestId,
      eventId,
      position: entry.position,
      issuedAt: input.now,
      expiresAt: input.now + input.validitySeconds,
      issuer: input.issuer,
      status: 'active',
    };
    state.sessions.set(input.requestId, session);
    state.active.add(session.expiresAt, input.requestId);
    state.all.add(session.expiresAt, input.requestId);
    state.claimed.add(session.position, input.requestId);
    state.counters.tokens++;
    // Only possible with expiry off: a position counted as expired now has its token.
    if (entry.position <= state.counters.maxExpiredPosition) state.counters.expired--;
    const row = state.history[coveringRowIndex(state.history, entry.position)];
    if (row) row.served++;
    return { kind: 'issued', session: { ...session }, created: true };
  }

  async getSession(eventId: string, requestId: string): Promise<SessionRecord | null> {
    const session = this.#peek(eventId)?.sessions.get(requestId);
    return session ? { ...session } : null;
  }

  async getSessions(eventId: string, requestIds: readonly string[]): Promise<(SessionRecord | null)[]> {
    const sessions = this.#peek(eventId)?.sessions;
    return requestIds.map((requestId) => {
      const session = sessions?.get(requestId);
      return session ? { ...session } : null;
    });
  }

  async activeCount(eventId: string, now: number): Promise<number> {
    return this.#peek(eventId)?.active.countAbove(now) ?? 0;
  }

  async expiredSessions(
    eventId: string,
    now: number,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<string>> {
    const state = this.#peek(eventId);
    let start = 0;
    if (page.cursor !== undefined) {
      const after = decodeCursor(page.cursor);
      const session = state?.sessions.get(after);
      const index = session ? state!.all.indexOf(session.expiresAt, after) : -1;
      if (index < 0) throw invalidCursor();
      start = index + 1;
    }
    const items: string[] = [];
    let index = start;
    // One item beyond the page tells whether another page exists.
    while (state && items.length <= page.limit && (state.all.scoreAt(index) ?? now) < now) {
      items.push(state.all.memberAt(index)!);
      index++;
    }
    const more = items.length > page.limit;
    if (more) items.pop();
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!) : null };
  }

  async updateSession(
    eventId: string,
    requestId: string,
    status: 'completed' | 'abandoned',
  ): Promise<SessionRecord | null> {
    const state = this.#peek(eventId);
    const session = state?.sessions.get(requestId);
    if (!state || !session || session.status !== 'active') return null;
    session.status = status;
    state.active.remove(session.expiresAt, requestId);
    if (status === 'completed') state.counters.completed++;
    else state.counters.abandoned++;
    return { ...session };
  }

  async positionExpiry(
    eventId: string,
    requestId: string,
    now: number,
    expirySeconds: number | null,
    presence?: boolean,
  ): Promise<PositionExpiry> {
    const state = this.#peek(eventId);
    const entry = state === undefined ? undefined : locate(state, requestId);
    if (!state || !entry) return { kind: 'unknown' };
    if (
      presence &&
      entry.position !== null &&
      state.presenceFrom !== undefined &&
      entry.position > state.presenceFrom &&
      entry.position <= state.counters.serving &&
      !state.sessions.has(requestId) &&
      state.present.indexOf(entry.position, AT) < 0 &&
      (expirySeconds === null || !isPositionExpired(state, entry, now, expirySeconds))
    ) {
      return { kind: 'passed' };
    }
    if (expirySeconds === null) return { kind: 'off' };
    if (state.sessions.has(requestId)) return { kind: 'claimed' };
    if (entry.position === null) return { kind: 'not_served' }; // waits for the draw
    if (entry.position > state.counters.serving) return { kind: 'not_served' };
    if (entry.position <= state.counters.maxExpiredPosition) return { kind: 'expired' };
    const elapsed = now - referenceTime(state, entry.position, entry.entryTime);
    return elapsed > expirySeconds
      ? { kind: 'expired' }
      : { kind: 'running', expiresIn: expirySeconds - elapsed };
  }

  async expirePositions(
    eventId: string,
    now: number,
    expirySeconds: number,
    autoAdvance: boolean,
    presence?: boolean,
  ): Promise<ExpireResult> {
    const state = this.#state(eventId);
    const { counters, history } = state;
    const first = coveringRowIndex(history, counters.maxExpiredPosition + 1);
    // A snapshot: rows added by auto-advance below are left for the next call.
    const rows = history.slice(first, first + EXPIRE_ROWS_PER_CALL);
    let newlyExpired = 0;
    let advancedBy = 0;
    for (const row of rows) {
      const previous = counters.maxExpiredPosition;
      const boundary = Math.min(row.serving, counters.queue);
      if (boundary <= previous) break;
      const reference = Math.max(state.entryTimes[boundary - 1]!, row.time);
      if (now - reference < expirySeconds) break;
      // Counted from the sessions themselves, not from the rows' `served`: a row's count
      // is lost when a decrease drops the row, the sessions stay.
      const claimed = state.claimed.countAbove(previous) - state.claimed.countAbove(boundary);
      const expiredHere = Math.max(0, boundary - previous - claimed);
      counters.maxExpiredPosition = boundary;
      counters.expired += expiredHere;
      newlyExpired += expiredHere;
      if (presence) {
        // Only places the inlet let in are made up for, by the next presence advance; absent
        // visitors passed were never counted against it.
        const letIn = state.present.countBetween(previous, boundary);
        if (autoAdvance) state.credit += Math.max(0, letIn - claimed);
        continue;
      }
      const advance = autoAdvance ? Math.min(expiredHere, MAX_SERVING - counters.serving) : 0;
      if (advance > 0) {
        counters.serving += advance;
        recordServing(state, counters.serving, now);
        advancedBy += advance;
      }
    }
    return {
      maxExpiredPosition: counters.maxExpiredPosition,
      newlyExpired,
      advancedBy,
      serving: counters.serving,
    };
  }

  async touchPresence(
    eventId: string,
    positions: readonly number[],
    now: number,
    expirySeconds: number | null,
  ): Promise<void> {
    const state = this.#peek(eventId);
    if (state === undefined) return;
    const { counters } = state;
    // Before the first presence advance (or up to where it started) a reached position was let in.
    const letIn = state.presenceFrom ?? counters.serving;
    for (const position of positions) {
      if (!Number.isSafeInteger(position) || position < 1 || position > counters.queue) continue;
      if (position > counters.serving) {
        state.present.add(position, AT);
        markSeen(state, position, now);
        continue;
      }
      // Reached: let in already (or claimed), or passed while absent and back in time.
      if (position <= letIn || state.present.indexOf(position, AT) >= 0) continue;
      if (state.claimed.countBetween(position - 1, position) > 0) continue;
      const entryTime = state.entryTimes[position - 1]!;
      if (expirySeconds !== null && isPositionExpired(state, { position, entryTime }, now, expirySeconds))
        continue;
      if (position <= counters.maxExpiredPosition) continue;
      state.back.add(position, AT);
      markSeen(state, position, now);
    }
  }

  async sweepPresence(eventId: string, rule: PresenceRule): Promise<PresenceCount> {
    const state = this.#state(eventId);
    const { counters } = state;
    for (let i = 0; i < rule.work && state.seenOrder.size > 0; i++) {
      const at = state.seenOrder.scoreAt(0)!;
      if (at >= rule.absentBefore) break;
      const position = Number(state.seenOrder.memberAt(0));
      forgetSeen(state, position);
      if (position > counters.serving) state.present.remove(position, AT);
      state.back.remove(position, AT);
    }
    // Let-in positions behind the expiry boundary can claim nothing any more.
    for (let i = 0; i < rule.work && state.present.size > 0; i++) {
      const position = state.present.scoreAt(0)!;
      if (position > counters.maxExpiredPosition) break;
      state.present.remove(position, AT);
    }
    let presentWaiting = state.present.countAbove(counters.serving);
    const drawEnd = presentDrawEnd(state, rule);
    if (drawEnd > counters.serving) {
      presentWaiting += drawEnd - counters.serving - state.present.countBetween(counters.serving, drawEnd);
    }
    const present = presentWaiting + state.back.size;
    const absent = Math.max(0, counters.queue - counters.serving - presentWaiting);
    counters.present = present;
    counters.absent = absent;
    const low = counters.maxExpiredPosition;
    const high = Math.min(counters.serving, counters.queue);
    // Let in before presence counted: every reached position up to where it started.
    const from = Math.min(state.presenceFrom ?? counters.serving, counters.serving);
    const since = Math.max(low, from);
    let outstanding = state.present.countBetween(since, high) - state.claimed.countBetween(since, high);
    if (from > low) {
      const upTo = Math.min(from, counters.queue);
      outstanding += Math.max(0, upTo - low - state.claimed.countBetween(low, upTo));
    }
    outstanding = Math.max(0, outstanding);
    return { present, absent, outstanding };
  }

  async servingHistory(eventId: string, limit: number): Promise<ServingHistoryRow[]> {
    const history = this.#peek(eventId)?.history ?? [];
    return history.slice(Math.max(0, history.length - limit)).map(({ serving, time, served }) => ({
      serving,
      time,
      served,
    }));
  }

  async historyAt(
    eventId: string,
    position: number,
    time: number,
    limit: number,
  ): Promise<{ rows: ServingHistoryRow[]; reachedAt: number | null }> {
    const history = this.#peek(eventId)?.history ?? [];
    // Rows sorted by serving value are sorted by time too: the first row written after `time`.
    let low = 0;
    let high = history.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (history[mid]!.time <= time) low = mid + 1;
      else high = mid;
    }
    const rows = history
      .slice(Math.max(0, low - Math.max(1, limit)), low)
      .map(({ serving, time, served }) => ({ serving, time, served }));
    const covering = history[coveringRowIndex(history, position)];
    return { rows, reachedAt: covering?.time ?? null };
  }

  async recordEtaSample(eventId: string, sample: EtaSample, keep: number): Promise<void> {
    const samples = this.#state(eventId).etaSamples;
    samples.unshift({ ...sample });
    if (samples.length > keep) samples.length = keep;
  }

  async etaSamples(eventId: string): Promise<EtaSample[]> {
    return (this.#peek(eventId)?.etaSamples ?? []).map((sample) => ({ ...sample }));
  }

  async reset(eventId: string): Promise<void> {
    this.#events.delete(eventId);
    this.#resets.set(eventId, (this.#resets.get(eventId) ?? 0) + 1);
  }

  async admitOnArrival(eventId: string, position: number, maxActive: number, now: number): Promise<boolean> {
    const state = this.#peek(eventId);
    if (!state || state.counters.serving !== position - 1 || state.draw.phase === 'drawing') return false;
    const { serving, queue, tokens, expired } = state.counters;
    const outstanding = Math.max(0, Math.min(serving, queue) - tokens - expired);
    if (state.active.countAbove(now) + outstanding >= maxActive) return false;
    incrementServing(state, 1, now);
    return true;
  }

  async drawState(eventId: string): Promise<DrawState> {
    const state = this.#peek(eventId);
    if (state === undefined) return { ...newEventState().draw };
    const draw = { ...state.draw };
    if (draw.phase === 'open') draw.participants = state.arrivals.length;
    return draw;
  }

  async closePrequeue(eventId: string, now: number, shuffle: boolean): Promise<DrawState> {
    closePrequeue(this.#state(eventId), now, shuffle);
    return this.drawState(eventId);
  }

  async prequeueIds(eventId: string, from: number, count: number): Promise<string[]> {
    const arrivals = this.#peek(eventId)?.arrivals ?? [];
    return arrivals.slice(from - 1, from - 1 + count).map((arrival) => arrival.requestId);
  }

  async writeDrawSlice(
    eventId: string,
    expectedWritten: number,
    ranks: Buffer,
    arrivals: Buffer,
    now: number,
  ): Promise<number | null> {
    const state = this.#peek(eventId);
    const draw = state?.draw;
    const count = ranks.length / 4;
    if (
      !state ||
      draw?.phase !== 'drawing' ||
      draw.written !== expectedWritten ||
      arrivals.length !== ranks.length ||
      !Number.isInteger(count) ||
      draw.written + count > draw.participants
    )
      return null;
    for (let i = 0; i < count; i++) {
      state.ranks[draw.written + i] = ranks.readUInt32BE(i * 4);
      state.order[draw.written + i] = arrivals.readUInt32BE(i * 4);
    }
    draw.written += count;
    if (draw.written === draw.participants) {
      draw.phase = 'drawn';
      draw.drawnAt = now;
    }
    return draw.written;
  }

  async drawnIds(eventId: string, offset: number, limit: number): Promise<string[]> {
    const state = this.#peek(eventId);
    if (state?.draw.phase !== 'drawn') return [];
    const { draw, arrivals, order } = state;
    const end = Math.min(draw.participants, offset + limit);
    const ids: string[] = [];
    for (let rank = offset + 1; rank <= end; rank++) {
      ids.push(arrivals[(draw.shuffled ? order[rank - 1]! : rank) - 1]!.requestId);
    }
    return ids;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const lease = this.#leases.get(name);
    if (lease && lease.until > now && lease.owner !== owner) return false;
    this.#leases.set(name, { owner, until: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    const lease = this.#leases.get(name);
    if (!lease || lease.owner !== owner || lease.until <= Date.now()) return false;
    this.#leases.delete(name);
    return true;
  }

  async takeBudget(name: string, perMinute: number, nowMs: number): Promise<number> {
    return this.#takeRate(`budget\n${name}`, perMinute, nowMs);
  }

  async screenVisitor(eventId: string, input: ScreenInput): Promise<Screening> {
    // No await: the whole check is one atomic step for every caller of this store.
    const state = this.#peek(eventId);
    const held = (key: string) => {
      const requestId = state?.visitors.get(key);
      return requestId === undefined ? undefined : entryOf(eventId, requestId, locate(state!, requestId)!);
    };
    const entry = held(input.visitorKey);
    if (entry !== undefined) return { kind: 'held', entry };
    const { token, challenge, rateLimit } = input;
    if (token === 'missing') return { kind: 'enqueue_token_required' };
    if (token === 'invalid') return { kind: 'enqueue_token_invalid' };
    if (token === 'unavailable') return { kind: 'enqueue_token_unavailable' };
    if (token !== undefined) {
      const owned = held(token.identity);
      if (owned !== undefined) {
        state!.visitors.set(input.visitorKey, owned.requestId);
        return { kind: 'held', entry: owned };
      }
    }
    if (rateLimit !== undefined) {
      // A visitor who sends no answer only learns the challenge: that takes nothing.
      const { client, perMinute, nowMs } = rateLimit;
      const retryAfter = this.#takeRate(`${eventId}\n${client}`, perMinute, nowMs, challenge !== 'missing');
      if (retryAfter > 0) throw rateLimitedError(retryAfter);
    }
    if (challenge === 'missing') return { kind: 'challenge_required' };
    if (challenge === 'invalid') return { kind: 'challenge_failed' };
    if (
      typeof challenge === 'object' &&
      !this.#spend(`${eventId}\n${challenge.used}`, input.nowMs, challenge.forMs)
    )
      return { kind: 'challenge_failed' };
    return { kind: 'clear' };
  }

  async linkVisitor(eventId: string, visitorKey: string, requestId: string): Promise<void> {
    const visitors = this.#state(eventId).visitors;
    if (!visitors.has(visitorKey)) visitors.set(visitorKey, requestId);
  }

  async bindVisitorKey(eventId: string, visitorKey: string, owner: string): Promise<string> {
    const owners = this.#state(eventId).keyOwners;
    const recorded = owners.get(visitorKey);
    if (recorded !== undefined) return recorded;
    owners.set(visitorKey, owner);
    return owner;
  }

  /** Mark `name` spent for `forMs`: false when it already was. Spent names are forgotten once they expire. */
  #spend(name: string, nowMs: number, forMs: number): boolean {
    const until = this.#spent.get(name);
    if (until !== undefined && until > nowMs) return false;
    if (this.#spent.size >= RATE_SWEEP_THRESHOLD && nowMs - this.#lastSpentSweep >= 1000) {
      this.#lastSpentSweep = nowMs;
      for (const [key, expires] of this.#spent) if (expires <= nowMs) this.#spent.delete(key);
    }
    this.#spent.set(name, nowMs + forMs);
    return true;
  }

  /**
   * One request from `name`'s budget: 0 when taken, else the seconds until one is (nothing
   * taken). With `take` false it only says whether one would be taken.
   */
  #takeRate(name: string, perMinute: number, nowMs: number, take = true): number {
    const tat = this.#rates.get(name);
    // A budget whose arrival time has passed is full again, the same as no entry: forget those
    // when many clients are tracked, at most once a second (a sweep walks every entry, and
    // each entry is at most a minute ahead, so the map stays bounded).
    if (
      tat === undefined &&
      this.#rates.size >= RATE_SWEEP_THRESHOLD &&
      nowMs - this.#lastRateSweep >= 1000
    ) {
      this.#lastRateSweep = nowMs;
      for (const [key, until] of this.#rates) if (until <= nowMs) this.#rates.delete(key);
    }
    const decision = gcra(tat ?? 0, perMinute, nowMs);
    if (decision.retryAfter > 0) return decision.retryAfter;
    if (take) this.#rates.set(name, decision.nextTat);
    return 0;
  }

  async getEventOverride(eventId: string): Promise<EventSettings | null> {
    const json = this.#overrides.get(eventId);
    return json === undefined ? null : (JSON.parse(json) as EventSettings);
  }

  async putEventOverride(settings: EventSettings): Promise<void> {
    // Stored as JSON so callers never share (and mutate) the stored object.
    this.#overrides.set(settings.id, JSON.stringify(settings));
  }

  async claimIdempotencyKey(key: string, ttlSeconds: number, nowMs: number): Promise<IdempotencyClaim> {
    const held = this.#idempotency.get(key);
    if (held !== undefined && held.until > nowMs) {
      return held.answer === '' ? { kind: 'in_doubt' } : { kind: 'answered', answer: held.answer };
    }
    if (this.#idempotency.size > IDEMPOTENCY_SWEEP_SIZE) {
      for (const [name, { until }] of this.#idempotency) if (until <= nowMs) this.#idempotency.delete(name);
    }
    this.#idempotency.set(key, { answer: '', until: nowMs + ttlSeconds * 1000 });
    return { kind: 'claimed' };
  }

  async answerIdempotencyKey(key: string, answer: string): Promise<void> {
    const held = this.#idempotency.get(key);
    if (held !== undefined) held.answer = answer;
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    this.#idempotency.delete(key);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.#audit.push(JSON.parse(JSON.stringify(entry)) as AuditEntry);
    // Trim in batches so appends stay O(1) amortised.
    if (this.#audit.length > AUDIT_CAP * 2) this.#audit = this.#audit.slice(-AUDIT_CAP);
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    const count = Math.min(limit, AUDIT_CAP, this.#audit.length);
    return this.#audit
      .slice(this.#audit.length - count)
      .reverse()
      .map((entry) => JSON.parse(JSON.stringify(entry)) as AuditEntry);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async configurationWarnings(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {}
}

/** Above this many tracked rate budgets, the full ones are forgotten. */
const RATE_SWEEP_THRESHOLD = 50_000;

/**
 * One GCRA step (the same arithmetic as lua/gcra.lua): each request moves the
 * theoretical arrival time `tat` on by a minute / perMinute; a request is refused when that
 * would put `tat` more than a minute ahead of now (the bucket holds a minute's worth).
 */
function gcra(tat: number, perMinute: number, nowMs: number): { nextTat: number; retryAfter: number } {
  const nextTat = Math.max(tat, nowMs) + 60_000 / perMinute;
  const over = nextTat - nowMs - 60_000;
  return { nextTat, retryAfter: over > 0 ? Math.max(1, Math.ceil(over / 1000)) : 0 };
}
