/**
 * Status events for other systems (EventBridge on AWS).
 *
 * Every event has `Source: 'anteroom'` (the retired AWS solution used `custom.waitingroom`;
 * rules written for it must change their source pattern) and a `detail` object that always
 * carries `event_id`. Detail types:
 *
 * | DetailType | when | detail |
 * |---|---|---|
 * | `token_generated` | first issuance of a token set | `event_id`, `request_id` |
 * | `session_updated` | successful update_session | `event_id`, `request_id`, `status` |
 * | `serving_counter_changed` | a scheduled run (inlet, expiry) or an operator moved the counter | `event_id`, `previous_serving_counter`, `serving_counter`, `increment_by`, `cause` (`schedule` / `admin`) |
 * | `automatic_serving_counter_incr` | expiry auto-advance moved the counter | `event_id`, `previous_serving_counter_position`, `increment_by`, `current_serving_counter_position` |
 * | `prequeue_opened` | a scheduled run finds an event's pre-queue open (once per sale) | `event_id`, `prequeue_at`, `starts_at` |
 * | `draw_completed` | a scheduled run finds its pre-queue drawn (once per sale) | `event_id`, `algorithm` (`hmac-sha256` / `fifo`), `participants`, `starts_at`, `drawn_at` |
 * | `waiting_room_metrics` | every scheduled run (once a minute), per event | `event_id`, `num_active_tokens`, `total_num_tokens`, `queue_counter`, `serving_number`, `completed_sessions`, `abandoned_sessions`, `waiting_num` (integers) |
 */
import { callAwsJson, type Env } from './aws-json.ts';

export const EVENT_SOURCE = 'anteroom';

export type DetailType =
  | 'token_generated'
  | 'session_updated'
  | 'serving_counter_changed'
  | 'automatic_serving_counter_incr'
  | 'prequeue_opened'
  | 'draw_completed'
  | 'waiting_room_metrics';

export interface EventDetail {
  event_id: string;
  [key: string]: unknown;
}

export interface PublishedEvent {
  detailType: DetailType;
  detail: EventDetail;
  /** When it happened (epoch ms). */
  time: number;
}

/** Where the apps and the scheduled handler send status events. */
export interface EventPublisher {
  /** Queue one event; it is sent by `flush()` (or earlier, when a batch is full). */
  publish(detailType: DetailType, detail: EventDetail): void;
  /** Send everything queued; resolves when sent. Never rejects: failures are logged. */
  flush(): Promise<void>;
}

/** Keeps every event in memory: tests, and `anteroom serve` without a bus. */
export class MemoryPublisher implements EventPublisher {
  readonly events: PublishedEvent[] = [];
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  publish(detailType: DetailType, detail: EventDetail): void {
    this.events.push({ detailType, detail: { ...detail }, time: this.now() });
  }

  async flush(): Promise<void> {}

  ofType(detailType: DetailType): EventDetail[] {
    return this.events.filter((event) => event.detailType === detailType).map((event) => event.detail);
  }
}

/** Drops every event (no bus configured). */
export const noopPublisher: EventPublisher = {
  publish() {},
  async flush() {},
};

/** One PutEvents entry, as the API takes it. */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time: Date;
}

/** A PutEvents call, shaped like the AWS SDK's command (`input`). */
export class PutEventsCommand {
  readonly input: { Entries: PutEventsEntry[] };
  constructor(input: { Entries: PutEventsEntry[] }) {
    this.input = input;
  }
}

export interface PutEventsOutput {
  FailedEntryCount?: number | undefined;
  Entries?: { ErrorCode?: string | undefined }[] | undefined;
}

/** What the publisher needs of an EventBridge client (the SDK's would do; tests pass a fake). */
export interface EventBridgeLike {
  send(command: PutEventsCommand): Promise<PutEventsOutput>;
}

const EVENTBRIDGE = { endpointPrefix: 'events', endpointVariable: 'AWS_ENDPOINT_URL_EVENTBRIDGE' };

/**
 * PutEvents as a signed request of our own (`aws-json.ts`): the scheduled function sends events
 * on every run, and loading the SDK's client would cost each cold start about 100 ms.
 */
export function directEventBridge(env: Env): EventBridgeLike {
  return {
    send(command) {
      // The JSON protocol carries timestamps as epoch seconds.
      const Entries = command.input.Entries.map((entry) => ({ ...entry, Time: entry.Time.getTime() / 1000 }));
      return callAwsJson(env, EVENTBRIDGE, 'AWSEvents.PutEvents', { Entries }) as Promise<PutEventsOutput>;
    },
  };
}

export interface EventBridgePublisherOptions {
  client: EventBridgeLike;
  /** Bus name or ARN (`ANTEROOM_EVENT_BUS`). */
  busName: string;
  now?: () => number;
  /** Where send failures are reported (a publisher never throws into a request). */
  onError?: (error: unknown, failedEntries: number) => void;
}

/** PutEvents accepts at most 10 entries per call. */
export const PUT_EVENTS_BATCH = 10;

/**
 * Batches events into PutEvents calls of at most 10 entries. Entries that EventBridge
 * reports as failed are retried once, then reported through `onError`.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeLike;
  private readonly busName: string;
  private readonly now: () => number;
  private readonly onError: (error: unknown, failedEntries: number) => void;
  private queued: PublishedEvent[] = [];
  private inFlight: Promise<void>[] = [];

  constructor(options: EventBridgePublisherOptions) {
    this.client = options.client;
    this.busName = options.busName;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  publish(detailType: DetailType, detail: EventDetail): void {
    this.queued.push({ detailType, detail: { ...detail }, time: this.now() });
    if (this.queued.length >= PUT_EVENTS_BATCH) this.sendQueued();
  }

  async flush(): Promise<void> {
    this.sendQueued();
    const pending = this.inFlight;
    this.inFlight = [];
    await Promise.all(pending);
  }

  private sendQueued(): void {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, PUT_EVENTS_BATCH);
      this.inFlight.push(this.sendBatch(batch));
    }
  }

  private async sendBatch(batch: PublishedEvent[]): Promise<void> {
    const entries = batch.map((event) => this.entry(event));
    try {
      const failed = await this.put(entries);
      if (failed.length === 0) return;
      const stillFailed = await this.put(failed);
      if (stillFailed.length > 0) this.onError(new Error('PutEvents rejected entries'), stillFailed.length);
    } catch (error) {
      this.onError(error, entries.length);
    }
  }

  /** One PutEvents call; returns the entries EventBridge did not accept. */
  private async put(entries: PutEventsEntry[]): Promise<PutEventsEntry[]> {
    const output = await this.client.send(new PutEventsCommand({ Entries: entries }));
    if (!output.FailedEntryCount) return [];
    // Result entries are in request order; a failed one carries an ErrorCode.
    return entries.filter((_, index) => output.Entries?.[index]?.ErrorCode);
  }

  private entry(event: PublishedEvent): PutEventsEntry {
    return {
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      EventBusName: this.busName,
      Time: new Date(event.time),
    };
  }
}
