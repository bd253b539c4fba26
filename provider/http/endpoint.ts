/**
 * An endpoint written once for both HTTP stacks: a function from a request to an answer
 * (status, JSON body, Cache-Control, cookies), with a thin adapter for each stack —
 * `koaEndpoint` for the Koa apps (and through them the Lambda handlers), and the node:http
 * fast path of `anteroom serve` (`server/hot-path.ts`). The endpoints the fast path answers
 * (`/assign_queue_num`, `/status`, `/serving_num`, `/waiting_num`) are written this way, so
 * both stacks run the same steps and give the same answer.
 *
 * An endpoint fills `answer` and throws its failures; each adapter renders a failure with
 * `errorAnswer`, keeping the cookies the endpoint set before it failed.
 */
import type { AppDeps } from '../apps/deps.ts';
import { readBodyText } from './body.ts';
import type { ApiContext, Step } from './context.ts';
import { CACHE } from './steps.ts';

/** What an endpoint reads of a request, whatever carries it. */
export interface ApiRequest {
  /** `X-Request-Id` of this HTTP request (not the queue's request id). */
  readonly traceId: string;
  /** A query parameter: its value, every value when repeated, or undefined. */
  query(name: string): string | string[] | undefined;
  /** A request header by its lower-case name, or undefined. */
  header(name: string): string | undefined;
  /** The whole body as text (at most 16 KiB: 413 beyond it). */
  readBody(): Promise<string>;
  /** The client address per-client limits use (`http/client-address.ts`). */
  clientAddress(): string;
}

/** What an endpoint answers. */
export interface JsonAnswer {
  status: number;
  body: unknown;
  cacheControl: string;
  /** `Set-Cookie` values, in order. */
  cookies: string[];
  /** Seconds, for 429 and 503. */
  retryAfter: number | undefined;
}

export type Endpoint = (deps: AppDeps, request: ApiRequest, answer: JsonAnswer) => Promise<void>;

export function newAnswer(): JsonAnswer {
  return { status: 200, body: null, cacheControl: CACHE.none, cookies: [], retryAfter: undefined };
}

function koaRequest(ctx: ApiContext): ApiRequest {
  return {
    traceId: ctx.state.traceId,
    query: (name) => ctx.query[name],
    header: (name) => ctx.get(name) || undefined,
    readBody: () => readBodyText(ctx.req),
    clientAddress: () => ctx.ip,
  };
}

/** The endpoint as a Koa route; its failures go to `renderErrors` with the cookies it set. */
export function koaEndpoint(endpoint: Endpoint): Step {
  return async function answerEndpoint(ctx) {
    const answer = newAnswer();
    try {
      await endpoint(ctx.state.deps, koaRequest(ctx), answer);
    } finally {
      for (const cookie of answer.cookies) ctx.append('Set-Cookie', cookie);
    }
    ctx.status = answer.status;
    ctx.body = answer.body;
    ctx.set('Cache-Control', answer.cacheControl);
    if (answer.retryAfter !== undefined) ctx.set('Retry-After', String(answer.retryAfter));
  };
}
