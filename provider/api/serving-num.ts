/** `GET /serving_num` — the serving counter (an integer; micro-cached per process; also on the fast path). */
import { parseEventId } from '../../queue-core/validate.ts';
import type { Endpoint } from '../http/endpoint.ts';
import { CACHE } from '../http/steps.ts';

export const servingNum: Endpoint = async function servingNum(deps, request, answer) {
  const eventId = parseEventId(request.query('event_id'));
  answer.body = { serving_counter: await deps.room.servingCounter(eventId) };
  answer.cacheControl = CACHE.shared;
};
