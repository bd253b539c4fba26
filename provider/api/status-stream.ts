/**
 * The status stream (Server-Sent Events): headers at once, a `status` event on connect and
 * after every change of anything the visitor sees (the room's event-level fan-out,
 * `room.followStatus`), and a heartbeat comment every 15 s so proxies with idle timeouts
 * (nginx, ALB: 60 s) keep the connection. `X-Accel-Buffering: no` stops nginx from buffering.
 * When the visitor's place is gone (the event was reset) the stream says so with a `gone`
 * event and ends; EventSource's reconnection then gets the 404 and the page takes it from there.
 *
 * A stream is written straight to node's response, and costs no timer of its own: one timer per
 * process sends every stream's heartbeat at once, ends the streams past their lifetime
 * (`limits.streamMaxSeconds`; EventSource then reconnects, through the caps again) and cuts the
 * socket of a client that stopped reading (its heartbeats pile up unsent for a minute).
 */
import type { ServerResponse } from 'node:http';
import { SSE_HEARTBEAT_MS } from '../../queue-core/defaults.ts';
import type { StatusView } from '../../queue-core/room/room-api.ts';
import type { Place } from '../../queue-core/room/visitor-flow.ts';
import type { AppDeps } from '../apps/deps.ts';
import { API_CORS_HEADERS } from '../http/cors.ts';

/** How long a client may leave written bytes unread before its socket is cut. */
const STALLED_MS = 60_000;
/** How often the process's one stream timer looks for streams past their lifetime. */
const SWEEP_MS = 1000;

const HEARTBEAT = ': heartbeat\n\n';

function frame(json: string): string {
  return `event: status\ndata: ${json}\n\n`;
}

/** One open stream: its response, what it last sent, and when it ends. */
class StatusStream {
  readonly res: ServerResponse;
  readonly endsAtMs: number;
  /** The status JSON last sent. */
  last: string;
  /** When written bytes were first seen waiting unread (0: none waiting). */
  stalledSinceMs = 0;
  readonly hub: StreamHub;
  unsubscribe: (() => void) | null = null;
  onEnd: (() => void) | undefined;
  ended = false;

  constructor(
    hub: StreamHub,
    res: ServerResponse,
    first: string,
    endsAtMs: number,
    onEnd: (() => void) | undefined,
  ) {
    this.hub = hub;
    this.res = res;
    this.last = first;
    this.endsAtMs = endsAtMs;
    this.onEnd = onEnd;
  }

  /** The room's listener: a new status (sent when it differs), or null when the place is gone. */
  update(status: StatusView | null): void {
    if (this.ended) return;
    if (status === null) {
      this.res.write('event: gone\ndata: {"code":"request_not_found"}\n\n');
      this.end();
      return;
    }
    const json = JSON.stringify(status);
    if (json === this.last) return;
    this.last = json;
    this.res.write(frame(json));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.hub.remove(this);
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
    this.res.end();
  }
}

/** Every open stream of the process with one heartbeat period, and their one timer. */
class StreamHub {
  readonly heartbeatMs: number;
  readonly streams = new Set<StatusStream>();
  #timer: NodeJS.Timeout | null = null;
  #nextBeatMs = 0;

  constructor(heartbeatMs: number) {
    this.heartbeatMs = heartbeatMs;
  }

  add(stream: StatusStream): void {
    this.streams.add(stream);
    if (this.#timer === null) {
      this.#nextBeatMs = Date.now() + this.heartbeatMs;
      this.#timer = setInterval(() => this.#sweep(), Math.min(SWEEP_MS, this.heartbeatMs));
      this.#timer.unref();
    }
  }

  remove(stream: StatusStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #sweep(): void {
    const now = Date.now();
    // Streams are kept in opening order and share one lifetime: the first still alive ends the search.
    for (const stream of this.streams) {
      if (stream.endsAtMs > now) break;
      stream.end();
    }
    if (now < this.#nextBeatMs) return;
    this.#nextBeatMs = now + this.heartbeatMs;
    const stalledMs = Math.max(STALLED_MS, this.heartbeatMs * 4);
    for (const stream of this.streams) {
      const { res } = stream;
      if (res.writableLength > 0) {
        // Bytes written earlier are still waiting: the client reads slowly, or not at all.
        if (stream.stalledSinceMs === 0) stream.stalledSinceMs = now;
        else if (now - stream.stalledSinceMs >= stalledMs) {
          res.socket?.destroy();
          continue;
        }
      } else {
        stream.stalledSinceMs = 0;
      }
      res.write(HEARTBEAT);
    }
  }
}

/** The hubs of this process, by heartbeat period (one in production; tests use shorter ones). */
const hubs = new Map<number, StreamHub>();

/** End every open stream of this process (on shutdown, so `server.close()` can finish). */
export function endAllStreams(): void {
  for (const hub of hubs.values()) for (const stream of [...hub.streams]) stream.end();
}

export function openStreamCount(): number {
  let count = 0;
  for (const hub of hubs.values()) count += hub.streams.size;
  return count;
}

export interface OpenStreamInput {
  deps: AppDeps;
  eventId: string;
  /** What `room.findPlace` just answered for the visitor. */
  place: Place;
  /** `X-Request-Id` of this HTTP request. */
  traceId: string;
  /** Called once when the stream ends (its slot is free again). */
  onEnd?: (() => void) | undefined;
}

/**
 * Open the stream on `res`: headers and the first status now, then the room's changes. Used by
 * the fast path (`server/hot-path.ts`) and the Koa route alike, once the request has been
 * checked (event, request id, stream slot).
 */
export function openStatusStream(res: ServerResponse, input: OpenStreamInput): void {
  const { deps, eventId, place } = input;
  const heartbeatMs = deps.sseHeartbeatMs ?? SSE_HEARTBEAT_MS;
  const socket = res.socket;
  socket?.setNoDelay(true);
  socket?.setKeepAlive(true);
  res.writeHead(200, {
    'X-Request-Id': input.traceId,
    ...API_CORS_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  const first = JSON.stringify(place.status);
  // A retry hint for EventSource reconnects, and the current status at once.
  res.write(`retry: 3000\n\n${frame(first)}`);

  let hub = hubs.get(heartbeatMs);
  if (!hub) {
    hub = new StreamHub(heartbeatMs);
    hubs.set(heartbeatMs, hub);
  }
  const endsAtMs = Date.now() + deps.config.limits.streamMaxSeconds * 1000;
  const stream = new StatusStream(hub, res, first, endsAtMs, input.onEnd);
  hub.add(stream);
  stream.unsubscribe = deps.room.followStatus(eventId, place, (status) => stream.update(status));
  // The response's 'close' fires when the client goes away (or the connection is cut).
  res.once('close', () => stream.end());
  res.once('error', () => stream.end());
}
