/**
 * A per-process read-through cache of values a poll may see a little stale (API.md: "≤ 1 s"):
 * the live event settings (the counters and history are the event watch's snapshot). A value
 * is reused for `ttlMs`; concurrent misses share one load; a failed load is forgotten.
 */
interface Entry<T> {
  value: T;
  at: number;
  pending: Promise<T> | null;
}

export class MicroCache<T> {
  readonly #ttlMs: number;
  readonly #nowMs: () => number;
  readonly #entries = new Map<string, Entry<T>>();

  constructor(ttlMs: number, nowMs: () => number) {
    this.#ttlMs = ttlMs;
    this.#nowMs = nowMs;
  }

  /** The value still within its lifetime, or undefined: no promise, for the hottest reads. */
  fresh(key: string): T | undefined {
    const entry = this.#entries.get(key);
    return entry && this.#nowMs() - entry.at < this.#ttlMs ? entry.value : undefined;
  }

  /** The last value read, however old, or undefined. */
  last(key: string): T | undefined {
    return this.#entries.get(key)?.value;
  }

  /** The value, loaded through `load` when it is missing or too old. */
  read(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(key);
    if (entry && this.#nowMs() - entry.at < this.#ttlMs) return Promise.resolve(entry.value);
    if (entry?.pending) return entry.pending;
    const pending = load().then(
      (value) => {
        this.set(key, value);
        return value;
      },
      (error: unknown) => {
        if (this.#entries.get(key)?.pending === pending) this.#entries.delete(key);
        throw error;
      },
    );
    this.#entries.set(key, {
      value: entry?.value as T,
      at: entry ? entry.at : Number.NEGATIVE_INFINITY,
      pending,
    });
    return pending;
  }

  /** A value this process knows to be current (it just wrote or read it). */
  set(key: string, value: T): void {
    this.#entries.set(key, { value, at: this.#nowMs(), pending: null });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
