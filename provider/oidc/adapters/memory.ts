/**
 * In-process adapter (the embedded default): plain maps with lazy expiry and a sweep at most
 * once a minute (on a write), so a long-running process does not grow with abandoned
 * interactions and no write pays for more than its share of the sweep.
 */
import {
  type Adapter,
  type AdapterFactory,
  type AdapterPayload,
  alreadyConsumed,
  type Clock,
  expiryOf,
  systemClock,
} from './types.ts';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

export interface MemoryAdapterOptions {
  now?: Clock;
  /** Sweep expired records at most this often, in seconds (default 60): a sweep walks every record. */
  sweepEverySeconds?: number;
}

/** One shared space for every model of one provider (grant revocation crosses models). */
class MemorySpace {
  readonly records = new Map<string, Entry>();
  readonly byUid = new Map<string, string>();
  readonly byUserCode = new Map<string, string>();
  readonly byGrant = new Map<string, Set<string>>();
  readonly now: Clock;
  readonly sweepEverySeconds: number;
  lastSweep: number;

  constructor(options: MemoryAdapterOptions) {
    this.now = options.now ?? systemClock;
    this.sweepEverySeconds = options.sweepEverySeconds ?? 60;
    this.lastSweep = this.now();
  }

  live(key: string): Entry | undefined {
    const entry = this.records.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.records.delete(key);
      return undefined;
    }
    return entry;
  }

  sweep(): void {
    const now = this.now();
    this.lastSweep = now;
    for (const [key, entry] of this.records) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.records.delete(key);
    }
    for (const index of [this.byUid, this.byUserCode]) {
      for (const [k, key] of index) if (!this.records.has(key)) index.delete(k);
    }
    for (const [grantId, keys] of this.byGrant) {
      for (const key of keys) if (!this.records.has(key)) keys.delete(key);
      if (keys.size === 0) this.byGrant.delete(grantId);
    }
  }
}

class MemoryAdapter implements Adapter {
  readonly #space: MemorySpace;
  readonly #model: string;

  constructor(space: MemorySpace, model: string) {
    this.#space = space;
    this.#model = model;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const space = this.#space;
    const key = this.#key(id);
    // Stored as a copy: the provider keeps mutating its model objects after saving.
    space.records.set(key, {
      payload: structuredClone(payload),
      expiresAt: expiryOf(space.now(), expiresIn),
    });
    if (typeof payload.uid === 'string') space.byUid.set(this.#key(payload.uid), key);
    if (typeof payload.userCode === 'string') space.byUserCode.set(this.#key(payload.userCode), key);
    if (typeof payload.grantId === 'string') {
      let keys = space.byGrant.get(payload.grantId);
      if (keys === undefined) {
        keys = new Set();
        space.byGrant.set(payload.grantId, keys);
      }
      keys.add(key);
    }
    if (space.now() - space.lastSweep >= space.sweepEverySeconds) space.sweep();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.#space.live(this.#key(id));
    return entry && structuredClone(entry.payload);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(this.#space.byUid, uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(this.#space.byUserCode, userCode);
  }

  #findByIndex(index: Map<string, string>, value: string): AdapterPayload | undefined {
    const key = index.get(this.#key(value));
    const entry = key === undefined ? undefined : this.#space.live(key);
    return entry && structuredClone(entry.payload);
  }

  async consume(id: string): Promise<void> {
    // Single-threaded: check and set happen without an await in between, so they are atomic.
    const entry = this.#space.live(this.#key(id));
    if (entry === undefined || entry.payload.consumed !== undefined) throw alreadyConsumed();
    entry.payload.consumed = this.#space.now();
  }

  async destroy(id: string): Promise<void> {
    this.#space.records.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const keys = this.#space.byGrant.get(grantId);
    if (keys === undefined) return;
    for (const key of keys) this.#space.records.delete(key);
    this.#space.byGrant.delete(grantId);
  }
}

/** A factory for one provider: all its models share one space. */
export function memoryAdapter(options: MemoryAdapterOptions = {}): AdapterFactory & { space: MemorySpace } {
  const space = new MemorySpace(options);
  const factory = (model: string) => new MemoryAdapter(space, model);
  return Object.assign(factory, { space });
}

/** Bytes of stored JSON per model, for measuring what a parked visitor costs. */
export function memoryFootprint(space: MemorySpace): Record<string, { count: number; bytes: number }> {
  const out: Record<string, { count: number; bytes: number }> = {};
  for (const [key, entry] of space.records) {
    const model = key.slice(0, key.indexOf(':'));
    const row = out[model] ?? { count: 0, bytes: 0 };
    out[model] = row;
    row.count += 1;
    row.bytes += Buffer.byteLength(JSON.stringify(entry.payload));
  }
  return out;
}

export type { MemorySpace };
