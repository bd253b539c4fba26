/**
 * `GET /events/{event_id}/stream` — Server-Sent Events of the visitor's status. Answered on the
 * fast path (`server/hot-path.ts`) and by the Koa route alike: the same checks (`checkStream`),
 * then the same stream (`status-stream.ts`). 400, 404 and 429 are answered as JSON before any
 * stream opens.
 */
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Place } from '../../queue-core/room/visitor-flow.ts';
import { parseEventId, parseRequestId } from '../../queue-core/validate.ts';
import type { AppDeps } from '../apps/deps.ts';
import type { Step } from '../http/context.ts';
import type { ApiRequest } from '../http/endpoint.ts';
import { restoreFromReceipt } from '../http/place-receipt.ts';
import { openStatusStream } from './status-stream.ts';
import { tooManyStreamsError } from './stream-slots.ts';

export interface CheckedStream {
  eventId: string;
  /** The visitor's place: the first status, and what the room's fan-out follows. */
  place: Place;
  /** Frees the stream slot taken (call once the stream ends). */
  release: () => void;
}

/**
 * The checks before a stream opens: the event (400), the request id (400, 404), then a stream
 * slot (429 when this request id or this client already holds its share).
 */
export async function checkStream(
  deps: AppDeps,
  rawEventId: unknown,
  request: Pick<ApiRequest, 'query' | 'clientAddress' | 'header'>,
): Promise<CheckedStream> {
  const eventId = parseEventId(rawEventId);
  const requestId = parseRequestId(request.query('request_id'));
  let found = await deps.room.findPlace(eventId, requestId);
  if (found.kind === 'none') {
    // A place the store lost, re-created from the visitor's receipt (http/place-receipt.ts);
    // the stream follows it under its new request id.
    const restored = await restoreFromReceipt(deps, eventId, requestId, request.header('cookie'));
    if (restored !== null) found = await deps.room.findPlace(eventId, restored.entry.requestId);
  }
  if (found.kind === 'none') throw new AnteroomError('request_not_found');
  const release = deps.streamSlots.take(requestId, request.clientAddress());
  if (release === null) throw tooManyStreamsError();
  const { kind: _kind, ...place } = found;
  return { eventId, place, release };
}

const streamStatus: Step = async function streamStatus(ctx) {
  const { deps, traceId } = ctx.state;
  const { eventId, place, release } = await checkStream(deps, ctx.params.event_id, {
    query: (name) => ctx.query[name],
    clientAddress: () => ctx.ip,
    header: (name) => ctx.get(name) || undefined,
  });
  // The stream is written straight to node's response: Koa lets go of it.
  ctx.respond = false;
  openStatusStream(ctx.res, { deps, eventId, place, traceId, onEnd: release });
};

export const eventStream: Step[] = [streamStatus];
