/**
 * The shared queue store: Redis (or Valkey, ElastiCache, Redis Cluster). Every atomic
 * operation is one Lua script from `./lua/` (loaded with `defineCommand`: EVALSHA with
 * automatic reload) and every key of one event carries the hash tag `{<eventId>}`, so
 * each script touches one cluster slot. Every hot-path call is one round trip.
 *
 * Per event (prefix `ar:`, event `demo`):
 *   ar:{demo}:c   hash  counters (queue, serving, tokens, expired, completed, abandoned,
 *                       maxExpiredPosition, lastEntryTime)
 *   ar:{demo}:e   hash  requestId → "position:entryTime"
 *   ar:{demo}:v   hash  visitorKey → requestId
 *   ar:{demo}:t   zset  entry-time changes: score position, member "position:entryTime"
 *   ar:{demo}:s   hash  requestId → "position:issuedAt:expiresAt:status:issuer"
 *   ar:{demo}:sa  zset  active sessions by expiresAt
 *   ar:{demo}:se  zset  all sessions by expiresAt
 *   ar:{demo}:p   zset  all sessions by position (claimed positions of a range)
 *   ar:{demo}:h   zset  serving-history values (score = member = serving)
 *   ar:{demo}:hr  hash  serving → "time:served:0" (the last field is no longer used)
 *   ar:{demo}:k   string  last periodic inlet tick (epoch second it began; advanceOnTick)
 *   ar:{demo}:a   hash  adaptive inlet state (v: version, s: controller state JSON)
 *   ar:{demo}:g   string  the last pushed reading of the origin's health (JSON)
 *   ar:{demo}:o   string  live settings override (JSON); kept by `reset`
 *   ar:{demo}:r:<client>  string  a client's enqueue budget (GCRA arrival time, ms; expires)
 *   ar:{demo}:pw:<prefix>  string  a spent proof-of-work prefix (expires with the prefix)
 * Global: ar:lease:<name>, ar:audit, ar:budget:<name> (a named budget, as the enqueue budget; expires).
 *
 * Failures (connection lost, timeout, script error) reject with StoreUnavailableError. How the
 * connection behaves (fail fast, never resend, reconnect forever) is `redis-connection.ts`.
 */
import { readFileSync } from 'node:fs';
import { Cluster, type Redis } from 'ioredis';
import { REDIS_DEFAULTS } from '../defaults.ts';
import { AnteroomError, rateLimitedError, StoreUnavailableError } from '../errors.ts';
import type {
  AuditEntry,
  Counters,
  EnqueueInput,
  EnqueueResult,
  EventSettings,
  ExpireResult,
  InletStateRecord,
  IssueInput,
  IssueOutcome,
  OriginHealth,
  Page,
  PositionExpiry,
  QueueEntry,
  QueueStore,
  ScreenInput,
  Screening,
  ServingHistoryRow,
  SessionRecord,
  TickAdvance,
} from '../types.ts';
import { AUDIT_CAP, EXPIRE_ROWS_PER_CALL, MAX_SERVING } from './memory-store.ts';
import { connectionStreams, connectRedis, type RedisConnectionOptions } from './redis-connection.ts';
import { decodeCursor, decodeSession, encodeCursor, invalidCursor } from './store-codec.ts';

/**
 * Each script's files and number of KEYS. A script of several files is their text joined
 * in order (Lua scripts cannot include each other): advance-on-tick.lua is a guard that
 * runs in front of the whole increment script, so the two share one copy of its logic.
 */
const SCRIPTS = {
  arEnqueue: { files: ['gcra.lua', 'enqueue.lua'], keys: 5 },
  arIncrementServing: { files: ['increment-serving.lua'], keys: 3 },
  arAdvanceOnTick: { files: ['advance-on-tick.lua', 'increment-serving.lua'], keys: 4 },
  arAdaptiveStep: { files: ['adaptive-step.lua', 'increment-serving.lua'], keys: 4 },
  arIssueToken: { files: ['issue-token.lua'], keys: 8 },
  arUpdateSession: { files: ['update-session.lua'], keys: 3 },
  arPositionExpiry: { files: ['position-expiry.lua'], keys: 5 },
  arExpirePositions: { files: ['expire-positions.lua'], keys: 5 },
  arExpiredSessions: { files: ['expired-sessions.lua'], keys: 1 },
  arServingHistory: { files: ['serving-history.lua'], keys: 2 },
  arAcquireLease: { files: ['acquire-lease.lua'], keys: 1 },
  arReleaseLease: { files: ['release-lease.lua'], keys: 1 },
  arAppendAudit: { files: ['append-audit.lua'], keys: 1 },
  arTakeBudget: { files: ['gcra.lua', 'take-budget.lua'], keys: 1 },
  arScreenVisitor: { files: ['gcra.lua', 'screen-visitor.lua'], keys: 4 },
} as const;

/** The reply of each script (see the header comment of each .lua file). */
interface ScriptReplies {
  arEnqueue: [string, string, number] | ['rate_limited', number];
  arIncrementServing: [before: number, after: number];
  arAdvanceOnTick: [before: number, after: number] | null;
  arAdaptiveStep: [before: number, after: number] | null;
  arIssueToken: [string, ...(string | number)[]];
  arUpdateSession: string | null;
  arPositionExpiry: [string, number?];
  arExpirePositions: [number, number, number, number];
  arExpiredSessions: string[];
  arServingHistory: string[];
  arAcquireLease: number;
  arReleaseLease: number;
  arAppendAudit: number;
  arTakeBudget: number;
  arScreenVisitor: [string, string?, string?] | ['rate_limited', number];
}

type ScriptName = keyof typeof SCRIPTS;
type ScriptArg = string | number;
type ScriptedRedis = (Redis | Cluster) & {
  [N in ScriptName]: (...args: ScriptArg[]) => Promise<ScriptReplies[N]>;
};

const LUA_DIR = new URL('./lua/', import.meta.url);
/** Read once per process; ioredis sends EVALSHA and falls back to EVAL after NOSCRIPT. */
const LUA_SOURCES = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, { files }]) => [
    name,
    files.map((file) => readFileSync(new URL(file, LUA_DIR), 'utf8')).join('\n'),
  ]),
) as Record<ScriptName, string>;

const COUNTER_FIELDS = [
  'queue',
  'serving',
  'tokens',
  'expired',
  'completed',
  'abandoned',
  'maxExpiredPosition',
] as const;

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key. Default `ar:`. */
  keyPrefix?: string | undefined;
}

type EventKeys = ReturnType<typeof eventKeys>;
const MAX_CACHED_EVENT_KEYS = 1000;

function eventKeys(prefix: string, eventId: string) {
  const base = `${prefix}{${eventId}}:`;
  return {
    counters: `${base}c`,
    entries: `${base}e`,
    visitors: `${base}v`,
    entryTimes: `${base}t`,
    sessions: `${base}s`,
    activeSessions: `${base}sa`,
    allSessions: `${base}se`,
    claimedPositions: `${base}p`,
    history: `${base}h`,
    historyRows: `${base}hr`,
    lastTick: `${base}k`,
    inletState: `${base}a`,
    originHealth: `${base}g`,
    override: `${base}o`,
    rates: `${base}r:`,
    spentPrefixes: `${base}pw:`,
  };
}

/** The calls issued in one event-loop turn, timed out together. */
interface Turn {
  /** Each pending call's failure callback. */
  pending: Set<(error: unknown) => void>;
  timer: NodeJS.Timeout | undefined;
  /** Until the turn's check phase: calls may still join it. */
  open: boolean;
}

function parseEntry(eventId: string, requestId: string, record: string): QueueEntry {
  const separator = record.indexOf(':');
  return {
    requestId,
    eventId,
    position: Number(record.slice(0, separator)),
    entryTime: Number(record.slice(separator + 1)),
  };
}

export class RedisStore implements QueueStore {
  readonly kind = 'redis';
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;
  readonly #commandTimeoutMs: number;
  /** The calls issued in the current event-loop turn, or null between turns. */
  #turn: Turn | null = null;
  readonly #eventKeys = new Map<string, EventKeys>();

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs;
    // No per-command timeout on the connection: `#call` times each turn's calls out together.
    const redis = connectRedis(options);
    // Connection errors surface as rejected commands; without a listener ioredis logs them.
    redis.on('error', () => {});
    for (const [name, { keys }] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: keys, lua: LUA_SOURCES[name as ScriptName] });
    }
    this.#redis = redis as ScriptedRedis;
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
   */
  #beginTurn(): Turn {
    const streams = connectionStreams(this.#redis);
    for (const stream of streams) stream.cork();
    const turn: Turn = { pending: new Set(), timer: undefined, open: true };
    turn.timer = setTimeout(() => {
      const timedOut = new Error(`Redis did not answer within ${this.#commandTimeoutMs} ms`);
      for (const fail of turn.pending) fail(timedOut);
    }, this.#commandTimeoutMs);
    turn.timer.unref();
    this.#turn = turn;
    setImmediate(() => {
      for (const stream of streams) stream.uncork();
      turn.open = false;
      this.#turn = null;
      if (turn.pending.size === 0) clearTimeout(turn.timer);
    });
    return turn;
  }

  /** Run a Redis call; any failure becomes StoreUnavailableError (never a wrong answer). */
  #call<T>(operation: (redis: ScriptedRedis) => Promise<T>): Promise<T> {
    const turn = this.#turn ?? this.#beginTurn();
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
        reply = operation(this.#redis);
      } catch (error) {
        fail(error);
        return;
      }
      reply.then((value) => {
        settle();
        resolve(value);
      }, fail);
    });
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
    const k = this.#keys(eventId);
    const limit = input.rateLimit;
    const reply = await this.#call((redis) =>
      redis.arEnqueue(
        k.counters,
        k.entries,
        k.visitors,
        k.entryTimes,
        // Under the event's hash tag, so the script touches one cluster slot.
        limit === undefined ? k.rates : `${k.rates}${limit.client}`,
        input.requestId,
        input.visitorKey ?? '',
        String(input.now),
        limit === undefined ? '' : String(limit.perMinute),
        limit === undefined ? '' : String(Math.round(limit.nowMs)),
      ),
    );
    if (reply.length === 2) throw rateLimitedError(reply[1]); // {'rate_limited', seconds}
    const [requestId, record, created] = reply;
    return { ...parseEntry(eventId, requestId, record), created: created === 1 };
  }

  async getEntry(eventId: string, requestId: string): Promise<QueueEntry | null> {
    const record = await this.#call((redis) => redis.hget(this.#keys(eventId).entries, requestId));
    return record === null ? null : parseEntry(eventId, requestId, record);
  }

  async getServingCounter(eventId: string): Promise<number> {
    const value = await this.#call((redis) => redis.hget(this.#keys(eventId).counters, 'serving'));
    return Number(value ?? 0);
  }

  async incrementServingCounter(eventId: string, by: number, now: number): Promise<number> {
    const k = this.#keys(eventId);
    const [, after] = await this.#call((redis) =>
      redis.arIncrementServing(k.counters, k.history, k.historyRows, by, String(now), String(MAX_SERVING)),
    );
    return after;
  }

  async advanceOnTick(eventId: string, tick: number, by: number, now: number): Promise<TickAdvance | null> {
    const k = this.#keys(eventId);
    const result = await this.#call((redis) =>
      redis.arAdvanceOnTick(
        k.counters,
        k.history,
        k.historyRows,
        k.lastTick,
        by,
        String(now),
        String(MAX_SERVING),
        String(tick),
        'queue',
      ),
    );
    return result === null ? null : { serving: result[1], moved: result[1] - result[0] };
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
  ): Promise<TickAdvance | null> {
    const k = this.#keys(eventId);
    const result = await this.#call((redis) =>
      redis.arAdaptiveStep(
        k.counters,
        k.history,
        k.historyRows,
        k.inletState,
        by,
        String(now),
        String(MAX_SERVING),
        String(expectedVersion),
        'queue',
        state,
      ),
    );
    return result === null ? null : { serving: result[1], moved: result[1] - result[0] };
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
    const values = await this.#call((redis) => redis.hmget(this.#keys(eventId).counters, ...COUNTER_FIELDS));
    const counters = Object.fromEntries(COUNTER_FIELDS.map((field, i) => [field, Number(values[i] ?? 0)]));
    return counters as unknown as Counters;
  }

  async waitingCount(eventId: string): Promise<number> {
    const [queue, tokens, expired] = await this.#call((redis) =>
      redis.hmget(this.#keys(eventId).counters, 'queue', 'tokens', 'expired'),
    );
    return Math.max(0, Number(queue ?? 0) - Number(tokens ?? 0) - Number(expired ?? 0));
  }

  async issueToken(eventId: string, input: IssueInput): Promise<IssueOutcome> {
    const k = this.#keys(eventId);
    const reply = await this.#call((redis) =>
      redis.arIssueToken(
        k.counters,
        k.entries,
        k.sessions,
        k.activeSessions,
        k.allSessions,
        k.history,
        k.historyRows,
        k.claimedPositions,
        input.requestId,
        String(input.now),
        String(input.validitySeconds),
        input.issuer,
        input.expirySeconds === null ? '' : String(input.expirySeconds),
        input.maxActive === undefined ? '' : String(input.maxActive),
      ),
    );
    const [kind, first, second] = reply;
    switch (kind) {
      case 'unknown':
      case 'position_expired':
        return { kind };
      case 'not_yet':
      case 'full':
        return { kind, position: Number(first), serving: Number(second) };
      case 'issued':
        return { kind, session: decodeSession(eventId, input.requestId, String(first)), created: true };
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

  async activeCount(eventId: string, now: number): Promise<number> {
    return this.#call((redis) => redis.zcount(this.#keys(eventId).activeSessions, `(${now}`, '+inf'));
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
    const record = await this.#call((redis) =>
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
  ): Promise<PositionExpiry> {
    const k = this.#keys(eventId);
    const [kind, expiresIn] = await this.#call((redis) =>
      redis.arPositionExpiry(
        k.counters,
        k.entries,
        k.sessions,
        k.history,
        k.historyRows,
        requestId,
        String(now),
        expirySeconds === null ? '' : String(expirySeconds),
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
  ): Promise<ExpireResult> {
    const k = this.#keys(eventId);
    const [maxExpiredPosition, newlyExpired, advancedBy, serving] = await this.#call((redis) =>
      redis.arExpirePositions(
        k.counters,
        k.entryTimes,
        k.history,
        k.historyRows,
        k.claimedPositions,
        String(now),
        String(expirySeconds),
        autoAdvance ? '1' : '0',
        EXPIRE_ROWS_PER_CALL,
        String(MAX_SERVING),
      ),
    );
    return { maxExpiredPosition, newlyExpired, advancedBy, serving };
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

  async reset(eventId: string): Promise<void> {
    const { override: _kept, ...queueState } = this.#keys(eventId);
    await this.#call((redis) => redis.unlink(...Object.values(queueState)));
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
    const reply = await this.#call((redis) =>
      redis.arScreenVisitor(
        k.visitors,
        k.entries,
        // Under the event's hash tag, so the script touches one cluster slot.
        limit === undefined ? k.rates : `${k.rates}${limit.client}`,
        spend === null ? k.spentPrefixes : `${k.spentPrefixes}${spend.used}`,
        input.visitorKey,
        token === undefined ? '' : typeof token === 'string' ? token : `=${token.identity}`,
        limit === undefined ? '' : String(limit.perMinute),
        String(Math.round(limit?.nowMs ?? input.nowMs)),
        challenge === undefined ? '' : spend === null ? (challenge as string) : 'spend',
        spend === null ? '0' : String(Math.max(1, Math.ceil(spend.forMs))),
      ),
    );
    switch (reply[0]) {
      case 'held':
        return { kind: 'held', entry: parseEntry(eventId, String(reply[1]), String(reply[2])) };
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
    await this.#call((redis) => redis.hsetnx(this.#keys(eventId).visitors, visitorKey, requestId));
  }

  async getEventOverride(eventId: string): Promise<EventSettings | null> {
    const json = await this.#call((redis) => redis.get(this.#keys(eventId).override));
    return json === null ? null : (JSON.parse(json) as EventSettings);
  }

  async putEventOverride(settings: EventSettings): Promise<void> {
    const key = this.#keys(settings.id).override;
    await this.#call((redis) => redis.set(key, JSON.stringify(settings)));
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
      if (!(redis instanceof Cluster)) return [await redis.info('memory')];
      await redis.ping(); // the masters are known once the cluster is ready
      return Promise.all(redis.nodes('master').map((node) => node.info('memory')));
    });
    const policies = new Set(infos.map((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1]).filter(Boolean));
    return [...policies]
      .filter((policy) => policy?.startsWith('allkeys-'))
      .map(
        (policy) =>
          `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict queue positions and sessions;` +
          ' use noeviction or a volatile-* policy',
      );
  }

  async close(): Promise<void> {
    try {
      await this.#call((redis) => redis.quit());
    } catch {
      this.#redis.disconnect();
    }
  }
}
