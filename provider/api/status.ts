/** `GET /status` — everything a waiting page needs in one call (also on the fast path). */
import { parseEventId, parseRequestId } from '../../queue-core/validate.ts';
import type { Endpoint } from '../http/endpoint.ts';
import { isUnknownRequest, lacksReceipt, receiptForPoll, restoreFromReceipt } from '../http/place-receipt.ts';
import { CACHE } from '../http/steps.ts';

export const status: Endpoint = async function status(deps, request, answer) {
  const eventId = parseEventId(request.query('event_id'));
  const requestId = parseRequestId(request.query('request_id'));
  answer.cacheControl = CACHE.private;
  const cookies = request.header('cookie');
  try {
    answer.body = await deps.room.status(eventId, requestId);
    // A browser's first poll: the receipt its first enqueue (without cookies yet) did not get.
    if (lacksReceipt(cookies, eventId)) {
      const receipt = await receiptForPoll(deps, eventId, requestId, cookies);
      if (receipt !== null) answer.cookies.push(receipt);
    }
  } catch (error) {
    // A place the store lost, re-created from the visitor's receipt (http/place-receipt.ts).
    const restored = isUnknownRequest(error)
      ? await restoreFromReceipt(deps, eventId, requestId, cookies)
      : null;
    if (restored === null) throw error;
    answer.cookies.push(...restored.setCookies);
    answer.body = await deps.room.status(eventId, restored.entry.requestId);
  }
};
