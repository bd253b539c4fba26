/** `GET /status` — everything a waiting page needs in one call (also on the fast path). */
import { parseEventId, parseRequestId } from '../../queue-core/validate.ts';
import type { Endpoint } from '../http/endpoint.ts';
import { CACHE } from '../http/steps.ts';

export const status: Endpoint = async function status(deps, request, answer) {
  const eventId = parseEventId(request.query('event_id'));
  const requestId = parseRequestId(request.query('request_id'));
  answer.body = await deps.room.status(eventId, requestId);
  answer.cacheControl = CACHE.private;
};
