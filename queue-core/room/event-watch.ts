/**
 * Event-level fan-out of live status: per process and event, ONE reader of the event's state,
 * however many visitors follow it.
 *
 * The snapshot (status-view.ts: settings, counters, serving history) is read at most once per
 * `snapshotMs` for every `/status` poll of the process, and, while any stream follows the event,
 * once per `pollMs` (other processes move the counter too) and at once after a change this
 * process makes. Each follower's status is derived from the snapshot and the follower's cached
 * fixed fields, so a move of the serving counter costs the same few store reads whether 10 or
 * 100,000 streams are open. A follower's own state is read only when it can have changed, in
 * one batch per refresh: when their position is first reached, when a token was issued or a
 * session ended anywhere in the event (the counters say so), when the expiry boundary or the
 * expiry setting moved, when their claim window's deadline passes. A queue counter that went
 * backwards (a reset, a store that lost its data) or a reset count that changed (a reset made
 * anywhere, even when new joins brought the counter back to where it was) makes every
 * follower's entry be checked, and so does a follower's position beyond the counter (a place
 * the snapshot never saw handed out): the ones gone are told so.
 *
 * Followers are told (`listener`) after every refresh that changed anything they see; the
 * listener compares with what it last sent. Knows nothing of HTTP.
 */

import { prequeueStart } from '../draw/schedule.ts';
import { countsPresence } from '../presence/rule.ts';
import type {
  EventSettings,
  PositionExpiry,
  QueueEntry,
  QueueStore,
  ServingHistoryRow,
  SessionRecord,
} from '../types.ts';
import type { StatusView } from './room-api.ts';
import { deriveStatus, type EventSnapshot, inPrequeue, isReached, type VisitorState } from './status-view.ts';

/** A follower's status after a refresh, or null once their place is gone (a reset). */
export type StatusListener = (status: StatusView | null) => void;

export interface EventWatchOptions {
  store: QueueStore;
  /** The event's current settings (the room's settings cache). */
  settings(eventId: string): Promise<EventSettings>;
  historyLimit: number;
  /** How long a snapshot answers polls before it is read again (ms). */
  snapshotMs: number;
  /** How often an event with followers is read again (ms). */
  pollMs: number;
  /**
   * A follower in a running claim window is told their status again at least this often
   * (seconds of `now`), so their countdown follows the server's clock and not the browser's.
   */
  claimResyncSeconds: number;
  /** Epoch seconds. */
  now(): number;
  /** Milliseconds (snapshot age). */
  nowMs(): number;
}

/** One open stream's view of its visitor: fixed fields, and their own state once reached. */
interface Follower {
  readonly requestId: string;
  /** null while pre-queued: read again once the draw is done. */
  position: number | null;
  entryTime: number;
  readonly listener: StatusListener;
  /** Their own state when reached and read; undefined when not reached or to be read again. */
  visitor: VisitorState | undefined;
  /** When they were last told their status (epoch seconds of `now`). */
  toldAt: number;
}

interface Watched {
  snapshot: EventSnapshot | null;
  pending: Promise<EventSnapshot> | null;
  followers: Set<Follower>;
  /** Followers whose position is reached (they have state of their own). */
  reached: Set<Follower>;
  /**
   * The highest position of the followers who began following since the last refresh told them
   * (and of those still beyond the queue counter then): 0 when none.
   */
  newestPosition: number;
  timer: NodeJS.Timeout | null;
  /** Bumped by each local change: a read begun before it must not be taken for current. */
  generation: number;
  refreshing: boolean;
  again: boolean;
}

/** Request ids per batched session read; entries checked at once after a reset. */
const SESSION_BATCH = 1000;
const VISITOR_BATCH = 256;

export class EventWatch {
  readonly #options: EventWatchOptions;
  readonly #events = new Map<string, Watched>();
  #closed = false;

  constructor(options: EventWatchOptions) {
    this.#options = options;
  }

  /** The event's snapshot, read again when older than `snapshotMs` (concurrent callers share one read). */
  snapshot(eventId: string): Promise<EventSnapshot> {
    const watched = this.#watched(eventId);
    const { snapshot } = watched;
    if (snapshot && this.#options.nowMs() - snapshot.readAtMs < this.#options.snapshotMs) {
      return Promise.resolve(snapshot);
    }
    return this.#read(eventId, watched);
  }

  /** The snapshot if it is fresh enough for a poll, without a promise (the hottest path). */
  fresh(eventId: string): EventSnapshot | undefined {
    const snapshot = this.#events.get(eventId)?.snapshot;
    return snapshot && this.#options.nowMs() - snapshot.readAtMs < this.#options.snapshotMs
      ? snapshot
      : undefined;
  }

  /** The last snapshot read, however old. */
  last(eventId: string): EventSnapshot | undefined {
    return this.#events.get(eventId)?.snapshot ?? undefined;
  }

  /**
   * This process changed the event (moved the counter, changed its settings, issued a token,
   * ended a session, reset it): the snapshot is stale; followers get the change at once.
   */
  changed(eventId: string): void {
    const watched = this.#events.get(eventId);
    if (!watched) return;
    watched.snapshot = null;
    watched.pending = null;
    watched.generation += 1;
    if (watched.followers.size > 0) void this.#refresh(eventId, watched);
  }

  /**
   * Follow one visitor: `listener` is called after each refresh that changed what they see.
   * `visitor` is their own state as the caller just read it (null when not reached).
   */
  follow(
    eventId: string,
    entry: Pick<QueueEntry, 'requestId' | 'position' | 'entryTime'>,
    visitor: VisitorState | null,
    listener: StatusListener,
  ): () => void {
    const watched = this.#watched(eventId);
    const follower: Follower = {
      requestId: entry.requestId,
      position: entry.position,
      entryTime: entry.entryTime,
      listener,
      visitor: visitor ?? undefined,
      toldAt: this.#options.now(),
    };
    watched.followers.add(follower);
    if (follower.position !== null)
      watched.newestPosition = Math.max(watched.newestPosition, follower.position);
    // The event's first follower: what they were shown is what the next refresh compares with
    // (a reset before the first poll must still be seen as one).
    if (!this.#told.has(eventId)) {
      const shown = watched.snapshot ?? this.#lastRead.get(eventId);
      if (shown) this.#told.set(eventId, shown);
    }
    // The caller read their own state because their position is reached.
    if (visitor !== null || (watched.snapshot && isReached(watched.snapshot, follower.position))) {
      watched.reached.add(follower);
    }
    this.#startPolling(eventId, watched);
    return () => {
      watched.followers.delete(follower);
      watched.reached.delete(follower);
      if (watched.followers.size === 0 && watched.timer) {
        clearInterval(watched.timer);
        watched.timer = null;
      }
    };
  }

  /** The positions of the visitors whose streams follow the event in this process. */
  *positions(eventId: string): Iterable<number | null> {
    const watched = this.#events.get(eventId);
    if (watched === undefined) return;
    for (const follower of watched.followers) yield follower.position;
  }

  /** Streams following the event in this process. */
  followers(eventId: string): number {
    return this.#events.get(eventId)?.followers.size ?? 0;
  }

  close(): void {
    this.#closed = true;
    for (const watched of this.#events.values()) {
      if (watched.timer) clearInterval(watched.timer);
      watched.timer = null;
      watched.followers.clear();
      watched.reached.clear();
    }
  }

  #watched(eventId: string): Watched {
    let watched = this.#events.get(eventId);
    if (!watched) {
      watched = {
        snapshot: null,
        pending: null,
        followers: new Set(),
        reached: new Set(),
        newestPosition: 0,
        timer: null,
        generation: 0,
        refreshing: false,
        again: false,
      };
      this.#events.set(eventId, watched);
    }
    return watched;
  }

  #startPolling(eventId: string, watched: Watched): void {
    if (watched.timer || this.#closed) return;
    watched.timer = setInterval(() => {
      void this.#refresh(eventId, watched, true);
    }, this.#options.pollMs);
    watched.timer.unref();
  }

  /** Read the snapshot: settings (cached by the room), counters, and history when it can have changed. */
  #read(eventId: string, watched: Watched): Promise<EventSnapshot> {
    if (watched.pending) return watched.pending;
    const { store, historyLimit } = this.#options;
    const previous = watched.snapshot ?? this.#lastRead.get(eventId);
    const generation = watched.generation;
    const pending = (async () => {
      const [event, counters] = await Promise.all([
        this.#options.settings(eventId),
        store.getCounters(eventId),
      ]);
      // A pre-queue's draw: read until it is done (and again after a reset).
      const previousDraw = previous?.draw ?? null;
      const draw =
        prequeueStart(event) === null
          ? null
          : previousDraw?.phase === 'drawn' && !resetSince(previous!, counters)
            ? previousDraw
            : await store.drawState(eventId);
      // The history changes only with the serving counter (a row per move) and first token
      // issuances (the rows' `served`): an unchanged pair reuses the rows already read.
      let history: ServingHistoryRow[];
      if (
        previous &&
        previous.counters.serving === counters.serving &&
        previous.counters.tokens === counters.tokens &&
        !resetSince(previous, counters)
      ) {
        history = previous.history;
      } else {
        history = await store.servingHistory(eventId, historyLimit);
      }
      return { event, counters, history, draw, readAtMs: this.#options.nowMs() };
    })();
    watched.pending = pending;
    pending.then(
      (snapshot) => {
        if (watched.pending === pending) watched.pending = null;
        if (watched.generation !== generation) return;
        watched.snapshot = snapshot;
        this.#lastRead.set(eventId, snapshot);
      },
      () => {
        if (watched.pending === pending) watched.pending = null;
      },
    );
    return pending;
  }

  /** The last snapshot read of each event, kept across `changed` (which drops the fresh one). */
  readonly #lastRead = new Map<string, EventSnapshot>();

  /**
   * Read the snapshot again and tell the followers what changed. One refresh at a time per
   * event; a change during one is picked up by one more. `polled`: the periodic read, which
   * reuses a snapshot another caller read within the poll period.
   */
  async #refresh(eventId: string, watched: Watched, polled = false): Promise<void> {
    if (watched.refreshing) {
      watched.again = true;
      return;
    }
    watched.refreshing = true;
    try {
      do {
        watched.again = false;
        const before = this.#told.get(eventId) ?? null;
        // The periodic poll reads unless a read within half a period already did (other
        // processes' changes); a local change dropped the snapshot, so it reads too; a refresh
        // asked for during this one reuses what is fresh.
        const current = watched.snapshot;
        const ageMs = current ? this.#options.nowMs() - current.readAtMs : Number.POSITIVE_INFINITY;
        const snapshot =
          current && ageMs < (polled ? this.#options.pollMs / 2 : this.#options.snapshotMs)
            ? current
            : await this.#read(eventId, watched);
        polled = false;
        if (watched.followers.size === 0) {
          this.#told.set(eventId, snapshot);
          continue;
        }
        await this.#tell(eventId, watched, before, snapshot);
        this.#told.set(eventId, snapshot);
      } while (watched.again && !this.#closed);
    } catch {
      // A store outage: followers keep their last status; the next poll retries.
    } finally {
      watched.refreshing = false;
    }
  }

  /** The snapshot the followers of each event were last told of. */
  readonly #told = new Map<string, EventSnapshot>();

  async #tell(
    eventId: string,
    watched: Watched,
    before: EventSnapshot | null,
    snapshot: EventSnapshot,
  ): Promise<void> {
    const now = this.#options.now();
    const seen = before === null || visibleChange(before, snapshot);
    const counters = snapshot.counters;

    // Places that may be gone: every follower's after a reset (the reset count changed, or the
    // queue counter went backwards: a store that lost data); else those beyond the counter. An enqueue does not drop the
    // snapshot, so a visitor can begin following with a place newer than the snapshot the
    // followers were last told of (`before`): a reset before the next read then leaves the
    // counter where `before` had it (0 for an event nobody had joined), and only their place
    // beyond the counter shows it is gone.
    const newest = watched.newestPosition;
    watched.newestPosition = 0;
    const suspects =
      before !== null && resetSince(before, counters)
        ? [...watched.followers]
        : newest > counters.queue
          ? [...watched.followers].filter(
              (follower) => follower.position !== null && follower.position > counters.queue,
            )
          : [];
    if (suspects.length > 0) {
      let gone: Set<Follower>;
      try {
        gone = new Set(await this.#gone(eventId, suspects));
      } catch (error) {
        watched.newestPosition = Math.max(watched.newestPosition, newest);
        throw error;
      }
      for (const follower of suspects) {
        if (gone.has(follower)) {
          watched.followers.delete(follower);
          watched.reached.delete(follower);
          follower.listener(null);
        } else if (follower.position !== null && follower.position > counters.queue) {
          // Placed after this snapshot was read: looked at again until a read includes them.
          watched.newestPosition = Math.max(watched.newestPosition, follower.position);
        }
      }
    }

    // Who has state of their own now, and whose must be read (again).
    const sessionsEnded =
      before !== null &&
      (counters.completed !== before.counters.completed || counters.abandoned !== before.counters.abandoned);
    const tokensIssued = before !== null && counters.tokens !== before.counters.tokens;
    // Absent visitors: some who came back after being passed were let in.
    const readmitted = before !== null && counters.readmitted !== before.counters.readmitted;
    const expiryChanged =
      before !== null &&
      snapshot.event.queuePositionExpirySeconds !== before.event.queuePositionExpirySeconds;
    // The draw is done: the pre-queued followers learn their positions (read in batches).
    const drawDone = !inPrequeue(snapshot) && (before === null || inPrequeue(before));
    if (drawDone) await this.#placeDrawn(eventId, watched);
    const membershipMoved =
      before === null ||
      drawDone ||
      counters.serving !== before.counters.serving ||
      snapshot.event.mode !== before.event.mode;
    if (membershipMoved) {
      for (const follower of watched.followers) {
        if (isReached(snapshot, follower.position)) watched.reached.add(follower);
        else if (watched.reached.delete(follower)) follower.visitor = undefined;
      }
    }
    /** Their session may have appeared or ended. */
    const sessionReads: Follower[] = [];
    /** Without a session, their claim window must be read. */
    const windowReads = new Set<Follower>();
    for (const follower of watched.reached) {
      const visitor = follower.visitor;
      if (visitor === undefined) {
        sessionReads.push(follower);
        windowReads.add(follower);
      } else if (visitor.session !== null) {
        if (sessionsEnded && visitor.session.status === 'active') sessionReads.push(follower);
      } else if (expiryChanged || (visitor.window === 'running' && (visitor.closesAt ?? now) < now)) {
        sessionReads.push(follower);
        windowReads.add(follower);
      } else if (visitor.window === 'passed') {
        if (
          readmitted ||
          tokensIssued ||
          counters.maxExpiredPosition !== before?.counters.maxExpiredPosition
        ) {
          sessionReads.push(follower);
          windowReads.add(follower);
        }
      } else if (visitor.window !== 'expired') {
        // An expired place never gets a token; an open or running one may have got it anywhere.
        if (tokensIssued) sessionReads.push(follower);
        // The expiry boundary passed them: the store's rule, applied here (position-expiry.lua).
        if (follower.position !== null && follower.position <= counters.maxExpiredPosition)
          follower.visitor = { ...visitor, window: 'expired' };
      }
    }
    const changed = await this.#readVisitors(eventId, snapshot.event, sessionReads, windowReads);

    // Without a visible change, those whose own state was read, and those in a running claim
    // window now and then: their seconds left change with the clock alone.
    let told: Iterable<Follower> = watched.followers;
    if (!seen) {
      const read = new Set(changed);
      const { claimResyncSeconds } = this.#options;
      for (const follower of watched.reached) {
        if (
          !read.has(follower) &&
          follower.visitor?.window === 'running' &&
          now - follower.toldAt >= claimResyncSeconds
        )
          changed.push(follower);
      }
      told = changed;
    }
    for (const follower of told) {
      if (!watched.followers.has(follower)) continue;
      const visitor = watched.reached.has(follower) ? (follower.visitor ?? null) : null;
      follower.toldAt = now;
      try {
        follower.listener(deriveStatus(snapshot, follower, visitor, now));
      } catch {
        // One broken follower must not stop the others.
      }
    }
  }

  /**
   * Read the own state of reached followers: their sessions in one store call per batch of
   * ids, then, for those without one in `windowReads`, their claim window. A failed read leaves
   * the follower to the next refresh. Returns the followers whose state was read.
   */
  async #readVisitors(
    eventId: string,
    event: EventSettings,
    sessionReads: Follower[],
    windowReads: Set<Follower>,
  ): Promise<Follower[]> {
    const { store } = this.#options;
    const read: Follower[] = [];
    for (let start = 0; start < sessionReads.length; start += SESSION_BATCH) {
      const batch = sessionReads.slice(start, start + SESSION_BATCH);
      let sessions: (SessionRecord | null)[];
      try {
        sessions = await store.getSessions(
          eventId,
          batch.map((follower) => follower.requestId),
        );
      } catch {
        for (const follower of batch) follower.visitor = undefined;
        continue;
      }
      const windows: Follower[] = [];
      batch.forEach((follower, i) => {
        const session = sessions[i] ?? null;
        if (session !== null) {
          follower.visitor = { session, window: 'open', closesAt: null };
          read.push(follower);
        } else if (windowReads.has(follower) || follower.visitor === undefined) {
          windows.push(follower);
        } else {
          read.push(follower);
        }
      });
      const now = this.#options.now();
      await Promise.all(
        windows.map(async (follower) => {
          try {
            follower.visitor = windowState(
              await store.positionExpiry(
                eventId,
                follower.requestId,
                now,
                event.queuePositionExpirySeconds,
                countsPresence(event),
              ),
              now,
            );
            read.push(follower);
          } catch {
            follower.visitor = undefined;
          }
        }),
      );
    }
    return read;
  }

  /** The positions of the followers who were pre-queued, once the draw gave them one. */
  async #placeDrawn(eventId: string, watched: Watched): Promise<void> {
    const waiting = [...watched.followers].filter((follower) => follower.position === null);
    for (let start = 0; start < waiting.length; start += VISITOR_BATCH) {
      await Promise.all(
        waiting.slice(start, start + VISITOR_BATCH).map(async (follower) => {
          const entry = await this.#options.store.getEntry(eventId, follower.requestId);
          if (entry?.position != null) {
            follower.position = entry.position;
            follower.entryTime = entry.entryTime;
          }
        }),
      );
    }
  }

  /** Of `all`, the followers whose entry the store no longer has. */
  async #gone(eventId: string, all: Follower[]): Promise<Follower[]> {
    const gone: Follower[] = [];
    for (let start = 0; start < all.length; start += VISITOR_BATCH) {
      await Promise.all(
        all.slice(start, start + VISITOR_BATCH).map(async (follower) => {
          const entry = await this.#options.store.getEntry(eventId, follower.requestId);
          if (entry === null || (follower.position !== null && entry.position !== follower.position))
            gone.push(follower);
          else follower.visitor = undefined;
        }),
      );
    }
    return gone;
  }
}

/** A reached visitor's own state, from the store: their session, else their claim window. */
export async function readVisitorState(
  store: QueueStore,
  eventId: string,
  requestId: string,
  event: EventSettings,
  now: number,
): Promise<VisitorState> {
  const session = await store.getSession(eventId, requestId);
  if (session) return { session, window: 'open', closesAt: null };
  return windowState(
    await store.positionExpiry(
      eventId,
      requestId,
      now,
      event.queuePositionExpirySeconds,
      countsPresence(event),
    ),
    now,
  );
}

/** A claim window as `positionExpiry` answered it at `now`, without a session. */
function windowState(expiry: PositionExpiry, now: number): VisitorState {
  if (expiry.kind === 'expired') return { session: null, window: 'expired', closesAt: null };
  if (expiry.kind === 'passed') return { session: null, window: 'passed', closesAt: null };
  if (expiry.kind === 'running')
    return { session: null, window: 'running', closesAt: now + expiry.expiresIn };
  return { session: null, window: 'open', closesAt: null };
}

/**
 * Whether the event was reset (or its store lost data) since `before` was read: its reset count
 * changed — a reset by any process, even one followed by as many joins as the old queue held —
 * or its queue counter went backwards.
 */
function resetSince(before: EventSnapshot, counters: EventSnapshot['counters']): boolean {
  return counters.resets !== before.counters.resets || counters.queue < before.counters.queue;
}

/** Whether anything a visitor sees differs between two snapshots of one event. */
function visibleChange(before: EventSnapshot, after: EventSnapshot): boolean {
  const a = before.counters;
  const b = after.counters;
  if (
    a.serving !== b.serving ||
    a.queue !== b.queue ||
    a.tokens !== b.tokens ||
    a.expired !== b.expired ||
    a.maxExpiredPosition !== b.maxExpiredPosition ||
    a.readmitted !== b.readmitted ||
    a.resets !== b.resets ||
    before.draw?.phase !== after.draw?.phase
  ) {
    return true;
  }
  // Settings: mode (pause/resume, pass-through, closed), expiry, name… any change is re-sent.
  return before.event !== after.event && JSON.stringify(before.event) !== JSON.stringify(after.event);
}
