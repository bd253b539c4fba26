/**
 * The waiting room: queue rules applied to a store, with event settings, signing keys and
 * per-process micro-caches. Implements `Room` (room-api.ts) for every HTTP surface, the OIDC
 * interaction and the Lambda handlers. Knows nothing of HTTP: failures are `AnteroomError`s.
 */
import type { OriginSignalReader } from '../adaptive-inlet.ts';
import { issueAdmissionTokens } from '../admission-tokens.ts';
import { ROOM_DEFAULTS } from '../defaults.ts';
import { type ChallengeOffer, EntryGate } from '../entry/gate.ts';
import { derivedSecret } from '../entry/secret.ts';
import { redactEvent, screensVisitors } from '../entry/settings.ts';
import { AnteroomError } from '../errors.ts';
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
import { MicroCache } from './micro-cache.ts';
import type { Room, StatusView, TickReport, TokenSet } from './room-api.ts';
import { ServingWatch } from './serving-watch.ts';
import { tickEvent, tickLeaseNames } from './tick.ts';
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
  /** The key proof-of-work prefixes are signed with (default: derived from the signing keys). */
  entrySecret?: Buffer;
  /** Reads adaptive inlets' probe and Prometheus signals (none: those inlets see no reading). */
  readSignal?: OriginSignalReader;
}

/** Outcomes worth counting; called synchronously, so it must be cheap and must not throw. */
export interface RoomObserver {
  positionAssigned(eventId: string): void;
  tokensIssued(eventId: string): void;
}

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
  private readonly historyLimit: number;
  private readonly observer: RoomObserver | undefined;
  private readonly gate: EntryGate;
  private readonly readSignal: OriginSignalReader | undefined;
  // Per-process micro-caches (micro-cache.ts) and the serving-counter watch (serving-watch.ts).
  private readonly serving: MicroCache<number>;
  private readonly waiting: MicroCache<number>;
  private readonly history: MicroCache<ServingHistoryRow[]>;
  private readonly settings: MicroCache<EventSettings>;
  private readonly watch: ServingWatch;

  constructor(options: RoomOptions) {
    this.store = options.store;
    this.keys = options.keys;
    this.configured = new Map(options.events.map((event) => [event.id, event]));
    this.issuer = options.issuer;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.nowMs = options.nowMs ?? Date.now;
    this.historyLimit = options.historyLimit ?? ROOM_DEFAULTS.historyLimit;
    this.observer = options.observer;
    this.readSignal = options.readSignal;
    const cacheMs = options.cacheMs ?? ROOM_DEFAULTS.microCacheMs;
    this.serving = new MicroCache(cacheMs, this.nowMs);
    this.waiting = new MicroCache(cacheMs, this.nowMs);
    this.history = new MicroCache(cacheMs, this.nowMs);
    this.settings = new MicroCache(options.settingsCacheMs ?? ROOM_DEFAULTS.settingsCacheMs, this.nowMs);
    this.gate = new EntryGate({
      store: this.store,
      now: this.now,
      nowMs: this.nowMs,
      secret: () => options.entrySecret ?? derivedSecret(this.keys, 'entry-challenge'),
    });
    this.watch = new ServingWatch({
      read: (eventId) =>
        this.store.getServingCounter(eventId).then((serving) => {
          this.serving.set(eventId, serving);
          return serving;
        }),
      known: (eventId) => this.serving.last(eventId),
      pollMs: options.watchMs ?? ROOM_DEFAULTS.watchMs,
    });
  }

  // ---------------------------------------------------------------------------------
  // Events

  async getEvent(eventId: string): Promise<EventSettings> {
    const base = this.configured.get(eventId);
    if (!base) throw new AnteroomError('invalid_event_id');
    return this.settings.read(eventId, async () => (await this.store.getEventOverride(eventId)) ?? base);
  }

  async listEvents(): Promise<EventSettings[]> {
    return Promise.all([...this.configured.keys()].map((id) => this.getEvent(id)));
  }

  async updateEvent(settings: EventSettings, actor: string): Promise<EventSettings> {
    const before = await this.getEvent(settings.id);
    await this.store.putEventOverride(settings);
    this.settings.set(settings.id, settings);
    // The audit log never holds the siteverify secret.
    await this.audit(actor, 'update_event', settings.id, redactEvent(before), redactEvent(settings));
    return settings;
  }

  // ---------------------------------------------------------------------------------
  // Visitors

  async join(event: EventSettings, request: JoinRequest): Promise<JoinOutcome> {
    if (!takesNewVisitors(event)) return CLOSED;
    let visitorKey = request.visitorKey;
    let replacing: string | null = null;
    if (request.previous) {
      const previous = await this.place(event.id, request.previous);
      if (previous !== null && !previous.spent)
        return { kind: 'joined', place: previous.entry, created: false };
      if (previous !== null) {
        replacing = request.previous;
        visitorKey = replacementKey(visitorKey, replacing);
      }
    }
    let rateLimit = request.rateLimit;
    let link: string | null = null;
    if (screensVisitors(event)) {
      const gate = await this.gate.screen(event, visitorKey, request, rateLimit, replacing);
      if (gate.kind === 'held') return { kind: 'joined', place: gate.entry, created: false };
      if (gate.kind !== 'clear') return gate;
      // The gate took the budget; with enqueue tokens the place is the identity's.
      ({ placeKey: visitorKey, link } = gate);
      rateLimit = undefined;
    }
    const entry = await this.store.enqueue(event.id, {
      visitorKey,
      now: this.now(),
      rateLimit,
    });
    if (link !== null) await this.store.linkVisitor(event.id, link, entry.requestId);
    if (entry.created) this.observer?.positionAssigned(event.id);
    return { kind: 'joined', place: entry, created: entry.created };
  }

  challengeFor(event: EventSettings): ChallengeOffer | null {
    return this.gate.offer(event);
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
    return this.serving.read(eventId, () => this.store.getServingCounter(eventId));
  }

  async waitingNum(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return this.waiting.read(eventId, () => this.store.waitingCount(eventId));
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
    let event = this.settings.fresh(eventId);
    let serving = this.serving.fresh(eventId);
    let waiting = this.waiting.fresh(eventId);
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
        this.history.fresh(eventId) ??
        (await this.history.read(eventId, () => this.store.servingHistory(eventId, this.historyLimit)));
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
    this.watch.changed(eventId, 0);
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
      const before = this.serving.last(event.id);
      const { inlet, expiry } = await tickEvent(this.store, event, now, owner, {
        readSignal: this.readSignal,
      });
      const serving = await this.store.getServingCounter(event.id);
      this.serving.set(event.id, serving);
      if (serving !== before) this.watch.changed(event.id, serving);
      reports.push({ eventId: event.id, inlet, expired: expiry?.newlyExpired ?? 0, serving });
    }
    return reports;
  }

  async releaseLeases(owner: string): Promise<void> {
    await Promise.all(
      [...this.configured.keys()].flatMap((eventId) =>
        tickLeaseNames(eventId).map((name) => this.store.releaseLease(name, owner)),
      ),
    );
  }

  // ---------------------------------------------------------------------------------
  // Live changes

  onServingChange(eventId: string, listener: (serving: number) => void): () => void {
    this.requireEvent(eventId);
    return this.watch.subscribe(eventId, listener);
  }

  close(): void {
    this.watch.close();
  }

  // ---------------------------------------------------------------------------------
  // Internals

  private requireEvent(eventId: string): void {
    if (!this.configured.has(eventId)) throw new AnteroomError('invalid_event_id');
  }

  private async moveServing(eventId: string, by: number): Promise<number> {
    const after = await this.store.incrementServingCounter(eventId, by, this.now());
    this.serving.set(eventId, after);
    this.history.delete(eventId);
    this.watch.changed(eventId, after);
    return after;
  }

  private async audit(actor: string, action: string, eventId: string, before: unknown, after: unknown) {
    const entry: AuditEntry = { time: this.now(), actor, action, eventId, before, after };
    await this.store.appendAudit(entry);
  }
}
