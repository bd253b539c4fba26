/**
 * The fast path: the busiest requests answered straight on `node:http`, in front of the Koa
 * public app, by the same endpoint functions the Koa routes call (`http/endpoint.ts`).
 *
 * During a wait, polling dominates (`GET /status`, `GET /serving_num`, `GET /waiting_num`), and
 * an arrival burst is all `POST /assign_queue_num`: Koa's per-request machinery costs more CPU
 * than the work these do (a micro-cached read, one store call). This adapter gives each the
 * endpoint's answer with the headers the Koa app would add (request id, CORS). Everything else
 * goes to the Koa app untouched: other paths and methods, a body type the enqueue refuses
 * (before the body is read, so Koa can still read it), and any failure of a read — the Koa app
 * then answers it as usual. Once the enqueue has read the body, its failures are rendered here
 * by the shared `errorAnswer`. `test/provider/hot-path.test.ts` checks both stacks agree.
 *
 * The answers of one event-loop turn are written together at its end, as the store's calls
 * are (`redis-store.ts`): a poll answered from the process's snapshot is ready within the turn
 * that read it, and written at once, each answer's system call would find its client asleep and
 * pay for waking it. Written in a row, the later ones find it awake: on loopback that halved the
 * CPU of a status poll (bench/server.ts).
 *
 * With the OpenID provider mounted, a flash crowd's visitors arrive at `GET /oidc/auth` and go
 * on to their waiting page: the parked entry (a 303 to the waiting page, `provider/oidc/park.ts`)
 * and the parked request's waiting page (`GET /oidc/interaction/<parked request>`) are answered
 * here too, by the same functions as the provider's Koa mount (`OidcEntry`, `OidcPage`).
 * Anything else the mount would answer differently (an error page, a refusal, a request for the
 * provider, a failure) goes to the Koa app, which reuses what was found here
 * (`test/provider/oidc/fast-entry.test.ts`).
 */
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { assignQueueNum } from '../api/assign-queue-num.ts';
import { checkStream } from '../api/event-stream.ts';
import { servingNum } from '../api/serving-num.ts';
import { status } from '../api/status.ts';
import { openStatusStream } from '../api/status-stream.ts';
import { waitingNum } from '../api/waiting-num.ts';
import type { AppDeps } from '../apps/deps.ts';
import type { AnteroomConfig } from '../config/server-config.ts';
import { isAcceptedBodyType, readBodyText } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import { API_CORS_HEADERS } from '../http/cors.ts';
import { type ApiRequest, type Endpoint, type JsonAnswer, newAnswer } from '../http/endpoint.ts';
import { errorAnswer } from '../http/errors.ts';
import { traceIdOf } from '../http/request-id.ts';
import { CACHE } from '../http/steps.ts';
import type { CollectedPage } from '../oidc/interaction.ts';
import { httpTimer, secondsSince } from '../telemetry/metrics.ts';

const READS: ReadonlyMap<string, Endpoint> = new Map([
  ['/status', status],
  ['/serving_num', servingNum],
  ['/waiting_num', waitingNum],
]);
const ENQUEUE_PATH = '/assign_queue_num';
const STREAM_PATH = /^\/events\/([^/]+)\/stream$/;
/** `<mount>/auth` of the OpenID provider (`provider/oidc/on-demand.ts`). */
const OIDC_AUTH_PATH = '/oidc/auth';

/**
 * The OpenID provider's parked entry (`OidcEntry` of `provider/oidc/index.ts`; a type here, so
 * this module never loads the provider): its 303, or null for the Koa app.
 */
export type HotOidcEntry = (
  req: IncomingMessage,
  query: string,
  client: string,
) => Promise<CollectedPage | null>;

/** A parked request's waiting page (`OidcPage` of `provider/oidc/index.ts`), or null for the Koa app. */
export type HotOidcPage = (
  req: IncomingMessage,
  token: string,
  client: string,
) => Promise<CollectedPage | null>;

export interface HotPathOptions {
  /** Answer `GET /oidc/auth` here when it parks (the provider is mounted). */
  oidcEntry?: HotOidcEntry;
  /** Answer a parked request's waiting page here (the provider is mounted). */
  oidcPage?: HotOidcPage;
}

/** `/oidc/interaction/<one segment>`: a waiting page (its poll, `/status`, is the Koa app's). */
const OIDC_PAGE_PATH = /^\/oidc\/interaction\/([^/]+)$/;

/** A `node:http` request as an endpoint reads it. */
class NodeRequest implements ApiRequest {
  readonly traceId: string;
  readonly #req: IncomingMessage;
  readonly #search: string;
  readonly #limits: AnteroomConfig['limits'];
  #params: URLSearchParams | null = null;
  #client: string | null = null;

  constructor(req: IncomingMessage, search: string, limits: AnteroomConfig['limits']) {
    this.#req = req;
    this.#search = search;
    this.#limits = limits;
    this.traceId = traceIdOf(this.header('x-request-id'));
  }

  query(name: string): string | string[] | undefined {
    this.#params ??= new URLSearchParams(this.#search);
    const values = this.#params.getAll(name);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  }

  header(name: string): string | undefined {
    const value = this.#req.headers[name];
    return typeof value === 'string' ? value : undefined;
  }

  readBody(): Promise<string> {
    return readBodyText(this.#req);
  }

  /** Read twice by the enqueue (its visitor key, its budget): worked out once. */
  clientAddress(): string {
    this.#client ??= clientAddress(this.#req.headers, this.#req.socket.remoteAddress, this.#limits);
    return this.#client;
  }
}

/**
 * The headers the Koa public app gives an API answer of `text` (its JSON body); `Set-Cookie`
 * is the answer's cookies. The Lambda handler answers with them too (`lambda/fast-answer.ts`).
 */
export function answerHeaders(traceId: string, answer: JsonAnswer, text: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'X-Request-Id': traceId,
    ...API_CORS_HEADERS,
    'Cache-Control': answer.cacheControl,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  };
  if (answer.cookies.length > 0) headers['Set-Cookie'] = answer.cookies;
  if (answer.retryAfter !== undefined) headers['Retry-After'] = String(answer.retryAfter);
  return headers;
}

/** The answer with the headers the Koa public app gives an API answer. */
function writeAnswer(res: ServerResponse, traceId: string, answer: JsonAnswer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, answerHeaders(traceId, answer, text));
  res.end(text);
}

/** A page collected by the provider's view, with the request id first as the Koa app sets it. */
function writePage(res: ServerResponse, traceId: string, page: CollectedPage): void {
  const headers: OutgoingHttpHeaders = { 'X-Request-Id': traceId };
  const cookies: string[] = [];
  for (const [name, value] of page.headers) {
    if (name === 'Set-Cookie') {
      cookies.push(value);
      headers['Set-Cookie'] = cookies;
    } else {
      headers[name] = value;
    }
  }
  headers['Content-Length'] = Buffer.byteLength(page.body);
  res.writeHead(page.status, headers);
  res.end(page.body);
}

/** Queue a write for the end of the current event-loop turn, with every other one of the turn. */
function writesByTurn(): (write: () => void) => void {
  let due: Array<() => void> | null = null;
  const flush = () => {
    const writes = due ?? [];
    due = null;
    for (const write of writes) write();
  };
  return (write) => {
    if (due === null) {
      due = [];
      setImmediate(flush);
    }
    due.push(write);
  };
}

/**
 * The endpoint this adapter answers a request with, or undefined when the Koa app should
 * (also the Lambda handler's choice, `lambda/fast-answer.ts`).
 */
export function hotEndpoint(
  method: string | undefined,
  path: string,
  contentType: string | undefined,
): Endpoint | undefined {
  if (method === 'GET') return READS.get(path);
  if (method === 'POST' && path === ENQUEUE_PATH)
    return isAcceptedBodyType(contentType) ? assignQueueNum : undefined;
  return undefined;
}

function endpointFor(req: IncomingMessage, path: string): Endpoint | undefined {
  const type = req.headers['content-type'];
  return hotEndpoint(req.method, path, typeof type === 'string' ? type : undefined);
}

/**
 * A waiting crowd holds its status streams for minutes each: opened here, a stream keeps no
 * Koa context alive, only node's response. A request the checks refuse (400, 404, 429) goes to
 * the Koa app, which answers it as usual.
 */
function answerStream(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawEventId: string,
  search: string,
  fallback: RequestListener,
): void {
  const request = new NodeRequest(req, search, deps.config.limits);
  let eventId: string;
  try {
    eventId = decodeURIComponent(rawEventId);
  } catch {
    fallback(req, res);
    return;
  }
  checkStream(deps, eventId, request).then(
    (checked) => {
      if (res.destroyed) {
        checked.release();
        return;
      }
      openStatusStream(res, {
        deps,
        eventId: checked.eventId,
        place: checked.place,
        traceId: request.traceId,
        onEnd: checked.release,
      });
    },
    () => fallback(req, res),
  );
}

export function withHotPaths(
  deps: AppDeps,
  fallback: RequestListener,
  options: HotPathOptions = {},
): RequestListener {
  const observe = httpTimer(deps.metrics, 'public');
  const { limits } = deps.config;
  const atTurnEnd = writesByTurn();
  const { oidcEntry, oidcPage } = options;

  /**
   * A parked OIDC step (the `GET /oidc/auth` entry, a parked request's waiting page): answered
   * here once `work` gives its page, or handed to the Koa app (null, or a failure), which renders
   * every other answer. Koa labels these paths `unmatched` (no router route).
   */
  const answerParked = (
    req: IncomingMessage,
    res: ServerResponse,
    work: (client: string) => Promise<CollectedPage | null>,
  ) => {
    const start = process.hrtime.bigint();
    const traceId = traceIdOf(
      typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined,
    );
    work(clientAddress(req.headers, req.socket.remoteAddress, limits)).then(
      (page) => {
        if (page === null) return fallback(req, res);
        atTurnEnd(() => {
          try {
            writePage(res, traceId, page);
            observe('GET', 'unmatched', page.status, secondsSince(start));
          } catch {
            res.destroy();
          }
        });
      },
      () => fallback(req, res),
    );
  };

  return function answerHotPath(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    if (oidcEntry !== undefined && path === OIDC_AUTH_PATH && req.method === 'GET') {
      const query = mark < 0 ? '' : url.slice(mark + 1);
      return answerParked(req, res, (client) => oidcEntry(req, query, client));
    }
    if (oidcPage !== undefined && req.method === 'GET' && path.startsWith('/oidc/interaction/')) {
      const token = OIDC_PAGE_PATH.exec(path)?.[1];
      if (token !== undefined) return answerParked(req, res, (client) => oidcPage(req, token, client));
    }
    if (req.method === 'GET' && path.endsWith('/stream')) {
      const match = STREAM_PATH.exec(path);
      if (match)
        return answerStream(
          deps,
          req,
          res,
          match[1] as string,
          mark < 0 ? '' : url.slice(mark + 1),
          fallback,
        );
    }
    const endpoint = endpointFor(req, path);
    if (endpoint === undefined) return fallback(req, res);
    const start = process.hrtime.bigint();
    const request = new NodeRequest(req, mark < 0 ? '' : url.slice(mark + 1), limits);
    const answer = newAnswer();
    const respond = () =>
      atTurnEnd(() => {
        try {
          writeAnswer(res, request.traceId, answer);
          observe(req.method as string, path, answer.status, secondsSince(start));
        } catch {
          res.destroy();
        }
      });
    // One reaction for both outcomes (no promise chained per request); nothing thrown escapes it.
    endpoint(deps, request, answer).then(respond, (error: unknown) => {
      try {
        // A read's failure (bad parameter, unknown id, store outage…): the Koa app answers it.
        if (req.method === 'GET') return fallback(req, res);
        const failure = errorAnswer(error, deps.logger, request.traceId);
        answer.status = failure.status;
        answer.body = failure.body;
        answer.retryAfter = failure.retryAfter;
        answer.cacheControl = CACHE.none;
        respond();
      } catch {
        res.destroy();
      }
    });
  };
}
