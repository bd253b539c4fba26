/**
 * A bounded least-recently-used map whose entries also carry an expiry time. A Map keeps
 * insertion order, so re-inserting on a hit moves the key to the young end and the first key
 * is always the eviction candidate: O(1) for get, set and evict.
 */
interface Entry<V> {
  value: V;
  expiresAtMs: number;
}

export class ExpiringLru<V> {
  readonly maxEntries: number;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value, or undefined; an expired entry is dropped on the way. */
  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (nowMs >= entry.expiresAtMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, expiresAtMs: number): void {
    if (this.maxEntries <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAtMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
