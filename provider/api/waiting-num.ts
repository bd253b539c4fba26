/** `GET /waiting_num` — positions assigned − tokens issued − positions expired (also on the fast path). */
import { parseEventId } from '../../queue-core/validate.ts';
import type { Endpoint } from '../http/endpoint.ts';
import { CACHE } from '../http/steps.ts';

export const waitingNum: Endpoint = async function waitingNum(deps, request, answer) {
  const eventId = parseEventId(request.query('event_id'));
  answer.body = { waiting_num: await deps.room.waitingNum(eventId) };
  answer.cacheControl = CACHE.shared;
};
