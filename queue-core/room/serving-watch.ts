/**
 * Serving-counter changes of each event, for the status streams. Subscribers of an event are
 * told each change this process makes or reads; other processes move the counter too, so an
 * event with subscribers is polled once (not once per subscriber) every `pollMs`.
 */
export interface ServingWatchOptions {
  /** Reads the event's serving counter (and updates the caller's cache). */
  read(eventId: string): Promise<number>;
  /** The last value this process knows, if any. */
  known(eventId: string): number | undefined;
  pollMs: number;
}

type Listener = (serving: number) => void;

export class ServingWatch {
  readonly #options: ServingWatchOptions;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #pollers = new Map<string, { timer: NodeJS.Timeout; last: number | null }>();

  constructor(options: ServingWatchOptions) {
    this.#options = options;
  }

  /** Tell `listener` of every change of the event's serving counter; returns the unsubscribe. */
  subscribe(eventId: string, listener: Listener): () => void {
    let set = this.#listeners.get(eventId);
    if (!set) {
      set = new Set();
      this.#listeners.set(eventId, set);
    }
    set.add(listener);
    this.#poll(eventId);
    return () => {
      const current = this.#listeners.get(eventId);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.#listeners.delete(eventId);
        const poller = this.#pollers.get(eventId);
        if (poller) clearInterval(poller.timer);
        this.#pollers.delete(eventId);
      }
    };
  }

  /** The event's serving counter is now `serving`. */
  changed(eventId: string, serving: number): void {
    const poller = this.#pollers.get(eventId);
    if (poller) poller.last = serving;
    for (const listener of this.#listeners.get(eventId) ?? []) {
      try {
        listener(serving);
      } catch {
        // One broken subscriber must not stop the others.
      }
    }
  }

  /** Stop polling; forget every subscriber. */
  close(): void {
    for (const poller of this.#pollers.values()) clearInterval(poller.timer);
    this.#pollers.clear();
    this.#listeners.clear();
  }

  #poll(eventId: string): void {
    if (this.#pollers.has(eventId)) return;
    const poller = {
      last: this.#options.known(eventId) ?? null,
      timer: undefined as unknown as NodeJS.Timeout,
    };
    poller.timer = setInterval(() => {
      this.#options.read(eventId).then(
        (serving) => {
          if (serving !== poller.last) this.changed(eventId, serving);
        },
        () => {
          // A store outage: subscribers keep their last state; the next poll retries.
        },
      );
    }, this.#options.pollMs);
    poller.timer.unref();
    this.#pollers.set(eventId, poller);
  }
}
