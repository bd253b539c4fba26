/**
 * The waiting room: queue rules applied to a store, with event settings, signing keys and
 * per-process micro-caches. Implements `Room` (room-api.ts) for every HTTP surface, the OIDC
 * interaction and the Lambda handlers. Knows nothing of HTTP: failures are `AnteroomError`s.
 */
import { randomUUID } from 'node:crypto';
import { issueAdmissionTokens } from '../admission-tokens.ts';
import { ROOM_DEFAULTS } from '../defaults.ts';
import { AnteroomError } from '../errors.ts';
import { inletLockName, runInletTick } from '../inlet.ts';
import type { KeyRing } from '../signing-keys/key-ring.ts';
import type {
  AuditEntry,
  EventSettings,
  PositionExpiry,
  QueueEntry,
  QueueStore,
  ServingHistoryRow,
  SessionRecord,
} from '../types.ts';
import { estimateWaitSeconds } from '../wait-estimate.ts';
import type { Room, StatusView, TickReport, TokenSet } from './room-api.ts';
import {
  type AdmitOptions,
  type AdmitOutcome,
  isSpent,
  type JoinOutcome,
  type JoinRequest,
  type Place,
  type PlaceLookup,
  replacementKey,
  takesNewVisitors,
} from './visitor-flow.ts';

export interface RoomOptions {
  store: QueueStore;
  keys: KeyRing;
  /** The configured events; only these ids exist. */
  events: EventSettings[];
  /** Issuer of admission tokens (the public base URL). */
  issuer: string;
  /** Clock in epoch seconds (tests control it). */
  now?: () => number;
  /** Clock in milliseconds for the micro-caches (tests control it). */
  nowMs?: () => number;
  /** How long a serving counter / waiting count read is reused (default 1000 ms). */
  cacheMs?: number;
  /** How long live event settings are reused before the store is asked again (default 1000 ms). */
  settingsCacheMs?: number;
  /** How often events with subscribers are checked for serving-counter changes (default 1000 ms). */
  watchMs?: number;
  /** Serving-counter history rows fed to the wait estimate. */
  historyLimit?: number;
  /** Told of new positions and first token issuances, whichever surface asked (metrics). */
  observer?: RoomObserver;
}

/** Outcomes worth counting; called synchronously, so it must be cheap and must not throw. */
export interface RoomObserver {
  positionAssigned(eventId: string): void;
  tokensIssued(eventId: string): void;
}

interface Cached<T> {
  value: T;
  at: number;
  pending: Promise<T> | null;
}

const expiryLockName = (eventId: string) => `expiry:${eventId}`;

const CLOSED: JoinOutcome = Object.freeze({ kind: 'closed' });
const NO_PLACE: PlaceLookup = Object.freeze({ kind: 'none' });

/** Build the room. The caller owns the store (closes it); `room.close()` stops the room's timers. */
export function createRoom(options: RoomOptions): Room {
  return new QueueRoom(options);
}

class QueueRoom implements Room {
  private readonly store: QueueStore;
  private readonly keys: KeyRing;
  private readonly configured: Map<string, EventSettings>;
  private readonly issuer: string;
  private readonly now: () => number;
  private readonly nowMs: () => number;
  private readonly cacheMs: number;
  private readonly settingsCacheMs: number;
  private readonly watchMs: number;
  private readonly historyLimit: number;
  private readonly observer: RoomObserver | undefined;
  private readonly serving = new Map<string, Cached<number>>();
  private readonly waiting = new Map<string, Cached<number>>();
  private readonly history = new Map<string, Cached<ServingHistoryRow[]>>();
  private readonly settings = new Map<string, Cached<EventSettings>>();
  private readonly listeners = new Map<string, Set<(serving: number) => void>>();
  private readonly watchers = new Map<string, { timer: NodeJS.Timeout; last: number | null }>();

  constructor(options: RoomOptions) {
    this.store = options.store;
    this.keys = options.keys;
    this.configured = new Map(options.events.map((event) => [event.id, event]));
    this.issuer = options.issuer;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.nowMs = options.nowMs ?? Date.now;
    this.cacheMs = options.cacheMs ?? ROOM_DEFAULTS.microCacheMs;
    this.settingsCacheMs = options.settingsCacheMs ?? ROOM_DEFAULTS.settingsCacheMs;
    this.watchMs = options.watchMs ?? ROOM_DEFAULTS.watchMs;
    this.historyLimit = options.historyLimit ?? ROOM_DEFAULTS.historyLimit;
    this.observer = options.observer;
  }

  // ---------------------------------------------------------------------------------
  // Events

  async getEvent(eventId: string): Promise<EventSettings> {
    const base = this.configured.get(eventId);
    if (!base) throw new AnteroomError('invalid_event_id');
    return this.cached(this.settings, eventId, this.settingsCacheMs, async () => {
      return (await this.store.getEventOverride(eventId)) ?? base;
    });
  }

  async listEvents(): Promise<EventSettings[]> {
    return Promise.all([...this.configured.keys()].map((id) => this.getEvent(id)));
  }

  async updateEvent(settings: EventSettings, actor: string): Promise<EventSettings> {
    const before = await this.getEvent(settings.id);
    await this.store.putEventOverride(settings);
    this.settings.set(settings.id, { value: settings, at: this.nowMs(), pending: null });
    await this.audit(actor, 'update_event', settings.id, before, settings);
    return settings;
  }

  // ---------------------------------------------------------------------------------
  // Visitors

  async join(event: EventSettings, request: JoinRequest): Promise<JoinOutcome> {
    if (!takesNewVisitors(event)) return CLOSED;
    let visitorKey = request.visitorKey;
    if (request.previous) {
      const previous = await this.place(event.id, request.previous);
      if (previous !== null && !previous.spent)
        return { kind: 'joined', place: previous.entry, created: false };
      if (previous !== null) visitorKey = replacementKey(visitorKey, request.previous);
    }
    const entry = await this.store.enqueue(event.id, {
      requestId: randomUUID(),
      visitorKey,
      now: this.now(),
      rateLimit: request.rateLimit,
    });
    if (entry.created) this.observer?.positionAssigned(event.id);
    return { kind: 'joined', place: entry, created: entry.created };
  }

  async findPlace(eventId: string, requestId: string): Promise<PlaceLookup> {
    const place = await this.place(eventId, requestId);
    return place === null ? NO_PLACE : { kind: 'found', ...place };
  }

  async getEntry(eventId: string, requestId: string): Promise<QueueEntry> {
    this.requireEvent(eventId);
    const entry = await this.store.getEntry(eventId, requestId);
    if (entry === null) throw new AnteroomError('request_not_found');
    return entry;
  }

  async servingCounter(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return this.cached(this.serving, eventId, this.cacheMs, () => this.store.getServingCounter(eventId));
  }

  async waitingNum(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return this.cached(this.waiting, eventId, this.cacheMs, () => this.store.waitingCount(eventId));
  }

  async status(eventId: string, requestId: string): Promise<StatusView> {
    const place = await this.place(eventId, requestId);
    if (place === null) throw new AnteroomError('request_not_found');
    return place.status;
  }

  /** A request id's place, or null when the store does not know it. */
  private async place(eventId: string, requestId: string): Promise<Place | null> {
    // The entry is the one store read; the rest normally comes from the micro-caches
    // without a promise per value (this is the most frequent call of a wait).
    this.requireEvent(eventId);
    const entryRead = this.store.getEntry(eventId, requestId);
    let event = this.fresh(this.settings, eventId, this.settingsCacheMs);
    let serving = this.fresh(this.serving, eventId, this.cacheMs);
    let waiting = this.fresh(this.waiting, eventId, this.cacheMs);
    if (event === undefined || serving === undefined || waiting === undefined) {
      entryRead.catch(() => {}); // awaited below; an early failure of another read must not leave it unhandled
      event ??= await this.getEvent(eventId);
      serving ??= await this.servingCounter(eventId);
      waiting ??= await this.waitingNum(eventId);
    }
    const entry = await entryRead;
    if (entry === null) return null;
    const now = this.now();
    const reached = entry.position <= serving || event.mode === 'passthrough';
    let state: StatusView['state'] = 'waiting';
    let expiresIn: number | null = null;
    let admitted = false;
    let session: SessionRecord | null = null;
    // Only a reached position can hold a session or be expiring: a waiting visitor costs
    // one store read (the entry) per status call, everything else is micro-cached.
    if (reached) {
      session = await this.store.getSession(eventId, requestId);
      if (session) {
        admitted = true;
        state = session.status === 'active' ? 'admitted' : 'ended';
      } else {
        const expiry = await this.store.positionExpiry(
          eventId,
          requestId,
          now,
          event.queuePositionExpirySeconds,
        );
        if (expiry.kind === 'expired') state = 'expired';
        else {
          state = 'eligible';
          if (expiry.kind === 'running') expiresIn = expiry.expiresIn;
        }
      }
    }
    let eta: number | null = 0;
    if (state === 'waiting') {
      const history =
        this.fresh(this.history, eventId, this.cacheMs) ??
        (await this.cached(this.history, eventId, this.cacheMs, () =>
          this.store.servingHistory(eventId, this.historyLimit),
        ));
      eta = estimateWaitSeconds({ position: entry.position, serving, history, now });
    } else if (state === 'expired' || state === 'ended') {
      eta = null;
    }
    const status: StatusView = {
      event_id: eventId,
      request_id: entry.requestId,
      queue_number: entry.position,
      entry_time: entry.entryTime,
      serving_counter: serving,
      waiting_num: waiting,
      ahead: Math.max(0, entry.position - serving - 1),
      eligible: state === 'eligible' || state === 'admitted',
      eta_seconds: eta,
      expires_in: expiresIn,
      mode: event.mode,
      admitted,
      state,
    };
    return { entry, status, session, spent: isSpent(status, session, now) };
  }

  async admit(eventId: string, requestId: string, options: AdmitOptions = {}): Promise<AdmitOutcome> {
    const event = await this.getEvent(eventId);
    const issue = () =>
      this.store.issueToken(eventId, {
        requestId,
        now: this.now(),
        validitySeconds: options.validitySeconds ?? event.tokenValiditySeconds,
        issuer: options.issuer ?? this.issuer,
        expirySeconds: event.queuePositionExpirySeconds,
        maxActive: event.inlet.type === 'max-size' ? event.inlet.maxActive : undefined,
      });
    let outcome = await issue();
    if (outcome.kind === 'not_yet' && event.mode === 'passthrough') {
      // Pass-through admits at once: move the counter up to this position, then issue.
      await this.moveServing(eventId, outcome.position - outcome.serving);
      outcome = await issue();
    }
    if (outcome.kind === 'issued' && outcome.created) this.observer?.tokensIssued(eventId);
    return outcome;
  }

  signTokens(session: SessionRecord): Promise<TokenSet> {
    return issueAdmissionTokens(this.keys, session, this.now());
  }

  async positionExpiry(eventId: string, requestId: string): Promise<PositionExpiry> {
    const event = await this.getEvent(eventId);
    return this.store.positionExpiry(eventId, requestId, this.now(), event.queuePositionExpirySeconds);
  }

  // ---------------------------------------------------------------------------------
  // Operators

  async incrementServingCounter(eventId: string, by: number, actor: string): Promise<number> {
    this.requireEvent(eventId);
    const before = await this.store.getServingCounter(eventId);
    const after = await this.moveServing(eventId, by);
    await this.audit(
      actor,
      'increment_serving_counter',
      eventId,
      { serving: before },
      { serving: after, by },
    );
    return after;
  }

  async activeTokens(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return this.store.activeCount(eventId, this.now());
  }

  async expiredTokens(
    eventId: string,
    page?: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: string[]; next_cursor: string | null }> {
    this.requireEvent(eventId);
    const now = this.now();
    if (page) {
      const found = await this.store.expiredSessions(eventId, now, page);
      return { items: found.items, next_cursor: found.nextCursor };
    }
    // The AWS-compatible form: every page concatenated.
    const items: string[] = [];
    let cursor: string | undefined;
    do {
      const found = await this.store.expiredSessions(eventId, now, { limit: 1000, cursor });
      items.push(...found.items);
      cursor = found.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { items, next_cursor: null };
  }

  async updateSession(
    eventId: string,
    requestId: string,
    status: 'completed' | 'abandoned',
    actor: string,
  ): Promise<SessionRecord> {
    this.requireEvent(eventId);
    const session = await this.store.updateSession(eventId, requestId, status);
    if (!session) {
      throw new AnteroomError('session_not_found');
    }
    await this.audit(
      actor,
      'update_session',
      eventId,
      { request_id: requestId, status: 'active' },
      {
        request_id: requestId,
        status,
      },
    );
    return session;
  }

  async reset(eventId: string, actor: string): Promise<void> {
    this.requireEvent(eventId);
    const before = await this.store.getCounters(eventId);
    await this.store.reset(eventId);
    for (const cache of [this.serving, this.waiting, this.history]) cache.delete(eventId);
    this.notify(eventId, 0);
    await this.audit(actor, 'reset_initial_state', eventId, before, null);
  }

  async servingHistory(eventId: string, limit = 100): Promise<ServingHistoryRow[]> {
    this.requireEvent(eventId);
    return this.store.servingHistory(eventId, limit);
  }

  // ---------------------------------------------------------------------------------
  // The inlet loop body (one call per second from `anteroom serve`, per schedule on Lambda)

  async tick(owner: string): Promise<TickReport[]> {
    const now = this.now();
    const reports: TickReport[] = [];
    for (const event of await this.listEvents()) {
      const before = this.serving.get(event.id)?.value;
      const inlet = await runInletTick(this.store, event, now, owner);
      let expired = 0;
      // The expiry step is atomic in the store, so a lease only saves the other processes the work.
      if (
        event.queuePositionExpirySeconds !== null &&
        (await this.store.acquireLease(expiryLockName(event.id), owner, ROOM_DEFAULTS.expiryLeaseMs))
      ) {
        const result = await this.store.expirePositions(
          event.id,
          now,
          event.queuePositionExpirySeconds,
          event.incrementServingOnExpiry,
        );
        expired = result.newlyExpired;
      }
      const serving = await this.store.getServingCounter(event.id);
      this.serving.set(event.id, { value: serving, at: this.nowMs(), pending: null });
      if (serving !== before) this.notify(event.id, serving);
      reports.push({ eventId: event.id, inlet, expired, serving });
    }
    return reports;
  }

  async releaseLeases(owner: string): Promise<void> {
    await Promise.all(
      [...this.configured.keys()].flatMap((eventId) => [
        this.store.releaseLease(inletLockName(eventId), owner),
        this.store.releaseLease(expiryLockName(eventId), owner),
      ]),
    );
  }

  // ---------------------------------------------------------------------------------
  // Live changes

  onServingChange(eventId: string, listener: (serving: number) => void): () => void {
    this.requireEvent(eventId);
    let set = this.listeners.get(eventId);
    if (!set) {
      set = new Set();
      this.listeners.set(eventId, set);
    }
    set.add(listener);
    this.watch(eventId);
    return () => {
      const current = this.listeners.get(eventId);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.listeners.delete(eventId);
        const watcher = this.watchers.get(eventId);
        if (watcher) clearInterval(watcher.timer);
        this.watchers.delete(eventId);
      }
    };
  }

  close(): void {
    for (const watcher of this.watchers.values()) clearInterval(watcher.timer);
    this.watchers.clear();
    this.listeners.clear();
  }

  // ---------------------------------------------------------------------------------
  // Internals

  private requireEvent(eventId: string): void {
    if (!this.configured.has(eventId)) throw new AnteroomError('invalid_event_id');
  }

  private async moveServing(eventId: string, by: number): Promise<number> {
    const after = await this.store.incrementServingCounter(eventId, by, this.now());
    this.serving.set(eventId, { value: after, at: this.nowMs(), pending: null });
    this.history.delete(eventId);
    this.notify(eventId, after);
    return after;
  }

  /** Other processes move the counter too: poll it once per event (not per subscriber). */
  private watch(eventId: string): void {
    if (this.watchers.has(eventId)) return;
    const watcher = {
      last: this.serving.get(eventId)?.value ?? null,
      timer: undefined as unknown as NodeJS.Timeout,
    };
    watcher.timer = setInterval(() => {
      this.store.getServingCounter(eventId).then(
        (serving) => {
          this.serving.set(eventId, { value: serving, at: this.nowMs(), pending: null });
          if (serving !== watcher.last) this.notify(eventId, serving);
        },
        () => {
          // A store outage: subscribers keep their last state; the next poll retries.
        },
      );
    }, this.watchMs);
    watcher.timer.unref();
    this.watchers.set(eventId, watcher);
  }

  private notify(eventId: string, serving: number): void {
    const watcher = this.watchers.get(eventId);
    if (watcher) watcher.last = serving;
    for (const listener of this.listeners.get(eventId) ?? []) {
      try {
        listener(serving);
      } catch {
        // One broken subscriber must not stop the others.
      }
    }
  }

  /** A cached value still within `ttlMs`, or undefined. */
  private fresh<T>(cache: Map<string, Cached<T>>, key: string, ttlMs: number): T | undefined {
    const entry = cache.get(key);
    return entry && this.nowMs() - entry.at < ttlMs ? entry.value : undefined;
  }

  /** Read through a per-process cache; concurrent misses share one store call. */
  private async cached<T>(
    cache: Map<string, Cached<T>>,
    key: string,
    ttlMs: number,
    load: () => Promise<T>,
  ): Promise<T> {
    const entry = cache.get(key);
    const now = this.nowMs();
    if (entry && now - entry.at < ttlMs) return entry.value;
    if (entry?.pending) return entry.pending;
    const pending = load().then(
      (value) => {
        cache.set(key, { value, at: this.nowMs(), pending: null });
        return value;
      },
      (error: unknown) => {
        const current = cache.get(key);
        if (current?.pending === pending) cache.delete(key);
        throw error;
      },
    );
    cache.set(key, { value: entry?.value as T, at: entry ? entry.at : Number.NEGATIVE_INFINITY, pending });
    return pending;
  }

  private async audit(actor: string, action: string, eventId: string, before: unknown, after: unknown) {
    const entry: AuditEntry = { time: this.now(), actor, action, eventId, before, after };
    await this.store.appendAudit(entry);
  }
}
