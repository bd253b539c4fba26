/**
 * The shared queue store: Redis (or Valkey, ElastiCache, Redis Cluster). Every atomic
 * operation is one Lua script from `./lua/` (loaded with `defineCommand`: EVALSHA with
 * automatic reload; the lean client of `resp-client.ts` for one node, ioredis for a cluster)
 * and every key of one event carries the hash tag `{<eventId>}`, so each script touches one
 * cluster slot. Every hot-path call is one round trip.
 *
 * Per event (prefix `ar:`, event `demo`):
 *   ar:{demo}:c   hash  counters (queue, serving, tokens, expired, completed, abandoned,
 *                       maxExpiredPosition, lastEntryTime) and `era`, the secret this queue's
 *                       request ids are signed with (request-ids.ts: an id carries its position,
 *                       so no request id → position map is kept)
 *   ar:{demo}:v:<n>  hash  visitor-key bucket n of 16,384: 96-bit key digest (16 base64url characters) → position
 *                       (small hashes, so Redis keeps them as compact listpacks)
 *   ar:{demo}:vo  hash  visitorKey → the client that first used it (Idempotency-Key binding)
 *   ar:{demo}:t   zset  entry-time changes: score position, member "position:entryTime"
 *   ar:{demo}:s   hash  requestId → "position:issuedAt:expiresAt:status:issuer"
 *   ar:{demo}:sa  zset  active sessions by expiresAt
 *   ar:{demo}:lh  zset  the loss hold: sessions the store lost that processes knew active, by
 *                       expiresAt (lua/hold-sessions.lua); counted as active sessions
 *   ar:{demo}:se  zset  all sessions by expiresAt
 *   ar:{demo}:p   zset  all sessions by position (claimed positions of a range)
 *   ar:{demo}:h   zset  serving-history values (score = member = serving)
 *   ar:{demo}:hr  hash  serving → "time:served:0" (the last field is no longer used)
 *   ar:{demo}:k   string  last periodic inlet tick (epoch second it began; advanceOnTick)
 *   ar:{demo}:x   string  how many times the event was reset (kept by `reset`, which increments
 *                       it): the regression guard tells a reset from a store that lost writes; read with
 *                       the counters (lua/counters.lua), it tells other processes' watches of a reset
 *   ar:{demo}:a   hash  adaptive inlet state (v: version, s: controller state JSON)
 *   ar:{demo}:g   string  the last pushed reading of the origin's health (JSON)
 *   ar:{demo}:pt  zset  a pre-queue's arrival-time changes: score arrival, member "arrival:entryTime"
 *                       (the pre-queue's state is in the counters: lua/close-prequeue.lua)
 *   ar:{demo}:dr  string  a shuffled draw's rank of each arrival (32-bit big-endian, by arrival)
 *   ar:{demo}:da  string  the arrival at each drawn rank (32-bit big-endian, by rank)
 *   ar:{demo}:n   zset  absent visitors (API.md section 6), events with `abandonAfterSeconds` only:
 *                       present positions (score = member = position): waiting ones seen within
 *                       the window, and reached ones the inlet let in
 *   ar:{demo}:ns  zset  last seen of those positions (member position, score epoch second)
 *   ar:{demo}:nb  zset  positions passed while absent and back since (score = member = position)
 *   ar:{demo}:e   list  the newest wait-estimate samples "estimate:actual" (seconds), newest first
 *   ar:{demo}:o   string  live settings override (JSON); kept by `reset`
 *   ar:{demo}:rf  string  where places may be re-created from signed receipts in the current era
 *                       (lua/restore-place.lua: "<era> <first position the era handed out>", or
 *                       "<era> o <counter>" while it handed out none)
 *   ar:{demo}:r:<client>  string  a client's enqueue budget (GCRA arrival time, ms; expires)
 *   ar:{demo}:pw:<prefix>  string  a spent proof-of-work prefix (expires with the prefix)
 * Global: ar:lease:<name>, ar:audit, ar:budget:<name> (a named budget, as the enqueue budget; expires),
 *   ar:idem:<hash>  string  an admin write's `Idempotency-Key` and its answer (expires: idempotent-write.ts).
 *
 * Failures (connection lost, timeout, script error) reject with StoreUnavailableError. How the
 * connection behaves (fail fast, never resend, reconnect forever) is `redis-connection.ts`.
 */
import { readFileSync } from 'node:fs';
import { REDIS_DEFAULTS } from '../defaults.ts';
import { AnteroomError, rateLimitedError, StoreUnavailableError } from '../errors.ts';
import type { PlaceReceipt } from '../place-receipts.ts';
import type {
  AuditEntry,
  Counters,
  DrawState,
  EnqueueInput,
  EnqueueResult,
  EntryReadOptions,
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
import {
  confirmWrites,
  type Durability,
  durabilityRefusal,
  durabilityWarnings,
  WriteNotConfirmedError,
} from './durability.ts';
import {
  connectionStreams,
  connectRedis,
  type RedisClient,
  type RedisConnectionOptions,
} from './redis-connection.ts';
import {
  type ClaimedId,
  claimedId,
  issuedUnder,
  newEra,
  prequeueIdFor,
  requestIdFor,
  VISITOR_BUCKETS,
  verifiedId,
  visitorSlot,
} from './request-ids.ts';
import { RespClient } from './resp-client.ts';
import { decodeCursor, decodeSession, encodeCursor, invalidCursor } from './store-codec.ts';
import { AUDIT_CAP, EXPIRE_ROWS_PER_CALL, MAX_SERVING } from './store-limits.ts';

/**
 * Each script's files and number of KEYS. A script of several files is their text joined
 * in order (Lua scripts cannot include each other): advance-on-tick.lua is a guard that
 * runs in front of the whole increment script, so the two share one copy of its logic.
 */
const SCRIPTS = {
  // The arrivals of one turn, as many keys as they need (the count goes first: `null`).
  arEnqueue: {
    files: ['gcra.lua', 'close-prequeue.lua', 'entry-of.lua', 'guard-counters.lua', 'enqueue.lua'],
    keys: null,
  },
  arEntry: { files: ['entry-of.lua', 'entry.lua'], keys: 4 },
  arEntryIndex: { files: ['entry-index.lua'], keys: 2 },
  arDrawClose: { files: ['close-prequeue.lua', 'draw-close.lua'], keys: 2 },
  arDrawSlice: { files: ['draw-slice.lua'], keys: 3 },
  arArrivalAdmit: { files: ['arrival-admit.lua', 'increment-serving.lua'], keys: 8 },
  arIncrementServing: { files: ['increment-serving.lua'], keys: 7 },
  arAdvanceOnTick: { files: ['advance-on-tick.lua', 'increment-serving.lua'], keys: 7 },
  arAdaptiveStep: { files: ['adaptive-step.lua', 'increment-serving.lua'], keys: 7 },
  arIssueToken: { files: ['entry-of.lua', 'issue-token.lua'], keys: 12 },
  arUpdateSession: { files: ['update-session.lua'], keys: 3 },
  arPositionExpiry: { files: ['entry-of.lua', 'position-expiry.lua'], keys: 8 },
  arExpirePositions: { files: ['expire-positions.lua'], keys: 6 },
  arTouchPresence: { files: ['touch-presence.lua'], keys: 8 },
  arSweepPresence: { files: ['sweep-presence.lua'], keys: 5 },
  arExpiredSessions: { files: ['expired-sessions.lua'], keys: 1 },
  arServingHistory: { files: ['serving-history.lua'], keys: 2 },
  arHistoryAt: { files: ['history-at.lua'], keys: 2 },
  arEtaSample: { files: ['eta-sample.lua'], keys: 1 },
  arAcquireLease: { files: ['acquire-lease.lua'], keys: 1 },
  arReleaseLease: { files: ['release-lease.lua'], keys: 1 },
  arAppendAudit: { files: ['append-audit.lua'], keys: 1 },
  arTakeBudget: { files: ['gcra.lua', 'take-budget.lua'], keys: 1 },
  arScreenVisitor: { files: ['gcra.lua', 'entry-of.lua', 'screen-visitor.lua'], keys: 8 },
  arBindVisitorKey: { files: ['bind-visitor-key.lua'], keys: 1 },
  arGuardCounters: { files: ['guard-counters.lua', 'guard.lua'], keys: 4 },
  arCounters: { files: ['counters.lua'], keys: 2 },
  arRestorePlace: { files: ['restore-place.lua'], keys: 4 },
  arHoldSessions: { files: ['hold-sessions.lua'], keys: 5 },
} as const;

/** The reply of each script (see the header comment of each .lua file). */
interface ScriptReplies {
  arEnqueue: [guard: [] | GuardReply, era: string, ...answers: ArrivalAnswer[]];
  arEntry: '' | [position: number, entryTime: string];
  arEntryIndex: [] | [era: string, queue: string, changes: string[]];
  arDrawClose: Array<string | null>;
  arDrawSlice: number | null;
  arArrivalAdmit: [before: number, after: number, admitted: number] | null;
  arIncrementServing: [before: number, after: number, admitted: number];
  arAdvanceOnTick: [before: number, after: number, admitted: number] | null;
  arAdaptiveStep: [before: number, after: number, admitted: number] | null;
  arIssueToken: [string, ...(string | number)[]];
  arUpdateSession: string | null;
  arPositionExpiry: [string, number?];
  arExpirePositions: [number, number, number, number];
  arTouchPresence: number;
  arSweepPresence: [present: number, absent: number, outstanding: number];
  arExpiredSessions: string[];
  arServingHistory: string[];
  arHistoryAt: string[];
  arEtaSample: null;
  arAcquireLease: number;
  arReleaseLease: number;
  arAppendAudit: number;
  arTakeBudget: number;
  arScreenVisitor: [string, (string | number)?, string?, string?, number?] | ['rate_limited', number];
  arBindVisitorKey: string;
  arGuardCounters: GuardReply;
  arCounters: Array<string | null>;
  arRestorePlace: '' | ['retry'] | [era: string];
  arHoldSessions: number;
}

/** What the regression guard answered (guard-counters.lua). */
type GuardReply = [resets: number, raised: number, era: string];
/** What enqueue.lua answered for one arrival. */
type ArrivalAnswer =
  | [position: number, entryTime: string, created: number, arrival: number]
  | ['rate_limited', number]
  | ['queue_full'];

type ScriptName = keyof typeof SCRIPTS;
type ScriptArg = string | number | Buffer;
type ScriptedRedis = RedisClient & {
  [N in ScriptName]: (...args: ScriptArg[]) => Promise<ScriptReplies[N]>;
};

const LUA_DIR = new URL('./lua/', import.meta.url);
const LUA_SOURCES = new Map<ScriptName, string>();
/**
 * A script's source, read once per process when first needed: the lean client sends a script
 * by its first call, so a cold start reads the one or two files its first request runs, not
 * all of them (1–5 ms of a Lambda cold start, profiled). The client sends EVALSHA and falls
 * back to EVAL after NOSCRIPT.
 */
function luaSource(name: ScriptName): string {
  let source = LUA_SOURCES.get(name);
  if (source === undefined) {
    source = SCRIPTS[name].files.map((file) => readFileSync(new URL(file, LUA_DIR), 'utf8')).join('\n');
    LUA_SOURCES.set(name, source);
  }
  return source;
}

const COUNTER_FIELDS = [
  'queue',
  'serving',
  'tokens',
  'expired',
  'completed',
  'abandoned',
  'maxExpiredPosition',
] as const;
/**
 * Counters only some events have: `present`, `absent`, `readmitted` (events with
 * `abandonAfterSeconds`: absent visitors), `lostBelow` (a store that lost an era: guard-counters.lua).
 */
const PRESENCE_FIELDS = ['present', 'absent', 'readmitted', 'lostBelow'] as const;

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key. Default `ar:`. */
  keyPrefix?: string | undefined;
  /** Where a queue's era comes from (request-ids.ts); default random. Tests pin it to compare stores. */
  newEra?: (() => string) | undefined;
  /** When a write is acknowledged (API.md section 5). Default `none`. */
  durability?: Durability | undefined;
  /** The longest a write waits for its confirmation. Default 200 ms. */
  waitTimeoutMs?: number | undefined;
  /** Told of every write that got no confirmation in time (a 503; metrics count them). */
  onWriteNotConfirmed?: (() => void) | undefined;
  /**
   * Told when the regression guard found an event's counters below what this process
   * acknowledged (the store lost writes) and raised them before anything was handed out:
   * `what` names them (`queue`, `tick`, `serving`, `resets`).
   */
  onRegression?: ((eventId: string, what: string[]) => void) | undefined;
}

/**
 * A process's index of one event's places (getEntry with `maxAgeMs`): the era, how far the
 * positions are known, and the entry-time changes (position where a new entry second begins,
 * and that second), appended as the queue grows: one pair per second of arrivals.
 */
interface EntryIndex {
  era: string;
  /** Positions 1 … covered were handed out under `era`, and their changes are all read. */
  covered: number;
  scores: number[];
  times: number[];
  readAtMs: number;
}

/** Entry-time changes read per index refresh (one a second of arrivals: hours of a queue). */
const ENTRY_INDEX_BATCH = 10_000;

/** The entry time of `position`: the last change at or before it. */
function changeAt(index: EntryIndex, position: number): number | undefined {
  const { scores } = index;
  let low = 0;
  let high = scores.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (scores[middle]! <= position) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found < 0 ? undefined : index.times[found];
}

type EventKeys = ReturnType<typeof eventKeys>;
const MAX_CACHED_EVENT_KEYS = 1000;

function eventKeys(prefix: string, eventId: string) {
  const base = `${prefix}{${eventId}}:`;
  return {
    counters: `${base}c`,
    visitorBuckets: `${base}v:`,
    keyOwners: `${base}vo`,
    entryTimes: `${base}t`,
    sessions: `${base}s`,
    activeSessions: `${base}sa`,
    allSessions: `${base}se`,
    claimedPositions: `${base}p`,
    history: `${base}h`,
    historyRows: `${base}hr`,
    lastTick: `${base}k`,
    resets: `${base}x`,
    inletState: `${base}a`,
    originHealth: `${base}g`,
    arrivalTimes: `${base}pt`,
    drawRanks: `${base}dr`,
    drawOrder: `${base}da`,
    present: `${base}n`,
    seen: `${base}ns`,
    returned: `${base}nb`,
    override: `${base}o`,
    rates: `${base}r:`,
    spentPrefixes: `${base}pw:`,
    etaSamples: `${base}e`,
    restoreFloor: `${base}rf`,
    held: `${base}lh`,
  };
}

/** The calls issued in one event-loop turn, timed out together. */
interface Turn {
  /** Each pending call's failure callback. */
  pending: Set<(error: unknown) => void>;
  timer: NodeJS.Timeout | undefined;
  /** Until the turn's check phase: calls may still join it. */
  open: boolean;
  /** The confirmation (WAIT) that the turn's writes wait for; sent when the turn closes. */
  confirmation: Promise<void> | null;
  confirm: (() => void) | null;
  /** The confirmation answered: a write answered after it was not covered by it. */
  confirmed: boolean;
  /** Events whose regression guard this turn already carries. */
  guarded: Set<string> | null;
  /** The turn's arrivals not sent yet, by event and what their call shares (`#arrive`). */
  arrivals: Map<string, ArrivalBatch> | null;
  /** The batch the turn's last arrival joined, while unsent: the next one, alike, joins it unnamed. */
  lastBatch: ArrivalBatch | null;
}

/** One arrival of a turn's batch: its own keys and arguments, and who waits for its answer. */
interface Arrival {
  bucket: string;
  rates: string;
  field: string;
  nowMs: string;
  answer: (reply: ArrivalAnswer | 'no_era', era: string) => void;
  fail: (error: unknown) => void;
}

/** The arrivals of one event in one turn that share one enqueue.lua call. */
interface ArrivalBatch {
  eventId: string;
  /** ARGV[1..8] of enqueue.lua. */
  shared: string[];
  arrivals: Arrival[];
  /** The first arrival's input and whether it offered a fresh era (`sharesCall`). */
  input: EnqueueInput;
  fresh: boolean;
}

/**
 * Whether an arrival would share `batch`'s call (the same arguments but the fresh era): checked
 * field by field, cheaper than naming the call, for the common case of a turn of alike arrivals.
 */
function sharesCall(
  batch: ArrivalBatch,
  eventId: string,
  input: EnqueueInput,
  era: string,
  fresh: boolean,
): boolean {
  const first = batch.input;
  return (
    batch.eventId === eventId &&
    first.now === input.now &&
    batch.shared[2] === era &&
    batch.fresh === fresh &&
    first.rateLimit?.perMinute === input.rateLimit?.perMinute &&
    first.prequeue?.startAt === input.prequeue?.startAt &&
    Boolean(first.prequeue?.shuffle) === Boolean(input.prequeue?.shuffle) &&
    first.maxQueueLength === input.maxQueueLength &&
    Boolean(first.present) === Boolean(input.present)
  );
}

const DRAW_FIELDS = [
  'draw',
  'drawN',
  'drawWritten',
  'drawBase',
  'drawShuffled',
  'drawClosedAt',
  'drawnAt',
  'pq',
] as const;

/** The draw's counters (DRAW_FIELDS, in order) as a `DrawState`. */
function parseDrawState(values: Array<string | null>): DrawState {
  const [phase, participants, written, base, shuffled, closedAt, drawnAt, arrivals] = values;
  const open = phase !== 'drawing' && phase !== 'drawn';
  return {
    phase: open ? 'open' : (phase as 'drawing' | 'drawn'),
    participants: Number((open ? arrivals : participants) ?? 0),
    written: Number(written ?? 0),
    base: Number(base ?? 0),
    shuffled: shuffled === '1',
    closedAt: closedAt == null ? null : Number(closedAt),
    drawnAt: drawnAt == null ? null : Number(drawnAt),
  };
}

/** What a verified id carries, as the scripts take it: a position, or 'a' and an arrival number. */
function claimedArg(claimed: ClaimedId): string {
  return claimed.kind === 'position' ? String(claimed.number) : `a${claimed.number}`;
}

/** An entry the scripts answered: position 0 is a pre-queued arrival not drawn yet. */
function entryOf(
  eventId: string,
  era: string,
  position: number,
  entryTime: number,
  arrival: number,
): QueueEntry {
  if (arrival === 0) return { requestId: requestIdFor(era, eventId, position), eventId, position, entryTime };
  const requestId = prequeueIdFor(era, eventId, arrival);
  return position === 0
    ? { requestId, eventId, position: null, entryTime, prequeued: arrival }
    : { requestId, eventId, position, entryTime };
}

/**
 * What this process acknowledged of one event (the regression guard, guard-counters.lua): the
 * highest position it handed out, the last periodic tick it applied and the serving counter as
 * its last write left it, since the event's reset count `resets` (null until the store told it).
 */
interface Watermark {
  resets: number | null;
  position: number;
  /** The highest pre-queue arrival number it handed out (API.md section 6). */
  arrival: number;
  tick: number;
  serving: number;
  /** The queue's era as the guard last found it (null: not yet, '' none): one gone is a loss. */
  era: string | null;
  /** A loss hold the store has not taken yet (a 503 window): the next guard answer retries it. */
  holdPending: boolean;
  /** The request id of the last session it issued, while the store is not known to have lost it ('' none). */
  lastSession: string;
}

/** A fresh watermark, as of the reset count `resets` (null: not known yet). */
function freshMark(resets: number | null): Watermark {
  return {
    resets,
    position: 0,
    arrival: 0,
    tick: 0,
    serving: 0,
    era: null,
    holdPending: false,
    lastSession: '',
  };
}

/** A session a process issued, as the loss hold needs it: its token's expiry, position and era. */
interface IssuedSession {
  expiresAt: number;
  position: number;
  era: string;
}

/** The most sessions of one event a process remembers for the loss hold (pruned as they expire). */
const MAX_KNOWN_SESSIONS = 100_000;

/** What the guard's reply bits name (guard-counters.lua). */
const RAISED = [
  [1, 'queue'],
  [2, 'tick'],
  [4, 'serving'],
  [8, 'resets'],
  [16, 'arrivals'],
  [64, 'sessions'],
] as const; // 32 (positions of a lost era counted as expired) goes with 1 (queue)

/** What an advance script answered, as a `TickAdvance` (`admitted` with a presence rule only). */
function tickAdvance(
  [before, after, admitted]: [number, number, number],
  presence: PresenceRule | undefined,
): TickAdvance {
  return { serving: after, moved: after - before, ...(presence === undefined ? {} : { admitted }) };
}

/** The presence arguments of increment-serving.lua (ARGV[7], ARGV[8]): '' turns the walk off. */
function presenceArgs(presence: PresenceRule | undefined): [string, string] {
  return presence === undefined ? ['', ''] : [String(presence.absentBefore), String(presence.work)];
}

/** A visitor key's bucket and field (request-ids.ts). */
function visitorLocation(k: EventKeys, visitorKey: string): [bucket: string, field: string] {
  const { bucket, field } = visitorSlot(visitorKey);
  return [`${k.visitorBuckets}${bucket}`, field];
}

/** The client with the store's scripts defined on it. */
function scripted(redis: RedisClient): ScriptedRedis {
  // Connection errors surface as rejected commands; without a listener ioredis logs them.
  redis.on('error', () => {});
  for (const [name, { keys }] of Object.entries(SCRIPTS)) {
    const numberOfKeys = keys === null ? {} : { numberOfKeys: keys };
    // ioredis (a cluster, Sentinel) needs the source now; the lean client when it first sends it.
    if (redis instanceof RespClient)
      redis.defineCommand(name, { ...numberOfKeys, lua: () => luaSource(name as ScriptName) });
    else redis.defineCommand(name, { ...numberOfKeys, lua: luaSource(name as ScriptName) });
  }
  return redis as ScriptedRedis;
}

export class RedisStore implements QueueStore {
  readonly kind = 'redis';
  /** The client; null while ioredis (a cluster, Sentinel) is still being loaded. */
  #redis: ScriptedRedis | null = null;
  /** Resolves to the client once it exists. */
  readonly #connected: Promise<ScriptedRedis>;
  readonly #prefix: string;
  readonly #commandTimeoutMs: number;
  readonly #durability: Durability;
  readonly #waitTimeoutMs: number;
  readonly #onWriteNotConfirmed: (() => void) | undefined;
  readonly #onRegression: ((eventId: string, what: string[]) => void) | undefined;
  /** What this process acknowledged of each event (the regression guard). */
  readonly #watermarks = new Map<string, Watermark>();
  /**
   * The sessions this process issued in max-size events and their token expiry (epoch second),
   * by request id: what it puts back in the loss hold when its guard sees the store lost writes.
   */
  readonly #issued = new Map<string, { sessions: Map<string, IssuedSession>; now: number }>();
  /** The calls issued in the current event-loop turn, or null between turns. */
  #turn: Turn | null = null;
  readonly #eventKeys = new Map<string, EventKeys>();
  /** The era of each event's queue, as last seen (request ids are verified against it). */
  readonly #eras = new Map<string, string>();
  readonly #indexes = new Map<string, EntryIndex>();
  readonly #indexReads = new Map<string, Promise<EntryIndex | undefined>>();
  readonly #newEra: () => string;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs;
    this.#newEra = options.newEra ?? newEra;
    this.#durability = options.durability ?? (REDIS_DEFAULTS.durability as Durability);
    this.#waitTimeoutMs = options.waitTimeoutMs ?? REDIS_DEFAULTS.waitTimeoutMs;
    this.#onWriteNotConfirmed = options.onWriteNotConfirmed;
    this.#onRegression = options.onRegression;
    // No per-command timeout on the connection: `#call` times each turn's calls out together.
    const connecting = connectRedis(options);
    if (connecting instanceof Promise) {
      // A cluster or Sentinel: ioredis is imported first; calls meanwhile wait for it.
      this.#connected = connecting.then((redis) => {
        this.#redis = scripted(redis);
        return this.#redis;
      });
      this.#connected.catch(() => {}); // each call that waits on it fails with it
    } else {
      this.#redis = scripted(connecting);
      this.#connected = Promise.resolve(this.#redis);
    }
  }

  /**
   * The calls of one event-loop turn travel together, in two ways.
   *
   * One socket write: ioredis writes each command at once, a system call per command, which
   * on loopback cost about as much CPU as the rest of a status poll (bench/server.ts). Under
   * load, the requests read in one poll phase each issue a command; the connection is corked
   * on the first and uncorked in the check phase of the same turn, so they leave in one
   * `writev`. An idle server sends a lone command in the same turn as before (the loop does
   * not wait while an immediate is pending). Bytes and order are unchanged.
   *
   * One deadline: a call with no answer after the command timeout (a hung server on an open
   * connection) fails with a 503. ioredis's own `commandTimeout` arms and clears a timer per
   * command (about 1.5 µs of CPU each, measured); here the turn shares one.
   *
   * One confirmation: with `store.durability` `replica` (or `aof`), the turn's writes that
   * must survive a failover (`#write`) are answered only once the WAIT (or WAITAOF) sent after
   * them, as the turn closes, confirms them all; no confirmation in time is a 503.
   */
  #beginTurn(): Turn {
    const streams = this.#redis === null ? [] : connectionStreams(this.#redis);
    for (const stream of streams) stream.cork();
    const turn: Turn = {
      pending: new Set(),
      timer: undefined,
      open: true,
      confirmation: null,
      confirm: null,
      confirmed: false,
      guarded: null,
      arrivals: null,
      lastBatch: null,
    };
    turn.timer = setTimeout(() => {
      const timedOut = new Error(`Redis did not answer within ${this.#commandTimeoutMs} ms`);
      for (const fail of turn.pending) fail(timedOut);
    }, this.#commandTimeoutMs);
    turn.timer.unref();
    this.#turn = turn;
    setImmediate(() => {
      if (turn.arrivals !== null) this.#sendArrivals(turn);
      turn.confirm?.(); // written behind the turn's commands, before the uncork sends them all
      for (const stream of streams) stream.uncork();
      turn.open = false;
      this.#turn = null;
      if (turn.pending.size === 0) clearTimeout(turn.timer);
    });
    return turn;
  }

  /**
   * A call that hands out a position, moves a counter, or issues or ends a session: with a
   * durability other than `none`, answered only once the turn's confirmation holds it.
   */
  #write<T>(operation: (redis: ScriptedRedis) => Promise<T>): Promise<T> {
    return this.#call(operation, this.#durability !== 'none');
  }

  /** The current turn's confirmation, sent when the turn closes (one for all its writes). */
  #confirmation(turn: Turn): Promise<void> {
    if (turn.confirmation !== null) return turn.confirmation;
    turn.confirmation = new Promise<void>((resolve, reject) => {
      turn.confirm = () => {
        this.#confirmWrites().then(
          () => {
            turn.confirmed = true;
            resolve();
          },
          (error: unknown) => {
            turn.confirmed = true;
            reject(error);
          },
        );
      };
    });
    turn.confirmation.catch(() => {}); // each write that waits on it handles the failure
    return turn.confirmation;
  }

  #confirmWrites(): Promise<void> {
    const durability = this.#durability as Exclude<Durability, 'none'>;
    const confirmation =
      this.#redis === null
        ? this.#connected.then((redis) => confirmWrites(redis, durability, this.#waitTimeoutMs))
        : confirmWrites(this.#redis, durability, this.#waitTimeoutMs);
    return confirmation.catch((error: unknown) => {
      if (error instanceof WriteNotConfirmedError) this.#onWriteNotConfirmed?.();
      throw error;
    });
  }

  /**
   * A write's answer, once confirmed. Normally the turn's confirmation, sent after it, answers
   * after it too; a write answered later was sent later (ioredis resends a script as EVAL after
   * NOSCRIPT, as a promoted replica or an emptied server answers) and gets its own.
   */
  async #confirmed<T>(turn: Turn, confirmation: Promise<void>, value: T): Promise<T> {
    await (turn.confirmed ? this.#confirmWrites() : confirmation);
    return value;
  }

  /** Run a Redis call; any failure becomes StoreUnavailableError (never a wrong answer). */
  #call<T>(operation: (redis: ScriptedRedis) => Promise<T>, durable = false): Promise<T> {
    const turn = this.#turn ?? this.#beginTurn();
    if (turn.arrivals !== null) this.#sendArrivals(turn); // sent in the order they were asked for
    const confirmed = durable ? this.#confirmation(turn) : null;
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        turn.pending.delete(fail);
        if (!turn.open && turn.pending.size === 0) clearTimeout(turn.timer);
      };
      const fail = (error: unknown) => {
        settle();
        reject(error instanceof AnteroomError ? error : new StoreUnavailableError(error));
      };
      turn.pending.add(fail);
      let reply: Promise<T>;
      try {
        reply = this.#redis === null ? this.#connected.then(operation) : operation(this.#redis);
      } catch (error) {
        fail(error);
        return;
      }
      if (confirmed !== null) reply = reply.then((value) => this.#confirmed(turn, confirmed, value));
      reply.then((value) => {
        settle();
        resolve(value);
      }, fail);
    });
  }

  /**
   * The regression guard (API.md section 5), put in the turn ahead of the first write of the
   * event that hands out a position or moves a counter: in the same socket write, it raises the
   * event's counters to what this process acknowledged (guard-counters.lua), so the write behind
   * it cannot hand out one of those positions, or apply one of those ticks, again. Redis runs a
   * connection's commands in order, so every write of the turn runs after it. Its first answer
   * also tells the process the event's reset count, which tells a reset from a loss.
   */
  #guard(eventId: string): void {
    const turn = this.#turn ?? this.#beginTurn();
    if (turn.arrivals !== null) this.#sendArrivals(turn); // they carry the guard if first
    const guard = this.#guardOf(turn, eventId);
    if (guard === null) return;
    const k = this.#keys(eventId);
    this.#call((redis) =>
      redis.arGuardCounters(k.counters, k.resets, k.lastTick, k.sessions, ...guard.args),
    ).then(
      (reply) => this.#guarded(eventId, guard.mark, reply),
      () => {}, // the write behind it fails the same way and answers 503
    );
  }

  /**
   * The guard's floors for the first write of an event in this turn (the watermark sent and
   * guard-counters.lua's six arguments), or null when the turn already carries it.
   */
  #guardOf(turn: Turn, eventId: string): { mark: Watermark; args: string[] } | null {
    turn.guarded ??= new Set();
    if (turn.guarded.has(eventId)) return null;
    turn.guarded.add(eventId);
    let mark = this.#watermarks.get(eventId);
    if (mark === undefined) {
      // Bounded as the key cache: event ids are few; forgetting one only skips its floors.
      if (this.#watermarks.size >= MAX_CACHED_EVENT_KEYS) this.#watermarks.clear();
      mark = freshMark(null);
      this.#watermarks.set(eventId, mark);
    }
    const args = [
      mark.resets === null ? '' : String(mark.resets),
      String(mark.position),
      String(mark.tick),
      String(mark.serving),
      String(mark.arrival),
      mark.era ?? '',
      mark.lastSession,
    ];
    return { mark, args };
  }

  /** What the guard answered, for the watermark `sent` with it. */
  #guarded(eventId: string, sent: Watermark, [resets, raised, era]: GuardReply): Promise<void> | undefined {
    if (this.#watermarks.get(eventId) !== sent) return; // reset here since
    if (raised === -1) {
      // Reset since (by any process): what was acknowledged before is no floor any more, and
      // the sessions issued before it are not held (a reset drops every place on purpose).
      this.#watermarks.set(eventId, { ...freshMark(resets), era });
      this.#issued.delete(eventId);
      return;
    }
    const knewResets = sent.resets !== null;
    sent.resets = resets;
    // The era gone or replaced without a reset: the store lost writes (restarted empty, or a
    // failover to a replica that never had it), whatever this process's floors say.
    const eraLost = sent.era !== null && sent.era !== '' && era !== sent.era;
    sent.era = era;
    const what = RAISED.filter(([bit]) => Math.floor(raised / bit) % 2 === 1).map(([, name]) => name);
    if (what.length > 0) this.#onRegression?.(eventId, what);
    if (Math.floor(raised / 64) % 2 === 1) sent.lastSession = ''; // told: held below
    // A process that did not know the reset count yet cannot tell a loss from a reset: no hold.
    if (knewResets && (eraLost || what.length > 0 || sent.holdPending))
      return this.#hold(eventId, sent, resets, era);
    return undefined;
  }

  /**
   * The loss hold (hold-sessions.lua): after a loss, put back the sessions this process issued
   * whose tokens have not expired, so a max-size event counts them as active until they do.
   * Retried with the next guard answer while the store does not take it (a 503 window).
   */
  #hold(eventId: string, mark: Watermark, resets: number, era: string): Promise<void> | undefined {
    mark.holdPending = false;
    const issued = this.#issued.get(eventId);
    if (issued === undefined || issued.sessions.size === 0) return;
    const now = issued.now;
    const args: string[] = [];
    for (const [requestId, session] of issued.sessions) {
      if (session.expiresAt <= now) issued.sessions.delete(requestId);
      else {
        // Issued in the era the store still has: its issuance (the tokens counter, the claimed
        // position) went with the loss too, and is counted again.
        const position = session.era === era ? String(session.position) : '';
        args.push(String(session.expiresAt), requestId, position);
      }
    }
    if (args.length === 0) return;
    mark.holdPending = true;
    const k = this.#keys(eventId);
    return this.#write((redis) =>
      redis.arHoldSessions(
        k.activeSessions,
        k.held,
        k.resets,
        k.counters,
        k.claimedPositions,
        String(resets),
        String(now),
        ...args,
      ),
    ).then(
      () => {
        mark.holdPending = false;
      },
      () => {}, // still pending: the next guard answer of the event tries again
    );
  }

  async holdLosses(eventId: string): Promise<void> {
    const turn = this.#turn ?? this.#beginTurn();
    if (turn.arrivals !== null) this.#sendArrivals(turn);
    turn.guarded ??= new Set();
    turn.guarded.delete(eventId); // a guard of its own, answered before the caller counts
    const guard = this.#guardOf(turn, eventId)!;
    const k = this.#keys(eventId);
    const reply = await this.#call((redis) =>
      redis.arGuardCounters(k.counters, k.resets, k.lastTick, k.sessions, ...guard.args),
    );
    await this.#guarded(eventId, guard.mark, reply);
  }

  /** A session issued here in a max-size event: remembered for the loss hold until it expires. */
  #remember(eventId: string, requestId: string, session: IssuedSession, now: number): void {
    let issued = this.#issued.get(eventId);
    if (issued === undefined) {
      if (this.#issued.size >= MAX_CACHED_EVENT_KEYS) this.#issued.clear();
      issued = { sessions: new Map(), now };
      this.#issued.set(eventId, issued);
    }
    if (now > issued.now) issued.now = now;
    const sessions = issued.sessions;
    if (sessions.size >= MAX_KNOWN_SESSIONS) {
      for (const [id, known] of sessions) if (known.expiresAt <= now) sessions.delete(id);
      if (sessions.size >= MAX_KNOWN_SESSIONS) sessions.delete(sessions.keys().next().value!);
    }
    sessions.set(requestId, session);
    const mark = this.#watermarks.get(eventId);
    if (mark !== undefined) mark.lastSession = requestId;
  }

  /** What this process acknowledged: positions and ticks only rise; serving is as last written. */
  #acknowledge(
    eventId: string,
    acknowledged: { position?: number; arrival?: number; tick?: number; serving?: number },
  ): void {
    const mark = this.#watermarks.get(eventId);
    if (mark === undefined) return; // guarded first, so only after the bound forgot it
    if (acknowledged.position !== undefined && acknowledged.position > mark.position) {
      mark.position = acknowledged.position;
    }
    if (acknowledged.arrival !== undefined && acknowledged.arrival > mark.arrival) {
      mark.arrival = acknowledged.arrival;
    }
    if (acknowledged.tick !== undefined && acknowledged.tick > mark.tick) mark.tick = acknowledged.tick;
    if (acknowledged.serving !== undefined) mark.serving = acknowledged.serving;
  }

  /** Every call names the keys of its event: built once per event, not twelve strings a call. */
  #keys(eventId: string): EventKeys {
    let keys = this.#eventKeys.get(eventId);
    if (keys === undefined) {
      // Event ids are validated and few; the bound only guards against a caller passing many.
      if (this.#eventKeys.size >= MAX_CACHED_EVENT_KEYS) this.#eventKeys.clear();
      keys = eventKeys(this.#prefix, eventId);
      this.#eventKeys.set(eventId, keys);
    }
    return keys;
  }

  async enqueue(eventId: string, input: EnqueueInput): Promise<EnqueueResult> {
    // A process that knows the era offers none: a queue reset since must get a fresh one.
    let reply = await this.#arrive(eventId, input, this.#eras.has(eventId) ? '' : this.#newEra());
    if (reply === 'no_era') reply = await this.#arrive(eventId, input, this.#newEra());
    if (reply === 'no_era') throw new StoreUnavailableError(new Error('enqueue: no era'));
    if (reply[0] === 'rate_limited') throw rateLimitedError(reply[1]);
    if (reply[0] === 'queue_full') throw new AnteroomError('queue_full');
    const [position, entryTime, created, arrival] = reply;
    this.#acknowledge(eventId, { position, arrival });
    const entry = entryOf(
      eventId,
      this.#eras.get(eventId)!,
      position,
      Number(entryTime),
      arrival,
    ) as EnqueueResult;
    entry.created = created === 1;
    return entry;
  }

  /**
   * One arrival, sent with the other arrivals of the event in this turn that share its
   * arguments: one enqueue.lua call for them all, carrying the turn's regression guard for the
   * event when no earlier write did. Under load a turn reads many requests, and one call per
   * turn costs far less, in this process and in Redis, than one per arrival. The call leaves
   * when the turn closes, or before the next call of the turn, so calls keep their order.
   */
  #arrive(eventId: string, input: EnqueueInput, fresh: string): Promise<ArrivalAnswer | 'no_era'> {
    const k = this.#keys(eventId);
    const limit = input.rateLimit;
    const [bucket, field] =
      input.visitorKey === undefined || input.visitorKey === ''
        ? [k.counters, '']
        : visitorLocation(k, input.visitorKey);
    const era = this.#eras.get(eventId) ?? '';
    const turn = this.#turn ?? this.#beginTurn();
    let batch = turn.lastBatch;
    if (batch === null || !sharesCall(batch, eventId, input, era, fresh !== '')) {
      const perMinute = limit === undefined ? '' : String(limit.perMinute);
      const startAt = input.prequeue === undefined ? '' : String(input.prequeue.startAt);
      const shuffle = input.prequeue?.shuffle ? '1' : '0';
      const longest = input.maxQueueLength === undefined ? '' : String(input.maxQueueLength);
      const present = input.present ? '1' : '';
      // Arrivals share a call when every argument but the fresh era (any one will do) is the same.
      const name = `${eventId}\n${input.now}\n${perMinute}\n${era}\n${fresh === '' ? '' : 'fresh'}\n${startAt}\n${shuffle}\n${longest}\n${present}`;
      turn.arrivals ??= new Map();
      batch = turn.arrivals.get(name) ?? null;
      if (batch === null) {
        const shared = [String(input.now), perMinute, era, fresh, startAt, shuffle, longest, present];
        batch = { eventId, shared, arrivals: [], input, fresh: fresh !== '' };
        turn.arrivals.set(name, batch);
      }
      turn.lastBatch = batch;
    }
    const arrivals = batch.arrivals;
    return new Promise((resolve, reject) => {
      arrivals.push({
        // `rates` is under the event's hash tag, so the call touches one cluster slot.
        bucket,
        rates: limit === undefined ? k.rates : `${k.rates}${limit.client}`,
        field,
        nowMs: limit === undefined ? '' : String(Math.round(limit.nowMs)),
        answer: (reply, era) => {
          if (era !== '' && era !== 'no_era') this.#eras.set(eventId, era);
          resolve(reply);
        },
        fail: reject,
      });
    });
  }

  /** Send the turn's waiting arrivals, a call per event (and shared arguments). */
  #sendArrivals(turn: Turn): void {
    const batches = turn.arrivals!;
    turn.arrivals = null;
    turn.lastBatch = null;
    for (const { eventId, shared, arrivals } of batches.values()) {
      const k = this.#keys(eventId);
      const guard = this.#guardOf(turn, eventId);
      const keys = [
        k.counters,
        k.entryTimes,
        k.arrivalTimes,
        k.drawRanks,
        k.present,
        k.seen,
        k.resets,
        k.lastTick,
        k.sessions,
      ];
      const args = [...shared, ...(guard === null ? ['', '', '', '', '', '', '', ''] : ['1', ...guard.args])];
      for (const arrival of arrivals) {
        keys.push(arrival.bucket, arrival.rates);
        args.push(arrival.field, arrival.nowMs);
      }
      this.#write((redis) => redis.arEnqueue(keys.length, ...keys, ...args)).then(
        ([guardReply, era, ...answers]) => {
          if (guard !== null && guardReply.length === 3) this.#guarded(eventId, guard.mark, guardReply);
          arrivals.forEach((arrival, i) => {
            arrival.answer(era === 'no_era' ? 'no_era' : answers[i]!, era);
          });
        },
        (error: unknown) => {
          for (const arrival of arrivals) arrival.fail(error);
        },
      );
    }
  }

  async restorePlace(eventId: string, requestId: string, receipt: PlaceReceipt): Promise<QueueEntry | null> {
    const claimed: ClaimedId = { kind: 'position', number: receipt.position };
    const k = this.#keys(eventId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const era = await this.#era(eventId);
      const sameEra = era !== null && issuedUnder(era, eventId, requestId, claimed);
      this.#guard(eventId);
      const reply = await this.#write((redis) =>
        redis.arRestorePlace(
          k.counters,
          k.entryTimes,
          k.resets,
          k.restoreFloor,
          String(receipt.position),
          String(receipt.entryTime),
          String(receipt.resets),
          era ?? '',
          sameEra ? '1' : '',
          this.#newEra(),
        ),
      );
      if (reply === '') return null;
      if (reply[0] === 'retry') continue;
      this.#eras.set(eventId, reply[0]);
      this.#indexes.delete(eventId); // it may hold the changes without this entry time
      this.#acknowledge(eventId, { position: receipt.position });
      return entryOf(eventId, reply[0], receipt.position, receipt.entryTime, 0);
    }
    throw new StoreUnavailableError(new Error('restorePlace: the era kept changing'));
  }

  /**
   * The position and era of a request id this store issued, or null. The era is cached; an
   * id that fails its MAC against the cached one is checked again against the stored one
   * (another process may have reset the queue), and the scripts check the era is current.
   */
  async #verify(eventId: string, requestId: string): Promise<{ claimed: string; era: string } | null> {
    if (claimedId(requestId) === null) return null;
    const cached = this.#eras.get(eventId);
    if (cached !== undefined) {
      const claimed = verifiedId(cached, eventId, requestId);
      if (claimed !== null) return { claimed: claimedArg(claimed), era: cached };
    }
    const era = await this.#call((redis) => redis.hget(this.#keys(eventId).counters, 'era'));
    if (era === null) {
      this.#eras.delete(eventId);
      this.#indexes.delete(eventId);
      this.#indexReads.delete(eventId);
      return null;
    }
    this.#eras.set(eventId, era);
    if (era === cached) return null;
    const claimed = verifiedId(era, eventId, requestId);
    return claimed === null ? null : { claimed: claimedArg(claimed), era };
  }

  async getEntry(eventId: string, requestId: string, options?: EntryReadOptions): Promise<QueueEntry | null> {
    if (options?.maxAgeMs) {
      const indexed = await this.#indexedEntry(eventId, requestId, options.maxAgeMs);
      if (indexed !== null) return indexed;
    }
    const id = await this.#verify(eventId, requestId);
    if (id === null) return null;
    const k = this.#keys(eventId);
    const reply = await this.#call((redis) =>
      redis.arEntry(k.counters, k.entryTimes, k.arrivalTimes, k.drawRanks, id.claimed, id.era),
    );
    if (reply === '') return null;
    const [position, entryTime] = reply;
    if (position !== 0) return { requestId, eventId, position, entryTime: Number(entryTime) };
    const prequeued = claimedId(requestId)!.number;
    return { requestId, eventId, position: null, entryTime: Number(entryTime), prequeued };
  }

  /**
   * A waiting visitor's place from the process's index of the event (no Redis call while the
   * index is younger than `maxAgeMs`), or null when the index cannot say: an id of another era
   * (a reset this index has not seen yet), a position beyond what it covers, a pre-queue id.
   * Only a place that exists is answered from it; every "unknown" is the store's answer.
   */
  async #indexedEntry(eventId: string, requestId: string, maxAgeMs: number): Promise<QueueEntry | null> {
    const claimed = claimedId(requestId);
    if (claimed?.kind !== 'position') return null;
    let index = this.#indexes.get(eventId);
    if (index === undefined || Date.now() - index.readAtMs >= maxAgeMs)
      index = await this.#readIndex(eventId);
    if (index === undefined || claimed.number > index.covered) return null;
    if (!issuedUnder(index.era, eventId, requestId, claimed)) return null;
    const entryTime = changeAt(index, claimed.number);
    return entryTime === undefined ? null : { requestId, eventId, position: claimed.number, entryTime };
  }

  /** Read the event's index again: only the entry-time changes it has not seen (one call, shared). */
  #readIndex(eventId: string): Promise<EntryIndex | undefined> {
    const pending = this.#indexReads.get(eventId);
    if (pending !== undefined) return pending;
    const known = this.#indexes.get(eventId);
    const k = this.#keys(eventId);
    const since = known?.scores.at(-1) ?? 0;
    const reading: Promise<EntryIndex | undefined> = this.#call((redis) =>
      redis.arEntryIndex(k.counters, k.entryTimes, String(since), String(ENTRY_INDEX_BATCH)),
    )
      .then((reply) => {
        // A reset by this process since the read began: what it read may be of before.
        if (this.#indexReads.get(eventId) !== reading) return undefined;
        if (reply.length === 0) {
          this.#indexes.delete(eventId);
          return undefined;
        }
        const [era, queue, changes] = reply;
        if (known !== undefined && known.era !== era && since > 0) {
          // A reset: the changes read were only those after the old index's last one. The
          // next call reads the new era's from the start; this one asks the store.
          this.#indexes.delete(eventId);
          return undefined;
        }
        const index = known?.era === era ? known : { era, covered: 0, scores: [], times: [], readAtMs: 0 };
        for (const change of changes) {
          const colon = change.indexOf(':');
          index.scores.push(Number(change.slice(0, colon)));
          index.times.push(Number(change.slice(colon + 1)));
        }
        // Read in the same step as the changes, the queue length says how far they are
        // complete; a batch cut short is complete up to its last change only.
        index.covered = changes.length === ENTRY_INDEX_BATCH ? (index.scores.at(-1) ?? 0) : Number(queue);
        index.readAtMs = Date.now();
        if (this.#indexes.size >= MAX_CACHED_EVENT_KEYS && !this.#indexes.has(eventId)) this.#indexes.clear();
        this.#indexes.set(eventId, index);
        return index;
      })
      .finally(() => {
        if (this.#indexReads.get(eventId) === reading) this.#indexReads.delete(eventId);
      });
    this.#indexReads.set(eventId, reading);
    return reading;
  }

  async getServingCounter(eventId: string): Promise<number> {
    const value = await this.#call((redis) => redis.hget(this.#keys(eventId).counters, 'serving'));
    return Number(value ?? 0);
  }

  async incrementServingCounter(
    eventId: string,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<number> {
    const k = this.#keys(eventId);
    this.#guard(eventId);
    const [, after] = await this.#write((redis) =>
      redis.arIncrementServing(
        k.counters,
        k.history,
        k.historyRows,
        k.counters,
        k.present,
        k.seen,
        k.returned,
        by,
        String(now),
        String(MAX_SERVING),
        '',
        '',
        '',
        ...presenceArgs(presence),
      ),
    );
    this.#acknowledge(eventId, { serving: after });
    return after;
  }

  async advanceOnTick(
    eventId: string,
    tick: number,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<TickAdvance | null> {
    const k = this.#keys(eventId);
    this.#guard(eventId);
    const result = await this.#write((redis) =>
      redis.arAdvanceOnTick(
        k.counters,
        k.history,
        k.historyRows,
        k.lastTick,
        k.present,
        k.seen,
        k.returned,
        by,
        String(now),
        String(MAX_SERVING),
        String(tick),
        'queue',
        '',
        ...presenceArgs(presence),
      ),
    );
    if (result === null) return null;
    this.#acknowledge(eventId, { tick, serving: result[1] });
    return tickAdvance(result, presence);
  }

  async getInletState(eventId: string): Promise<InletStateRecord | null> {
    const [version, state] = await this.#call((redis) =>
      redis.hmget(this.#keys(eventId).inletState, 'v', 's'),
    );
    return version == null || state == null ? null : { version: Number(version), state };
  }

  async advanceInlet(
    eventId: string,
    expectedVersion: number,
    state: string,
    by: number,
    now: number,
    presence?: PresenceRule,
  ): Promise<TickAdvance | null> {
    const k = this.#keys(eventId);
    this.#guard(eventId);
    const result = await this.#write((redis) =>
      redis.arAdaptiveStep(
        k.counters,
        k.history,
        k.historyRows,
        k.inletState,
        k.present,
        k.seen,
        k.returned,
        by,
        String(now),
        String(MAX_SERVING),
        String(expectedVersion),
        'queue',
        state,
        ...presenceArgs(presence),
      ),
    );
    if (result === null) return null;
    this.#acknowledge(eventId, { serving: result[1] });
    return tickAdvance(result, presence);
  }

  async putOriginHealth(eventId: string, sample: OriginHealth): Promise<void> {
    const key = this.#keys(eventId).originHealth;
    await this.#call((redis) => redis.set(key, JSON.stringify(sample)));
  }

  async getOriginHealth(eventId: string): Promise<OriginHealth | null> {
    const json = await this.#call((redis) => redis.get(this.#keys(eventId).originHealth));
    return json === null ? null : (JSON.parse(json) as OriginHealth);
  }

  async getCounters(eventId: string): Promise<Counters> {
    // One script, one round trip: the hash's fields and the reset count (a separate key, kept
    // across resets) read together.
    const k = this.#keys(eventId);
    const values = await this.#call((redis) =>
      redis.arCounters(k.counters, k.resets, ...COUNTER_FIELDS, ...PRESENCE_FIELDS),
    );
    const counters: Record<string, number> = {};
    COUNTER_FIELDS.forEach((field, i) => {
      counters[field] = Number(values[i] ?? 0);
    });
    PRESENCE_FIELDS.forEach((field, i) => {
      const value = values[COUNTER_FIELDS.length + i];
      if (value != null) counters[field] = Number(value);
    });
    counters.resets = Number(values[COUNTER_FIELDS.length + PRESENCE_FIELDS.length] ?? 0);
    return counters as unknown as Counters;
  }

  async waitingCount(eventId: string): Promise<number> {
    const [queue, tokens, expired] = await this.#call((redis) =>
      redis.hmget(this.#keys(eventId).counters, 'queue', 'tokens', 'expired'),
    );
    return Math.max(0, Number(queue ?? 0) - Number(tokens ?? 0) - Number(expired ?? 0));
  }

  async issueToken(eventId: string, input: IssueInput): Promise<IssueOutcome> {
    const id = await this.#verify(eventId, input.requestId);
    if (id === null) return { kind: 'unknown' };
    const k = this.#keys(eventId);
    // A max-size event counts the sessions a loss took (the loss hold): the guard ahead of the
    // issue tells this process of a loss it has not seen yet, so it puts back what it issued.
    if (input.maxActive !== undefined) this.#guard(eventId);
    const reply = await this.#write((redis) =>
      redis.arIssueToken(
        k.counters,
        k.entryTimes,
        k.sessions,
        k.activeSessions,
        k.allSessions,
        k.history,
        k.historyRows,
        k.claimedPositions,
        k.arrivalTimes,
        k.drawRanks,
        k.present,
        k.held,
        input.requestId,
        String(input.now),
        String(input.validitySeconds),
        input.issuer,
        input.expirySeconds === null ? '' : String(input.expirySeconds),
        input.maxActive === undefined ? '' : String(input.maxActive),
        id.claimed,
        id.era,
        input.presence ? '1' : '',
      ),
    );
    const [kind, first, second] = reply;
    switch (kind) {
      case 'unknown':
      case 'position_expired':
      case 'prequeue':
        return { kind };
      case 'not_yet':
      case 'full':
        return { kind, position: Number(first), serving: Number(second) };
      case 'issued': {
        const session = decodeSession(eventId, input.requestId, String(first));
        if (input.maxActive !== undefined)
          this.#remember(
            eventId,
            input.requestId,
            { expiresAt: session.expiresAt, position: session.position, era: id.era },
            input.now,
          );
        return { kind, session, created: true };
      }
      case 'existing': {
        const session = decodeSession(eventId, input.requestId, String(first));
        return session.status === 'active'
          ? { kind: 'issued', session, created: false }
          : { kind: 'session_ended', session };
      }
      default:
        throw new StoreUnavailableError(new Error(`unexpected issue-token reply ${kind}`));
    }
  }

  async getSession(eventId: string, requestId: string): Promise<SessionRecord | null> {
    const record = await this.#call((redis) => redis.hget(this.#keys(eventId).sessions, requestId));
    return record === null ? null : decodeSession(eventId, requestId, record);
  }

  async getSessions(eventId: string, requestIds: readonly string[]): Promise<(SessionRecord | null)[]> {
    if (requestIds.length === 0) return [];
    const records = await this.#call((redis) => redis.hmget(this.#keys(eventId).sessions, ...requestIds));
    return records.map((record, i) =>
      record === null ? null : decodeSession(eventId, requestIds[i] as string, record),
    );
  }

  async activeCount(eventId: string, now: number): Promise<number> {
    // With the sessions of the loss hold (hold-sessions.lua): both counts in one socket write.
    const k = this.#keys(eventId);
    const [active, held] = await Promise.all([
      this.#call((redis) => redis.zcount(k.activeSessions, `(${now}`, '+inf')),
      this.#call((redis) => redis.zcount(k.held, `(${now}`, '+inf')),
    ]);
    return active + held;
  }

  async expiredSessions(
    eventId: string,
    now: number,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<string>> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor);
    const [flag, ...items] = await this.#call((redis) =>
      redis.arExpiredSessions(this.#keys(eventId).allSessions, String(now), page.limit, after),
    );
    if (flag === 'bad_cursor') throw invalidCursor();
    return { items, nextCursor: flag === 'more' ? encodeCursor(items[items.length - 1]!) : null };
  }

  async updateSession(
    eventId: string,
    requestId: string,
    status: 'completed' | 'abandoned',
  ): Promise<SessionRecord | null> {
    const k = this.#keys(eventId);
    const record = await this.#write((redis) =>
      redis.arUpdateSession(
        k.counters,
        k.sessions,
        k.activeSessions,
        requestId,
        status === 'completed' ? 'c' : 'x',
      ),
    );
    return record === null ? null : decodeSession(eventId, requestId, record);
  }

  async positionExpiry(
    eventId: string,
    requestId: string,
    now: number,
    expirySeconds: number | null,
    presence?: boolean,
  ): Promise<PositionExpiry> {
    const id = await this.#verify(eventId, requestId);
    if (id === null) return { kind: 'unknown' };
    const k = this.#keys(eventId);
    const [kind, expiresIn] = await this.#call((redis) =>
      redis.arPositionExpiry(
        k.counters,
        k.entryTimes,
        k.sessions,
        k.history,
        k.historyRows,
        k.arrivalTimes,
        k.drawRanks,
        k.present,
        requestId,
        String(now),
        expirySeconds === null ? '' : String(expirySeconds),
        id.claimed,
        id.era,
        presence ? '1' : '',
      ),
    );
    if (kind === 'running') return { kind, expiresIn: Number(expiresIn) };
    return { kind: kind as Exclude<PositionExpiry['kind'], 'running'> };
  }

  async expirePositions(
    eventId: string,
    now: number,
    expirySeconds: number,
    autoAdvance: boolean,
    presence?: boolean,
  ): Promise<ExpireResult> {
    const k = this.#keys(eventId);
    const [maxExpiredPosition, newlyExpired, advancedBy, serving] = await this.#write((redis) =>
      redis.arExpirePositions(
        k.counters,
        k.entryTimes,
        k.history,
        k.historyRows,
        k.claimedPositions,
        k.present,
        String(now),
        String(expirySeconds),
        autoAdvance ? '1' : '0',
        EXPIRE_ROWS_PER_CALL,
        String(MAX_SERVING),
        presence ? '1' : '',
      ),
    );
    return { maxExpiredPosition, newlyExpired, advancedBy, serving };
  }

  async touchPresence(
    eventId: string,
    positions: readonly number[],
    now: number,
    expirySeconds: number | null,
  ): Promise<void> {
    if (positions.length === 0) return;
    const k = this.#keys(eventId);
    await this.#call((redis) =>
      redis.arTouchPresence(
        k.counters,
        k.present,
        k.seen,
        k.returned,
        k.claimedPositions,
        k.history,
        k.historyRows,
        k.entryTimes,
        String(now),
        expirySeconds === null ? '' : String(expirySeconds),
        ...positions.map(String),
      ),
    );
  }

  async sweepPresence(eventId: string, rule: PresenceRule): Promise<PresenceCount> {
    const k = this.#keys(eventId);
    const [present, absent, outstanding] = await this.#call((redis) =>
      redis.arSweepPresence(
        k.counters,
        k.present,
        k.seen,
        k.returned,
        k.claimedPositions,
        String(rule.absentBefore),
        String(rule.work),
      ),
    );
    return { present, absent, outstanding };
  }

  async servingHistory(eventId: string, limit: number): Promise<ServingHistoryRow[]> {
    if (limit < 1) return [];
    const k = this.#keys(eventId);
    const flat = await this.#call((redis) => redis.arServingHistory(k.history, k.historyRows, limit));
    const rows: ServingHistoryRow[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const [time, served] = flat[i + 1]!.split(':');
      rows.push({ serving: Number(flat[i]), time: Number(time), served: Number(served) });
    }
    return rows;
  }

  async historyAt(
    eventId: string,
    position: number,
    time: number,
    limit: number,
  ): Promise<{ rows: ServingHistoryRow[]; reachedAt: number | null }> {
    const k = this.#keys(eventId);
    const [reached = '', ...flat] = await this.#call((redis) =>
      redis.arHistoryAt(k.history, k.historyRows, String(position), String(time), String(Math.max(1, limit))),
    );
    const rows: ServingHistoryRow[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const [rowTime, served] = flat[i + 1]!.split(':');
      rows.push({ serving: Number(flat[i]), time: Number(rowTime), served: Number(served) });
    }
    return { rows, reachedAt: reached === '' ? null : Number(reached) };
  }

  async recordEtaSample(eventId: string, sample: EtaSample, keep: number): Promise<void> {
    const k = this.#keys(eventId);
    await this.#call((redis) =>
      redis.arEtaSample(k.etaSamples, `${sample.estimated}:${sample.actual}`, String(keep)),
    );
  }

  async etaSamples(eventId: string): Promise<EtaSample[]> {
    const k = this.#keys(eventId);
    const items = await this.#call((redis) => redis.lrange(k.etaSamples, 0, -1));
    return items.map((item) => {
      const [estimated, actual] = item.split(':');
      return { estimated: Number(estimated), actual: Number(actual) };
    });
  }

  async reset(eventId: string): Promise<void> {
    const {
      override: _kept,
      visitorBuckets,
      rates: _rates,
      spentPrefixes: _spent,
      resets,
      ...queueState
    } = this.#keys(eventId);
    // One transaction: the era goes with the counters (every old request id is unknown from
    // then on) and the visitor buckets with them, so no join sees one without the other. The
    // reset count, kept, goes up: every process's regression guard learns the counters went
    // back because of a reset, not a loss (guard-counters.lua).
    const keys = [...Object.values(queueState)];
    for (let bucket = 0; bucket < VISITOR_BUCKETS; bucket++) keys.push(`${visitorBuckets}${bucket}`);
    const count = await this.#write(async (redis) => {
      const transaction = redis.multi();
      for (let from = 0; from < keys.length; from += 4096)
        transaction.unlink(...keys.slice(from, from + 4096));
      transaction.incr(resets);
      const results = await transaction.exec();
      for (const [error] of results ?? []) if (error) throw error;
      return Number(results?.at(-1)?.[1]);
    });
    this.#eras.delete(eventId);
    this.#indexes.delete(eventId);
    this.#indexReads.delete(eventId);
    this.#watermarks.set(eventId, freshMark(count));
    this.#issued.delete(eventId);
  }

  async admitOnArrival(eventId: string, position: number, maxActive: number, now: number): Promise<boolean> {
    const k = this.#keys(eventId);
    const moved = await this.#write((redis) =>
      redis.arArrivalAdmit(
        k.counters,
        k.history,
        k.historyRows,
        k.activeSessions,
        k.present,
        k.seen,
        k.returned,
        k.held,
        1,
        String(now),
        String(MAX_SERVING),
        String(position),
        '',
        String(maxActive),
        '',
        '',
      ),
    );
    return moved !== null;
  }

  async drawState(eventId: string): Promise<DrawState> {
    const values = await this.#call((redis) => redis.hmget(this.#keys(eventId).counters, ...DRAW_FIELDS));
    return parseDrawState(values);
  }

  async closePrequeue(eventId: string, now: number, shuffle: boolean): Promise<DrawState> {
    const k = this.#keys(eventId);
    return parseDrawState(
      await this.#write((redis) =>
        redis.arDrawClose(k.counters, k.entryTimes, String(now), shuffle ? '1' : '0'),
      ),
    );
  }

  /** The era request ids are signed with, as stored (null: the queue has none yet). */
  async #era(eventId: string): Promise<string | null> {
    const era = await this.#call((redis) => redis.hget(this.#keys(eventId).counters, 'era'));
    if (era !== null) this.#eras.set(eventId, era);
    return era;
  }

  async prequeueIds(eventId: string, from: number, count: number): Promise<string[]> {
    const era = await this.#era(eventId);
    if (era === null) return [];
    return Array.from({ length: count }, (_, i) => prequeueIdFor(era, eventId, from + i));
  }

  async writeDrawSlice(
    eventId: string,
    expectedWritten: number,
    ranks: Buffer,
    arrivals: Buffer,
    now: number,
  ): Promise<number | null> {
    const k = this.#keys(eventId);
    const written = await this.#write((redis) =>
      redis.arDrawSlice(
        k.counters,
        k.drawRanks,
        k.drawOrder,
        String(now),
        String(expectedWritten),
        ranks,
        arrivals,
      ),
    );
    return written === null ? null : Number(written);
  }

  async drawnIds(eventId: string, offset: number, limit: number): Promise<string[]> {
    const [state, era] = await Promise.all([this.drawState(eventId), this.#era(eventId)]);
    const count = Math.max(0, Math.min(limit, state.participants - offset));
    if (state.phase !== 'drawn' || era === null || count === 0) return [];
    if (!state.shuffled)
      return Array.from({ length: count }, (_, i) => prequeueIdFor(era, eventId, offset + i + 1));
    const order = await this.#call((redis) =>
      redis.getrangeBuffer(this.#keys(eventId).drawOrder, offset * 4, (offset + count) * 4 - 1),
    );
    const ids: string[] = [];
    for (let i = 0; i + 4 <= order.length; i += 4)
      ids.push(prequeueIdFor(era, eventId, order.readUInt32BE(i)));
    return ids;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = `${this.#prefix}lease:${name}`;
    return (
      (await this.#call((redis) => redis.arAcquireLease(key, owner, Math.max(1, Math.round(ttlMs))))) === 1
    );
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    const key = `${this.#prefix}lease:${name}`;
    return (await this.#call((redis) => redis.arReleaseLease(key, owner))) === 1;
  }

  async takeBudget(name: string, perMinute: number, nowMs: number): Promise<number> {
    const key = `${this.#prefix}budget:${name}`;
    return this.#call((redis) => redis.arTakeBudget(key, String(perMinute), String(Math.round(nowMs))));
  }

  async screenVisitor(eventId: string, input: ScreenInput): Promise<Screening> {
    const k = this.#keys(eventId);
    const { token, challenge, rateLimit: limit } = input;
    const spend = typeof challenge === 'object' ? challenge : null;
    const [bucket, field] = visitorLocation(k, input.visitorKey);
    const identity = typeof token === 'object' ? visitorLocation(k, token.identity) : null;
    const reply = await this.#call((redis) =>
      redis.arScreenVisitor(
        bucket,
        k.entryTimes,
        // Under the event's hash tag, so the script touches one cluster slot.
        limit === undefined ? k.rates : `${k.rates}${limit.client}`,
        spend === null ? k.spentPrefixes : `${k.spentPrefixes}${spend.used}`,
        k.counters,
        identity === null ? k.counters : identity[0],
        k.arrivalTimes,
        k.drawRanks,
        field,
        token === undefined ? '' : identity === null ? (token as string) : `=${identity[1]}`,
        limit === undefined ? '' : String(limit.perMinute),
        String(Math.round(limit?.nowMs ?? input.nowMs)),
        challenge === undefined ? '' : spend === null ? (challenge as string) : 'spend',
        spend === null ? '0' : String(Math.max(1, Math.ceil(spend.forMs))),
      ),
    );
    switch (reply[0]) {
      case 'held': {
        const [, position, entryTime, era, arrival] = reply;
        this.#eras.set(eventId, String(era));
        return {
          kind: 'held',
          entry: entryOf(eventId, String(era), Number(position), Number(entryTime), Number(arrival ?? 0)),
        };
      }
      case 'rate_limited':
        throw rateLimitedError(Number(reply[1]));
      case 'refused':
        return { kind: reply[1] as Exclude<Screening['kind'], 'held' | 'clear'> };
      case 'clear':
        return { kind: 'clear' };
      default:
        throw new StoreUnavailableError(new Error(`unexpected screen-visitor reply ${reply[0]}`));
    }
  }

  async linkVisitor(eventId: string, visitorKey: string, requestId: string): Promise<void> {
    // The id was just handed out by `enqueue`: the position it carries is the place (minus
    // the arrival number for a pre-queue id, as enqueue.lua keeps it).
    const claimed = claimedId(requestId);
    if (claimed === null) return;
    const value = claimed.kind === 'position' ? claimed.number : -claimed.number;
    const [bucket, field] = visitorLocation(this.#keys(eventId), visitorKey);
    await this.#call((redis) => redis.hsetnx(bucket, field, value));
  }

  async bindVisitorKey(eventId: string, visitorKey: string, owner: string): Promise<string> {
    const key = this.#keys(eventId).keyOwners;
    return String(await this.#call((redis) => redis.arBindVisitorKey(key, visitorKey, owner)));
  }

  async getEventOverride(eventId: string): Promise<EventSettings | null> {
    const json = await this.#call((redis) => redis.get(this.#keys(eventId).override));
    return json === null ? null : (JSON.parse(json) as EventSettings);
  }

  async putEventOverride(settings: EventSettings): Promise<void> {
    const key = this.#keys(settings.id).override;
    await this.#write((redis) => redis.set(key, JSON.stringify(settings)));
  }

  async claimIdempotencyKey(key: string, ttlSeconds: number): Promise<IdempotencyClaim> {
    const name = `${this.#prefix}idem:${key}`;
    // Not confirmed by itself: the guarded write is sent after it on the same connection, so
    // the confirmation of that write (WAIT covers every earlier write) confirms the claim too.
    const claimed = await this.#call((redis) => redis.set(name, '', 'EX', ttlSeconds, 'NX'));
    if (claimed === 'OK') return { kind: 'claimed' };
    const answer = await this.#call((redis) => redis.get(name));
    // Gone in between (expired): nobody holds it, but claiming again is for a retry to do.
    if (answer === null || answer === '') return { kind: 'in_doubt' };
    return { kind: 'answered', answer };
  }

  async answerIdempotencyKey(key: string, answer: string): Promise<void> {
    // Lost in a failover, the key reads as in doubt (the claim was confirmed with the write): safe.
    await this.#call((redis) => redis.set(`${this.#prefix}idem:${key}`, answer, 'KEEPTTL', 'XX'));
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.#call((redis) => redis.del(`${this.#prefix}idem:${key}`));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    const key = `${this.#prefix}audit`;
    await this.#call((redis) => redis.arAppendAudit(key, JSON.stringify(entry), AUDIT_CAP));
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    if (limit < 1) return [];
    const count = Math.min(limit, AUDIT_CAP);
    const items = await this.#call((redis) => redis.lrange(`${this.#prefix}audit`, 0, count - 1));
    return items.map((json) => JSON.parse(json) as AuditEntry);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#call((redis) => redis.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /**
   * An `allkeys-*` eviction policy lets Redis drop queue positions, sessions and counters under
   * memory pressure. `noeviction` or a `volatile-*` policy (the ElastiCache default,
   * `volatile-lru`) only ever drop keys with a lifetime: leases, rate budgets, OIDC state.
   */
  async configurationWarnings(): Promise<string[]> {
    const infos = await this.#call(async (redis) => {
      if (!redis.isCluster || !redis.nodes) return [await redis.info('memory')];
      await redis.ping(); // the masters are known once the cluster is ready
      return Promise.all(redis.nodes('master').map((node) => node.info('memory')));
    });
    const policies = new Set(infos.map((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1]).filter(Boolean));
    const durability = await this.#call((redis) => durabilityWarnings(redis, this.#durability));
    return [
      ...[...policies]
        .filter((policy) => policy?.startsWith('allkeys-'))
        .map(
          (policy) =>
            `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict queue positions and sessions;` +
            ' use noeviction or a volatile-* policy',
        ),
      ...durability,
    ];
  }

  /**
   * Why this server cannot give the configured durability (`aof` on a Redis before 7.2 or with
   * the append-only file off), or null. Start-up refuses to serve on such a server.
   */
  async durabilityRefusal(): Promise<string | null> {
    return this.#call((redis) => durabilityRefusal(redis, this.#durability));
  }

  async close(): Promise<void> {
    try {
      await this.#call((redis) => redis.quit());
    } catch {
      (await this.#connected.catch(() => null))?.disconnect();
    }
  }
}
