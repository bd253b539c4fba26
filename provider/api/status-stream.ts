/**
 * The status stream (Server-Sent Events): headers at once, a `status` event on connect and
 * on every change of the serving counter that changes this visitor's status, and a heartbeat
 * comment every 15 s so proxies with idle timeouts (nginx, ALB: 60 s) keep the connection.
 * `X-Accel-Buffering: no` stops nginx from buffering the stream.
 */
import { PassThrough } from 'node:stream';
import { SSE_HEARTBEAT_MS } from '../../queue-core/defaults.ts';
import type { StatusView } from '../../queue-core/room/room-api.ts';
import type { ApiContext } from '../http/context.ts';

/** Open streams of this process, ended on shutdown so `server.close()` can finish. */
const openStreams = new Set<() => void>();

export function endAllStreams(): void {
  for (const end of [...openStreams]) end();
}

export function openStreamCount(): number {
  return openStreams.size;
}

function frame(status: StatusView): string {
  return `event: status\ndata: ${JSON.stringify(status)}\n\n`;
}

export interface StreamOptions {
  /** Called once when the stream ends (its slot is free again). */
  onEnd?: (() => void) | undefined;
}

/**
 * A stream is bounded in time: it ends after `limits.streamMaxSeconds` (EventSource then
 * reconnects, through the caps again), and its socket is cut when nothing could be written to
 * it for a minute (a client that stopped reading: the heartbeats pile up unsent).
 */
const STALLED_MS = 60_000;

export function openStatusStream(ctx: ApiContext, options: StreamOptions = {}): void {
  const { room, logger, config } = ctx.state.deps;
  const heartbeatMs = ctx.state.deps.sseHeartbeatMs ?? SSE_HEARTBEAT_MS;
  const { eventId, requestId } = ctx.state;
  const first = ctx.state.status as StatusView;

  const socket = ctx.req.socket;
  const stalled = () => socket.destroy();
  socket.setTimeout(Math.max(STALLED_MS, heartbeatMs * 4));
  socket.once('timeout', stalled);
  ctx.req.socket.setNoDelay(true);
  ctx.req.socket.setKeepAlive(true);
  ctx.status = 200;
  ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
  ctx.set('Cache-Control', 'no-cache, no-transform');
  ctx.set('Connection', 'keep-alive');
  ctx.set('X-Accel-Buffering', 'no');

  const stream = new PassThrough();
  ctx.body = stream;
  let last = JSON.stringify(first);
  // A retry hint for EventSource reconnects, and the current status at once.
  stream.write(`retry: 3000\n\n${frame(first)}`);

  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const status = await room.status(eventId, requestId);
        const text = JSON.stringify(status);
        if (text !== last) {
          last = text;
          stream.write(frame(status));
        }
      } while (again);
    } catch (error) {
      // The store is down or the event was reset: say so, keep the stream; the next change retries.
      logger.debug({ err: error, event_id: eventId }, 'status stream refresh failed');
      stream.write(': status unavailable\n\n');
    } finally {
      busy = false;
    }
  };

  const unsubscribe = room.onServingChange(eventId, () => {
    void refresh();
  });
  const heartbeat = setInterval(() => {
    stream.write(': heartbeat\n\n');
    // An eligible visitor's claim window runs out without any counter change: re-check it.
    if (last.includes('"state":"eligible"')) void refresh();
  }, heartbeatMs);
  heartbeat.unref();

  const lifetime = setTimeout(() => end(), config.limits.streamMaxSeconds * 1000);
  lifetime.unref();

  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    socket.off('timeout', stalled);
    socket.setTimeout(0);
    unsubscribe();
    openStreams.delete(end);
    options.onEnd?.();
    stream.end();
  };
  openStreams.add(end);
  // The response's 'close' fires when the client goes away (or the connection is cut).
  ctx.res.once('close', end);
  ctx.req.once('close', () => {
    if (ctx.res.destroyed || ctx.req.socket.destroyed) end();
  });
  stream.on('error', end);
}
