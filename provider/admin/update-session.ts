/** Admin `POST /update_session` — end an active session: 1 completed, -1 abandoned. */
import { parseSessionStatus } from '../../queue-core/validate.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { idempotentWrite } from '../http/idempotent-write.ts';
import { CACHE, readEventId, readRequestId } from '../http/steps.ts';

const readStatus: Step = async function readStatus(ctx, next) {
  const raw = ctx.state.body.status;
  ctx.state.sessionStatus = parseSessionStatus(typeof raw === 'string' ? Number.NaN : raw);
  await next();
};

const updateSession: Step = async function updateSession(ctx) {
  const { deps, eventId, requestId, actor } = ctx.state;
  const status = ctx.state.sessionStatus as 'completed' | 'abandoned';
  await deps.room.updateSession(eventId, requestId, status, actor);
  ctx.set('Cache-Control', CACHE.none);
  ctx.body = { event_id: eventId, request_id: requestId, status: status === 'completed' ? 1 : -1 };
};

export const updateSessionStatus: Step[] = [
  idempotentWrite,
  readJsonBody,
  readEventId,
  readRequestId,
  readStatus,
  updateSession,
];
