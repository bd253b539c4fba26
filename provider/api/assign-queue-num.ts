/** `POST /assign_queue_num` — take a place in the queue (synchronous, idempotent per visitor). */
import { eventClosedError } from '../../queue-core/errors.ts';
import { takesNewVisitors } from '../../queue-core/room/visitor-flow.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { CACHE, loadEvent, readEventId } from '../http/steps.ts';
import { enqueueVisitorKey, writeRequestCookie } from '../http/visitor.ts';

const checkEventOpen: Step = async function checkEventOpen(ctx, next) {
  if (!takesNewVisitors(ctx.state.event)) throw eventClosedError();
  await next();
};

const enqueueVisitor: Step = async function enqueueVisitor(ctx, next) {
  const { deps, eventId, event } = ctx.state;
  const visitorKey = enqueueVisitorKey(ctx, deps.config);
  // A new place draws on the client's budget in the same atomic step (429 when spent).
  const joined = await deps.room.join(event, {
    visitorKey,
    rateLimit: deps.enqueueLimiter.forClient(ctx.ip),
  });
  if (joined.kind === 'closed') throw eventClosedError();
  writeRequestCookie(ctx, deps.config, eventId, joined.place.requestId);
  ctx.state.entry = joined.place;
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
