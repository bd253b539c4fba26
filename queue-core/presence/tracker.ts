/**
 * Absent visitors (API.md section 6): what one process tells the store of the visitors it sees.
 *
 * Cheap by construction: nothing at all for events without `abandonAfterSeconds`; for the
 * others, a visitor seen again and again (polls, a stream) is written at most once per
 * `touchEverySeconds` by this process, and the writes of one event-loop turn go in one store
 * call per event (as the hot path's Redis commands travel together). A poll in between costs a
 * Map lookup.
 */
import { PRESENCE_DEFAULTS } from '../defaults.ts';
import type { EventSettings, QueueStore } from '../types.ts';
import { countsPresence, touchEverySeconds } from './rule.ts';

interface Pending {
  positions: Set<number>;
  expirySeconds: number | null;
  now: number;
}

/** Positions remembered per event before the oldest are forgotten (a forgotten one is written again). */
const REMEMBERED = 200_000;

export class PresenceTracker {
  readonly #store: QueueStore;
  readonly #now: () => number;
  /** eventId → position → when this process last wrote it (epoch seconds). */
  readonly #written = new Map<string, Map<number, number>>();
  readonly #pending = new Map<string, Pending>();
  /** Writes sent and not answered yet. */
  readonly #inFlight = new Set<Promise<void>>();
  #flushing = false;

  constructor(store: QueueStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** The visitor at `position` was seen now (a status request, a stream, queue_num, generate_token). */
  seen(event: EventSettings, position: number | null): void {
    if (position === null || !countsPresence(event)) return;
    const now = this.#now();
    let written = this.#written.get(event.id);
    if (written === undefined) {
      written = new Map();
      this.#written.set(event.id, written);
    }
    const last = written.get(position);
    if (last !== undefined && now - last < touchEverySeconds(event)) return;
    this.#mark(written, position, now);
    this.#queue(event, position, now);
  }

  /**
   * Many visitors seen at once (a process's open streams of the event): written when due, in
   * one batch. Called once a second; writes only every `touchEverySeconds`.
   */
  seenAll(event: EventSettings, positions: Iterable<number | null>): void {
    if (!countsPresence(event)) return;
    for (const position of positions) this.seen(event, position);
  }

  /**
   * Send what is queued now and wait for every write sent: a Lambda invocation calls it before
   * it returns, since a frozen container sends nothing.
   */
  async settled(): Promise<void> {
    if (this.#pending.size > 0) this.#flush();
    await Promise.all([...this.#inFlight]);
  }

  /** Forget what this process wrote of an event (a reset: positions start again). */
  forget(eventId: string): void {
    this.#written.delete(eventId);
    this.#pending.delete(eventId);
  }

  #mark(written: Map<number, number>, position: number, now: number): void {
    written.delete(position); // re-inserted last: the Map's order is oldest write first
    written.set(position, now);
    if (written.size > REMEMBERED) {
      const oldest = written.keys().next().value;
      if (oldest !== undefined) written.delete(oldest);
    }
  }

  #queue(event: EventSettings, position: number, now: number): void {
    let pending = this.#pending.get(event.id);
    if (pending === undefined) {
      pending = { positions: new Set(), expirySeconds: event.queuePositionExpirySeconds, now };
      this.#pending.set(event.id, pending);
    }
    pending.positions.add(position);
    pending.now = now;
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushing = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [eventId, pending] of batches) {
      const positions = [...pending.positions];
      for (let start = 0; start < positions.length; start += PRESENCE_DEFAULTS.touchBatch) {
        const slice = positions.slice(start, start + PRESENCE_DEFAULTS.touchBatch);
        const write: Promise<void> = this.#store
          .touchPresence(eventId, slice, pending.now, pending.expirySeconds)
          .catch(() => {
            // Not written: the next sight of these visitors writes them again.
            const written = this.#written.get(eventId);
            for (const position of slice) written?.delete(position);
          })
          .finally(() => this.#inFlight.delete(write));
        this.#inFlight.add(write);
      }
    }
  }
}
