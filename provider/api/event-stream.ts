/** `GET /events/{event_id}/stream` — Server-Sent Events of the visitor's status. */
import type { Step } from '../http/context.ts';
import { readEventId, readRequestId } from '../http/steps.ts';
import { openStatusStream } from './status-stream.ts';
import { tooManyStreamsError } from './stream-slots.ts';

/** 400/404 are answered as JSON before the stream opens. */
const loadFirstStatus: Step = async function loadFirstStatus(ctx, next) {
  ctx.state.status = await ctx.state.deps.room.status(ctx.state.eventId, ctx.state.requestId);
  await next();
};

/** 429 when this request id or this client already holds its share of open streams. */
const takeStreamSlot: Step = async function takeStreamSlot(ctx, next) {
  const release = ctx.state.deps.streamSlots.take(ctx.state.requestId, ctx.ip);
  if (release === null) throw tooManyStreamsError();
  ctx.state.releaseStreamSlot = release;
  try {
    await next();
  } catch (error) {
    release();
    throw error;
  }
};

const streamStatus: Step = function streamStatus(ctx) {
  openStatusStream(ctx, { onEnd: ctx.state.releaseStreamSlot as () => void });
};

export const eventStream: Step[] = [
  readEventId,
  readRequestId,
  loadFirstStatus,
  takeStreamSlot,
  streamStatus,
];
