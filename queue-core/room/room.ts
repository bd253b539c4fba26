/**
 * The waiting room: queue rules applied to a store, with event settings, signing keys and
 * per-process micro-caches. Implements `Room` (room-api.ts) for every HTTP surface, the OIDC
 * interaction and the Lambda handlers. Knows nothing of HTTP: failures are `AnteroomError`s.
 */
import type { OriginSignalReader } from '../adaptive-inlet.ts';
import { issueAdmissionTokens } from '../admission-tokens.ts';
import { DRAW_DEFAULTS, ROOM_DEFAULTS } from '../defaults.ts';
import { participantDigest, seedCommitment } from '../draw/order.ts';
import { beforeOpening, opensAt, prequeueStart } from '../draw/schedule.ts';
import { drawSecretOf, drawSeed } from '../draw/seed.ts';
import { type ChallengeOffer, EntryGate } from '../entry/gate.ts';
import { derivedSecret } from '../entry/secret.ts';
import { redactEvent, screensVisitors } from '../entry/settings.ts';
import { AnteroomError } from '../errors.ts';
import { etaSampleOf, historyUpTo } from '../eta-accuracy.ts';
import type { PlaceReceipt } from '../place-receipts.ts';
import { countsPresence, presenceRule, touchEverySeconds } from '../presence/rule.ts';
import { PresenceTracker } from '../presence/tracker.ts';
import type { KeyRing } from '../signing-keys/key-ring.ts';
import { claimedPosition } from '../store/request-ids.ts';
import type {
  AuditEntry,
  EtaSample,
  EventSettings,
  PositionExpiry,
  QueueEntry,
  QueueStore,
  ServingHistoryRow,
  SessionRecord,
} from '../types.ts';
import { EventWatch, readVisitorState, type StatusListener } from './event-watch.ts';
import { MicroCache } from './micro-cache.ts';
import type { DrawView, Room, StatusView, TickReport, TokenSet } from './room-api.ts';
import { deriveStatus, inPrequeue, isReached, peopleWaiting, waitingNum } from './status-view.ts';
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
  /** How long the event's snapshot (serving counter, waiting count, history) is reused by polls (default 1000 ms). */
  cacheMs?: number;
  /** How long live event settings are reused before the store is asked again (default 1000 ms). */
  settingsCacheMs?: number;
  /** How often events followed by status streams are read again (default 1000 ms). */
  watchMs?: number;
  /** Serving-counter history rows fed to the wait estimate. */
  historyLimit?: number;
  /** Told of new positions and first token issuances, whichever surface asked (metrics). */
  observer?: RoomObserver;
  /** The key proof-of-work prefixes are signed with (default: derived from the signing keys). */
  entrySecret?: Buffer;
  /** Reads adaptive inlets' probe and Prometheus signals (none: those inlets see no reading). */
  readSignal?: OriginSignalReader;
  /** The secret draw seeds are derived from (default: derived from the signing keys). */
  drawSecret?: Buffer;
}

/** Outcomes worth counting; called synchronously, so it must be cheap and must not throw. */
export interface RoomObserver {
  positionAssigned(eventId: string): void;
  tokensIssued(eventId: string): void;
  /** An admitted visitor's wait-estimate sample (eta-accuracy.ts), once kept. */
  etaSample?(eventId: string, sample: EtaSample): void;
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
  // The live settings' micro-cache (micro-cache.ts) and each event's one reader of what every
  // visitor sees alike, for polls and streams (event-watch.ts).
  private readonly settings: MicroCache<EventSettings>;
  private readonly watch: EventWatch;
  /** How old the event-level state a status poll is answered from may be (ms). */
  private readonly cacheMs: number;
  private readonly drawSecret: () => Buffer;
  /** Absent visitors: what this process tells the store of the visitors it sees. */
  private readonly presence: PresenceTracker;
  /** When this process last told the store its streams' visitors of each event were there. */
  private readonly streamsSeenAt = new Map<string, number>();

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
    this.settings = new MicroCache(options.settingsCacheMs ?? ROOM_DEFAULTS.settingsCacheMs, this.nowMs);
    this.drawSecret = () => options.drawSecret ?? drawSecretOf(this.keys);
    this.gate = new EntryGate({
      store: this.store,
      now: this.now,
      nowMs: this.nowMs,
      secret: () => options.entrySecret ?? derivedSecret(this.keys, 'entry-challenge'),
    });
    this.cacheMs = options.cacheMs ?? ROOM_DEFAULTS.microCacheMs;
    this.presence = new PresenceTracker(this.store, this.now);
    this.watch = new EventWatch({
      store: this.store,
      settings: (eventId) => this.getEvent(eventId),
      historyLimit: this.historyLimit,
      snapshotMs: this.cacheMs,
      pollMs: options.watchMs ?? ROOM_DEFAULTS.watchMs,
      claimResyncSeconds: ROOM_DEFAULTS.claimResyncSeconds,
      now: this.now,
      nowMs: this.nowMs,
    });
  }

  // ---------------------------------------------------------------------------------
  // Events

  /** Not `async`: every request reads it, and the cached answer needs no extra promise. */
  getEvent(eventId: string): Promise<EventSettings> {
    const base = this.configured.get(eventId);
    if (!base) return Promise.reject(new AnteroomError('invalid_event_id'));
    return this.settings.read(eventId, async () => (await this.store.getEventOverride(eventId)) ?? base);
  }

  async listEvents(): Promise<EventSettings[]> {
    return Promise.all([...this.configured.keys()].map((id) => this.getEvent(id)));
  }

  async updateEvent(settings: EventSettings, actor: string): Promise<EventSettings> {
    const before = await this.getEvent(settings.id);
    await this.store.putEventOverride(settings);
    this.settings.set(settings.id, settings);
    this.watch.changed(settings.id);
    // The audit log never holds the siteverify secret.
    await this.audit(actor, 'update_event', settings.id, redactEvent(before), redactEvent(settings));
    return settings;
  }

  // ---------------------------------------------------------------------------------
  // Visitors

  async join(event: EventSettings, request: JoinRequest): Promise<JoinOutcome> {
    if (!takesNewVisitors(event)) return CLOSED;
    if (beforeOpening(event, this.now())) return { kind: 'not_open', opensAt: opensAt(event)! };
    let visitorKey = request.visitorKey;
    if (request.keyOwner) {
      const recorded = await this.store.bindVisitorKey(event.id, visitorKey, request.keyOwner.owner);
      if (!request.keyOwner.accepted.includes(recorded)) throw new AnteroomError('idempotency_key_in_use');
    }
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
    const startAt = prequeueStart(event);
    const entry = await this.store.enqueue(event.id, {
      visitorKey,
      now: this.now(),
      rateLimit,
      prequeue: startAt === null ? undefined : { startAt, shuffle: event.draw === 'shuffle' },
      maxQueueLength: event.maxQueueLength,
      present: countsPresence(event),
    });
    if (link !== null) await this.store.linkVisitor(event.id, link, entry.requestId);
    if (entry.created) this.observer?.positionAssigned(event.id);
    const admitted = entry.created ? await this.admitOnArrival(event, entry) : null;
    return {
      kind: 'joined',
      place: entry,
      created: entry.created,
      ...(admitted === null ? {} : { admitted }),
    };
  }

  /**
   * Admission without waiting (max-size `instant`): a new place next in line, with room, is
   * served and its session issued at once; the store refuses past `maxActive` at each step.
   */
  private async admitOnArrival(event: EventSettings, entry: QueueEntry): Promise<{ serving: number } | null> {
    const inlet = event.inlet;
    if (
      inlet.type !== 'max-size' ||
      inlet.instant !== true ||
      entry.position === null ||
      event.mode !== 'queue'
    )
      return null;
    if (!(await this.store.admitOnArrival(event.id, entry.position, inlet.maxActive, this.now())))
      return null;
    this.watch.changed(event.id);
    const outcome = await this.admit(event.id, entry.requestId);
    return outcome.kind === 'issued' ? { serving: entry.position } : null;
  }

  challengeFor(event: EventSettings): ChallengeOffer | null {
    return this.gate.offer(event);
  }

  async restorePlace(eventId: string, requestId: string, receipt: PlaceReceipt): Promise<QueueEntry | null> {
    this.requireEvent(eventId);
    if (claimedPosition(requestId) !== receipt.position) return null;
    return this.store.restorePlace(eventId, requestId, receipt);
  }

  resetCount(eventId: string): number | Promise<number> {
    const last = this.watch.last(eventId);
    if (last !== undefined) return last.counters.resets;
    // Read aside, not as the event's snapshot: a join must not make the counters it then shows older.
    return this.store.getCounters(eventId).then((counters) => counters.resets);
  }

  async findPlace(eventId: string, requestId: string): Promise<PlaceLookup> {
    const place = await this.place(eventId, requestId);
    return place === null ? NO_PLACE : { kind: 'found', ...place };
  }

  async getEntry(eventId: string, requestId: string): Promise<QueueEntry> {
    this.requireEvent(eventId);
    const entry = await this.store.getEntry(eventId, requestId);
    if (entry === null) throw new AnteroomError('request_not_found');
    if (entry.position === null) return entry;
    const snapshot = this.watch.fresh(eventId) ?? (await this.watch.snapshot(eventId));
    this.presence.seen(snapshot.event, entry.position);
    // Placed by a draw not finished as this process last read it: the position is told once it is.
    return inPrequeue(snapshot) ? { ...entry, position: null } : entry;
  }

  async draw(eventId: string): Promise<DrawView> {
    const event = await this.getEvent(eventId);
    if (prequeueStart(event) === null) throw new AnteroomError('no_draw');
    const state = await this.store.drawState(eventId);
    const drawn = state.phase === 'drawn';
    const seed = event.draw === 'shuffle' ? drawSeed(this.drawSecret(), event) : null;
    return {
      event_id: eventId,
      algorithm: seed === null ? 'fifo' : 'hmac-sha256',
      commitment: seed === null ? null : seedCommitment(seed),
      seed: seed !== null && drawn ? seed.toString('hex') : null,
      participants: drawn ? state.participants : null,
      drawn_at: drawn ? state.drawnAt : null,
    };
  }

  async drawParticipants(eventId: string, offset: number, limit: number): Promise<string[]> {
    const event = await this.getEvent(eventId);
    if (prequeueStart(event) === null) throw new AnteroomError('no_draw');
    const state = await this.store.drawState(eventId);
    if (state.phase !== 'drawn') throw new AnteroomError('draw_not_done');
    const ids = await this.store.drawnIds(eventId, offset, Math.min(limit, DRAW_DEFAULTS.pageLimit));
    return ids.map(participantDigest);
  }

  async servingCounter(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return (this.watch.fresh(eventId) ?? (await this.watch.snapshot(eventId))).counters.serving;
  }

  async waitingNum(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return waitingNum((this.watch.fresh(eventId) ?? (await this.watch.snapshot(eventId))).counters);
  }

  async peopleWaiting(eventId: string): Promise<number> {
    this.requireEvent(eventId);
    return peopleWaiting((this.watch.fresh(eventId) ?? (await this.watch.snapshot(eventId))).counters);
  }

  async status(eventId: string, requestId: string): Promise<StatusView> {
    const place = await this.place(eventId, requestId);
    if (place === null) throw new AnteroomError('request_not_found');
    return place.status;
  }

  /**
   * A request id's place, or null when the store does not know it. The event-level part comes
   * from the process's snapshot (at most `cacheMs` old, ROOM_DEFAULTS.microCacheMs); the
   * visitor's own state (session, claim window) is read from the store in this call, so a
   * visitor is never shown admitted before the store has their session.
   */
  private async place(eventId: string, requestId: string): Promise<Place | null> {
    // The most frequent call of a wait: for a waiting visitor, the entry comes from the store's
    // index of the event (as old as the snapshot at most; no store call while it is fresh) and
    // the snapshot is normally fresh, without a promise.
    this.requireEvent(eventId);
    const entryRead = this.store.getEntry(eventId, requestId, { maxAgeMs: this.cacheMs });
    let snapshot = this.watch.fresh(eventId);
    if (snapshot === undefined) {
      entryRead.catch(() => {}); // awaited below; an early failure of the snapshot must not leave it unhandled
      snapshot = await this.watch.snapshot(eventId);
    }
    const entry = await entryRead;
    if (entry === null) return null;
    const now = this.now();
    this.presence.seen(snapshot.event, entry.position);
    // Only a reached position can hold a session or be expiring.
    const visitor = isReached(snapshot, entry.position)
      ? await readVisitorState(this.store, eventId, requestId, snapshot.event, now)
      : null;
    const status = deriveStatus(snapshot, entry, visitor, now);
    const session = visitor?.session ?? null;
    return { entry, status, session, spent: isSpent(status, session, now), visitor };
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
        presence: countsPresence(event),
      });
    let outcome = await issue();
    // Asking for a token is a sign of presence (a passed absent visitor is back).
    if (outcome.kind === 'not_yet') this.presence.seen(event, outcome.position);
    if (outcome.kind === 'not_yet' && event.mode === 'passthrough') {
      // Pass-through admits at once: move the counter up to this position, then issue.
      await this.moveServing(eventId, outcome.position - outcome.serving);
      outcome = await issue();
    }
    if (outcome.kind === 'prequeue')
      return { kind: 'prequeue', startsAt: event.schedule?.startAt ?? this.now() };
    if (outcome.kind === 'issued' && outcome.created) {
      this.observer?.tokensIssued(eventId);
      this.watch.changed(eventId);
      if (event.mode !== 'passthrough') await this.keepEtaSample(event, outcome.session);
    }
    return outcome;
  }

  /**
   * The admitted visitor's wait-estimate sample (eta-accuracy.ts): three reads and a write,
   * once per admission. A store failure loses the sample only, never the admission.
   */
  private async keepEtaSample(event: EventSettings, session: SessionRecord): Promise<void> {
    try {
      const entry = await this.store.getEntry(event.id, session.requestId);
      if (entry === null || entry.position === null) return;
      const { position, entryTime } = entry;
      const { rows, reachedAt } = await this.store.historyAt(
        event.id,
        position,
        historyUpTo(event, entryTime),
        this.historyLimit,
      );
      const sample = etaSampleOf(event, { position, entryTime }, rows, reachedAt, session.issuedAt);
      if (sample === null) return;
      await this.store.recordEtaSample(event.id, sample, ROOM_DEFAULTS.etaSamplesKept);
      this.observer?.etaSample?.(event.id, sample);
    } catch {
      // The admission stands; only this sample is missing from eta_accuracy.
    }
  }

  signTokens(session: SessionRecord): Promise<TokenSet> {
    return issueAdmissionTokens(this.keys, session, this.now());
  }

  async positionExpiry(eventId: string, requestId: string): Promise<PositionExpiry> {
    const event = await this.getEvent(eventId);
    return this.store.positionExpiry(
      eventId,
      requestId,
      this.now(),
      event.queuePositionExpirySeconds,
      countsPresence(event),
    );
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
    this.watch.changed(eventId);
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
    this.presence.forget(eventId);
    this.watch.changed(eventId);
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
      // Absent visitors: this process's open streams keep their visitors present (written when due).
      // Once per quarter window, not once a second: each write covers that long anyway.
      if (countsPresence(event) && this.watch.followers(event.id) > 0) {
        const last = this.streamsSeenAt.get(event.id);
        if (last === undefined || now - last >= touchEverySeconds(event) || now < last) {
          this.streamsSeenAt.set(event.id, now);
          this.presence.seenAll(event, this.watch.positions(event.id));
        }
      }
      const { inlet, expiry, draw } = await tickEvent(this.store, event, now, owner, {
        readSignal: this.readSignal,
        drawSecret: this.drawSecret,
      });
      // What this process changed reaches its streams at once; other processes' changes reach
      // them through the watch's own reads.
      const drawMoved = draw !== undefined && this.watch.last(event.id)?.draw?.phase !== draw.phase;
      if (
        drawMoved ||
        inlet.incrementBy !== 0 ||
        (inlet.admitted ?? 0) > 0 ||
        (expiry && (expiry.newlyExpired > 0 || expiry.advancedBy !== 0))
      ) {
        this.watch.changed(event.id);
      }
      const serving = (await this.watch.snapshot(event.id)).counters.serving;
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

  followStatus(eventId: string, place: Place, listener: StatusListener): () => void {
    this.requireEvent(eventId);
    return this.watch.follow(eventId, place.entry, place.visitor ?? null, listener);
  }

  streamsFollowing(eventId: string): number {
    return this.watch.followers(eventId);
  }

  settled(): Promise<void> {
    return this.presence.settled();
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
    // Counting present visitors, an operator's increment admits `by` present ones too.
    const now = this.now();
    const presence = presenceRule(await this.getEvent(eventId), now);
    const after = await this.store.incrementServingCounter(eventId, by, now, presence);
    this.watch.changed(eventId);
    return after;
  }

  private async audit(actor: string, action: string, eventId: string, before: unknown, after: unknown) {
    const entry: AuditEntry = { time: this.now(), actor, action, eventId, before, after };
    await this.store.appendAudit(entry);
  }
}
