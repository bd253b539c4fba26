/**
 * What the OIDC side remembers about one browser in one event: its queue request id, nothing
 * more. The place and its admission are the room's own records (the entry and the session in
 * the queue store), read through `room.findPlace`, so an admission is recorded once. Kept in
 * the provider's own adapter (model `AnteroomVisit`, id `<event>:<account>`), so it lives
 * wherever interactions and sessions live (memory, Redis, DynamoDB).
 */
import type { AdapterFactory } from './adapters/types.ts';

export interface VisitRecord {
  requestId: string;
}

/** A visitor who does not come back within this long starts a new visit record (and finds its place again by its key). */
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
