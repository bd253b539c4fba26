/** `GET /events/{event_id}/stream` — Server-Sent Events of the visitor's status. */
import type { Step } from '../http/context.ts';
import { readEventId, readRequestId } from '../http/steps.ts';
import { openStatusStream } from './status-stream.ts';

/** 400/404 are answered as JSON before the stream opens. */
const loadFirstStatus: Step = async function loadFirstStatus(ctx, next) {
  ctx.state.status = await ctx.state.deps.room.status(ctx.state.eventId, ctx.state.requestId);
  await next();
};

const streamStatus: Step = function streamStatus(ctx) {
  openStatusStream(ctx);
};

export const eventStream: Step[] = [readEventId, readRequestId, loadFirstStatus, streamStatus];
