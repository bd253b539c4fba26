/**
 * What the OIDC side remembers about one browser in one event: its queue request id and,
 * once admitted, the admission window. Kept in the provider's own adapter (model
 * `AnteroomVisit`, id `<event>:<account>`), so it lives wherever interactions and sessions live
 * (memory, Redis, DynamoDB) and costs ~150 bytes per visitor.
 */
import type { AdapterFactory } from './adapters/types.ts';

export interface VisitRecord {
  requestId: string;
  position: number;
  /** Epoch seconds the position was assigned. */
  queuedAt: number;
  /** Epoch seconds of the first admission (token issuance); absent while waiting. */
  admittedAt?: number;
  /** End of the admission window (epoch seconds); absent while waiting. */
  expiresAt?: number;
}

/** A visitor who keeps a place longer than this without coming back starts a new visit record. */
export const WAITING_RECORD_TTL_SECONDS = 24 * 3600;

export class Visits {
  readonly #adapter: ReturnType<AdapterFactory>;

  constructor(adapter: AdapterFactory) {
    this.#adapter = adapter('AnteroomVisit');
  }

  async find(eventId: string, accountId: string): Promise<VisitRecord | undefined> {
    const found = (await this.#adapter.find(`${eventId}:${accountId}`)) as unknown as VisitRecord | undefined;
    return found ?? undefined;
  }

  async save(eventId: string, accountId: string, record: VisitRecord, ttlSeconds: number): Promise<void> {
    // biome-ignore lint/suspicious/noExplicitAny: the adapter payload type is oidc-provider's model union.
    await this.#adapter.upsert(`${eventId}:${accountId}`, record as any, Math.max(1, Math.ceil(ttlSeconds)));
  }
}
