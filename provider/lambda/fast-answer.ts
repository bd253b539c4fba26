/**
 * The public handler's fast path, straight from the API Gateway event: `POST /assign_queue_num`
 * and the status polls (`/status`, `/serving_num`, `/waiting_num`) are answered by the same
 * endpoints, with the same headers, as `anteroom serve`'s fast path (`server/hot-path.ts`),
 * without building a `node:http` request and response around the event. `serverless-http` and
 * the Koa app are then loaded by the first request that needs them, never by a cold start whose
 * first request joins the queue (bench/lambda-cold.ts).
 *
 * The request the endpoint reads is the one `serverless-http` would build: header names in
 * lower case (a REST event's multi-value headers joined by `, `, then its single-value ones; an
 * HTTP API event's cookies joined into `Cookie`), the body decoded, the peer address the
 * event's source IP, and `X-Request-Id` the caller's or API Gateway's request id. The result
 * has the shape `serverless-http` gives the same answer: lower-case headers, `Set-Cookie` in
 * `multiValueHeaders` (REST) or `cookies` (HTTP API). A failing read (a bad parameter, a store
 * outage) is handed to the Koa app, as on `anteroom serve`; an enqueue's failure is rendered here.
 */
import { BODY_LIMIT_BYTES } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { AppDeps } from '../apps/deps.ts';
import { clientAddress } from '../http/client-address.ts';
import { type ApiRequest, newAnswer } from '../http/endpoint.ts';
import { errorAnswer } from '../http/errors.ts';
import { traceIdOf } from '../http/request-id.ts';
import { CACHE } from '../http/steps.ts';
import { answerHeaders, hotEndpoint } from '../server/hot-path.ts';
import { httpTimer, secondsSince } from '../telemetry/metrics.ts';
import { ORIGIN_SECRET_HEADER } from './origin-secret.ts';
import { httpMethod, routePath } from './stage.ts';
import { type ApiGatewayEvent, type ApiGatewayResult, isHttpApiEvent } from './types.ts';

/** The answer to a (stage-stripped) event, or null when the Koa app answers it. */
export type FastAnswer = (event: ApiGatewayEvent) => Promise<ApiGatewayResult | null>;

export function fastAnswer(deps: AppDeps): FastAnswer {
  const observe = httpTimer(deps.metrics, 'public');
  return async (event) => {
    const method = httpMethod(event);
    const path = routePath(event);
    const headers = headersOf(event);
    const endpoint = hotEndpoint(method, path, headers['content-type']);
    if (endpoint === undefined) return null;
    const start = process.hrtime.bigint();
    const request = new EventRequest(event, headers, deps.config.limits);
    const answer = newAnswer();
    try {
      await endpoint(deps, request, answer);
    } catch (error) {
      // A read's failure (bad parameter, unknown id, store outage…): the Koa app answers it.
      if (method === 'GET') return null;
      const failure = errorAnswer(error, deps.logger, request.traceId);
      answer.status = failure.status;
      answer.body = failure.body;
      answer.retryAfter = failure.retryAfter;
      answer.cacheControl = CACHE.none;
    }
    const text = JSON.stringify(answer.body);
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(answerHeaders(request.traceId, answer, text))) {
      if (name !== 'Set-Cookie') result[name.toLowerCase()] = String(value);
    }
    observe(method, path, answer.status, secondsSince(start));
    const multiValueHeaders: Record<string, string[]> =
      answer.cookies.length > 0 ? { 'set-cookie': answer.cookies } : {};
    return isHttpApiEvent(event)
      ? {
          statusCode: answer.status,
          headers: result,
          cookies: answer.cookies,
          body: text,
          isBase64Encoded: false,
        }
      : {
          statusCode: answer.status,
          headers: result,
          multiValueHeaders,
          body: text,
          isBase64Encoded: false,
        };
  };
}

/** The request headers `serverless-http` would hand the app (without the origin secret). */
function headersOf(event: ApiGatewayEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  if (isHttpApiEvent(event)) {
    if (Array.isArray(event.cookies)) headers.cookie = event.cookies.join('; ');
  } else {
    for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
      headers[name.toLowerCase()] = values.join(', ');
    }
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  delete headers[ORIGIN_SECRET_HEADER];
  return headers;
}

const tooLarge = () =>
  new AnteroomError('payload_too_large', `Request body exceeds ${BODY_LIMIT_BYTES} bytes`);

/** An API Gateway event as an endpoint reads it. */
class EventRequest implements ApiRequest {
  readonly traceId: string;
  readonly #event: ApiGatewayEvent;
  readonly #headers: Record<string, string>;
  readonly #limits: AppDeps['config']['limits'];
  #params: URLSearchParams | null = null;

  constructor(event: ApiGatewayEvent, headers: Record<string, string>, limits: AppDeps['config']['limits']) {
    this.#event = event;
    this.#headers = headers;
    this.#limits = limits;
    this.traceId = traceIdOf(headers['x-request-id'] || event.requestContext?.requestId);
  }

  query(name: string): string | string[] | undefined {
    this.#params ??= queryOf(this.#event);
    const values = this.#params.getAll(name);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  }

  header(name: string): string | undefined {
    return this.#headers[name];
  }

  async readBody(): Promise<string> {
    const { body } = this.#event;
    if (body === null || body === undefined) return '';
    const bytes = Buffer.from(body, this.#event.isBase64Encoded ? 'base64' : 'utf8');
    if (bytes.length > BODY_LIMIT_BYTES) throw tooLarge();
    return bytes.toString('utf8');
  }

  clientAddress(): string {
    const event = this.#event;
    const peer = isHttpApiEvent(event)
      ? event.requestContext?.http?.sourceIp
      : event.requestContext?.identity?.sourceIp;
    return clientAddress(this.#headers, peer, this.#limits);
  }
}

/** The query `serverless-http` would give the app: an HTTP API's raw query; a REST event's parameters. */
function queryOf(event: ApiGatewayEvent): URLSearchParams {
  if (isHttpApiEvent(event)) return new URLSearchParams(event.rawQueryString ?? '');
  const params = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) for (const value of values) params.append(name, value);
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (!multi[name]?.includes(value)) params.append(name, value);
  }
  return params;
}
