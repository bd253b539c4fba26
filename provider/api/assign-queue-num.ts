/** `POST /assign_queue_num` — take a place in the queue (synchronous, idempotent per visitor). */
import { assertEventOpen } from '../../queue-core/room/room.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { CACHE, loadEvent, readEventId } from '../http/steps.ts';
import { enqueueVisitorKey, writeRequestCookie } from '../http/visitor.ts';

const checkEventOpen: Step = async function checkEventOpen(ctx, next) {
  assertEventOpen(ctx.state.event);
  await next();
};

const enqueueVisitor: Step = async function enqueueVisitor(ctx, next) {
  const { deps, eventId } = ctx.state;
  const visitorKey = enqueueVisitorKey(ctx, deps.config);
  // A new place draws on the client's budget in the same atomic step (429 when spent).
  const entry = await deps.room.enqueue(eventId, visitorKey, deps.enqueueLimiter.forClient(ctx.ip));
  writeRequestCookie(ctx, deps.config, eventId, entry.requestId);
  ctx.state.entry = entry;
  await next();
};

const respond: Step = function respond(ctx) {
  const entry = ctx.state.entry as { requestId: string; position: number };
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { api_request_id: entry.requestId, queue_number: entry.position };
};

export const assignQueueNum: Step[] = [
  readJsonBody,
  readEventId,
  loadEvent,
  checkEventOpen,
  enqueueVisitor,
  respond,
];
