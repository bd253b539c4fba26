/**
 * `POST /assign_queue_num` answered straight on `node:http` (see hot-path.ts for why).
 *
 * The same steps, in the same order, as the Koa endpoint (`api/assign-queue-num.ts`):
 * rate limit, JSON body, event id, event loaded and open, visitor key, enqueue. Only a body
 * type the endpoint would refuse is handed to Koa (before the body is read, so Koa can still
 * read it); from the body on, this handler answers every outcome itself, errors rendered by
 * the shared `errorAnswer`. `test/provider/hot-path.test.ts` checks it answers like Koa.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventClosedError } from '../../queue-core/errors.ts';
import { takesNewVisitors } from '../../queue-core/room/visitor-flow.ts';
import { parseEventId } from '../../queue-core/validate.ts';
import type { AppDeps } from '../apps/deps.ts';
import { isAcceptedBodyType, parseJsonObject, readBodyText } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import { EXPOSE_HEADERS } from '../http/cors.ts';
import { errorAnswer } from '../http/errors.ts';
import { traceIdOf } from '../http/request-id.ts';
import { CACHE } from '../http/steps.ts';
import { enqueueVisitorKeyOf, requestCookieHeader } from '../http/visitor.ts';

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** False when the Koa app should answer this request instead (nothing has been read yet). */
export function canEnqueueHere(req: IncomingMessage): boolean {
  return isAcceptedBodyType(header(req, 'content-type'));
}

export async function enqueueHere(deps: AppDeps, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const traceId = traceIdOf(header(req, 'x-request-id'));
  const cookies: string[] = [];
  let status = 200;
  let body: unknown;
  let retryAfter: number | undefined;
  try {
    const fields = parseJsonObject(await readBodyText(req));
    const eventId = parseEventId(fields.event_id);
    const event = await deps.room.getEvent(eventId);
    if (!takesNewVisitors(event)) throw eventClosedError();
    const visitor = enqueueVisitorKeyOf(header(req, 'idempotency-key'), header(req, 'cookie'), deps.config);
    if (visitor.setCookie) cookies.push(visitor.setCookie);
    const limiter = deps.enqueueLimiter;
    const rateLimit = limiter.enabled
      ? limiter.forClient(clientAddress(req.headers, req.socket.remoteAddress, deps.config.limits))
      : undefined;
    const joined = await deps.room.join(event, { visitorKey: visitor.visitorKey, rateLimit });
    if (joined.kind === 'closed') throw eventClosedError();
    cookies.push(requestCookieHeader(deps.config, eventId, joined.place.requestId));
    body = { api_request_id: joined.place.requestId, queue_number: joined.place.position };
  } catch (error) {
    const answer = errorAnswer(error, deps.logger, traceId);
    status = answer.status;
    body = answer.body;
    retryAfter = answer.retryAfter;
  }
  const text = JSON.stringify(body);
  const headers: Record<string, string | number | string[]> = {
    'X-Request-Id': traceId,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': EXPOSE_HEADERS,
    'Cache-Control': CACHE.none,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  };
  if (cookies.length > 0) headers['Set-Cookie'] = cookies;
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  res.writeHead(status, headers);
  res.end(text);
  return status;
}
