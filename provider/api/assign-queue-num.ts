/**
 * `POST /assign_queue_num` — take a place in the queue (synchronous, idempotent per visitor).
 *
 * One endpoint for both HTTP stacks (`http/endpoint.ts`): the Koa route (and the Lambda
 * handlers) and the node:http fast path of `anteroom serve` (the arrival burst) run these
 * steps: the JSON body, the event (known and open), the visitor's key, the place.
 */
import { AnteroomError } from '../../queue-core/errors.ts';
import { takesNewVisitors } from '../../queue-core/room/visitor-flow.ts';
import type { EventSettings, QueueEntry } from '../../queue-core/types.ts';
import { parseEventId } from '../../queue-core/validate.ts';
import type { AppDeps } from '../apps/deps.ts';
import { isAcceptedBodyType, parseJsonObject, unsupportedType } from '../http/body.ts';
import { CHALLENGE_HEADER, ENQUEUE_TOKEN_HEADER } from '../http/cors.ts';
import type { ApiRequest, Endpoint, JsonAnswer } from '../http/endpoint.ts';
import { codeBody } from '../http/errors.ts';
import { keepsCookies, receiptCookieHeader } from '../http/place-receipt.ts';
import { CACHE } from '../http/steps.ts';
import { type EnqueueVisitor, enqueueVisitor, requestCookieHeader } from '../http/visitor.ts';

async function readFields(request: ApiRequest): Promise<Record<string, unknown>> {
  if (!isAcceptedBodyType(request.header('content-type'))) throw unsupportedType();
  return parseJsonObject(await request.readBody());
}

/** The event's live settings: an unknown id is `invalid_event_id`, a closed event `event_closed`. */
async function loadOpenEvent(deps: AppDeps, fields: Record<string, unknown>): Promise<EventSettings> {
  const event = await deps.room.getEvent(parseEventId(fields.event_id));
  if (!takesNewVisitors(event))
    throw new AnteroomError(event.mode === 'sold_out' ? 'sold_out' : 'event_closed');
  return event;
}

/**
 * The `Idempotency-Key` (bound to this client), else the signed visitor cookie (set now when the
 * browser has none).
 */
function visitorOf(deps: AppDeps, request: ApiRequest, answer: JsonAnswer): EnqueueVisitor {
  const visitor = enqueueVisitor(
    {
      idempotencyKey: request.header('idempotency-key'),
      cookies: request.header('cookie'),
      client: request.clientAddress(),
    },
    deps.config,
    deps.visitorCookies,
  );
  if (visitor.setCookie) answer.cookies.push(visitor.setCookie);
  return visitor;
}

/**
 * A new place draws on the client's budget in the same atomic step (429 when spent). With an
 * entry challenge or enqueue tokens, a new visitor is screened first (API.md section 6): the
 * answer in `Anteroom-Challenge`, the site's JWT in `Anteroom-Enqueue-Token`. A refusal is a
 * 403 with its code, and a challenge to solve rides with `challenge_required`/`challenge_failed`.
 */
async function joinQueue(
  deps: AppDeps,
  event: EventSettings,
  visitor: EnqueueVisitor,
  request: ApiRequest,
  answer: JsonAnswer,
): Promise<{ place: QueueEntry; serving: number | null } | null> {
  const limiter = deps.enqueueLimiter;
  const client = request.clientAddress();
  const joined = await deps.room.join(event, {
    visitorKey: visitor.visitorKey,
    keyOwner: visitor.keyOwner,
    rateLimit: limiter.enabled ? limiter.forClient(client) : undefined,
    challengeAnswer: request.header(CHALLENGE_HEADER),
    enqueueToken: request.header(ENQUEUE_TOKEN_HEADER),
    client,
  });
  switch (joined.kind) {
    case 'joined':
      return { place: joined.place, serving: joined.admitted?.serving ?? null };
    case 'challenge_required':
    case 'challenge_failed':
      answer.status = 403;
      answer.body = { ...codeBody(joined.kind), challenge: joined.challenge };
      return null;
    case 'closed':
      throw new AnteroomError(event.mode === 'sold_out' ? 'sold_out' : 'event_closed');
    case 'not_open':
      answer.status = 403;
      answer.body = { ...codeBody('event_not_open'), opens_at: joined.opensAt };
      return null;
    case 'enqueue_token_required':
    case 'enqueue_token_invalid':
      throw new AnteroomError(joined.kind);
  }
}

/** The place; in a pre-queue (API.md section 6) no position yet, and when the sale starts. */
function respond(
  deps: AppDeps,
  answer: JsonAnswer,
  event: EventSettings,
  { place, serving }: { place: QueueEntry; serving: number | null },
  receipt: string | null,
): void {
  answer.cookies.push(requestCookieHeader(deps.config, place.eventId, place.requestId));
  if (receipt !== null) answer.cookies.push(receipt);
  answer.cacheControl = CACHE.none;
  answer.body =
    place.position === null
      ? {
          api_request_id: place.requestId,
          queue_number: null,
          phase: 'prequeue',
          starts_at: event.schedule!.startAt,
        }
      : serving === null
        ? { api_request_id: place.requestId, queue_number: place.position }
        : // Admitted by the enqueue itself (max-size `instant`): the counter already serves it.
          { api_request_id: place.requestId, queue_number: place.position, serving_counter: serving };
}

export const assignQueueNum: Endpoint = async function assignQueueNum(deps, request, answer) {
  const fields = await readFields(request);
  const event = await loadOpenEvent(deps, fields);
  const visitor = visitorOf(deps, request, answer);
  const joined = await joinQueue(deps, event, visitor, request, answer);
  // A client that keeps cookies gets the place's signed receipt (http/place-receipt.ts): what
  // re-creates the place if the store loses it. The others pay nothing for it.
  if (joined !== null) {
    const receipt = keepsCookies(request.header('cookie'))
      ? await receiptCookieHeader(deps, joined.place)
      : null;
    respond(deps, answer, event, joined, receipt);
  }
};
