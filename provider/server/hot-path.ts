/**
 * The hot paths, answered straight on `node:http` in front of the Koa public app.
 *
 * During a wait, polling dominates: `GET /status`, `GET /serving_num` and `GET /waiting_num`
 * are most of the traffic, and Koa's per-request machinery costs more CPU than the work they
 * do (one micro-cached read, or one store read). This handler answers only their plain
 * success case, with the same body and headers as the Koa endpoints; anything else — another
 * method or path, a repeated or invalid parameter, an unknown event or request id, a store
 * error — is handed to the Koa app untouched, which then answers (and renders any error) as
 * usual. So the error rules stay in one place, and the Koa endpoints remain the reference
 * (the Lambda handlers use them alone); `test/provider/hot-path.test.ts` checks both agree.
 * `POST /assign_queue_num` (the arrival burst) is answered here too: see hot-enqueue.ts.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parseEventId, parseRequestId } from '../../queue-core/validate.ts';
import type { AppDeps } from '../apps/deps.ts';
import { EXPOSE_HEADERS } from '../http/cors.ts';
import { traceIdOf } from '../http/request-id.ts';
import { CACHE } from '../http/steps.ts';
import { canEnqueueHere, enqueueHere } from './hot-enqueue.ts';

type Answer = { body: unknown; cacheControl: string } | null;
type HotHandler = (deps: AppDeps, query: URLSearchParams) => Promise<Answer>;

/** The one value of a parameter, or null when it is absent or repeated (Koa rejects those). */
function single(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name);
  return values.length === 1 ? (values[0] as string) : null;
}

function eventIdOf(query: URLSearchParams): string | null {
  const value = single(query, 'event_id');
  if (value === null) return null;
  try {
    return parseEventId(value);
  } catch {
    return null;
  }
}

const HOT: ReadonlyMap<string, HotHandler> = new Map<string, HotHandler>([
  [
    '/serving_num',
    async function servingNum(deps, query) {
      const eventId = eventIdOf(query);
      if (eventId === null) return null;
      return {
        body: { serving_counter: await deps.room.servingCounter(eventId) },
        cacheControl: CACHE.shared,
      };
    },
  ],
  [
    '/waiting_num',
    async function waitingNum(deps, query) {
      const eventId = eventIdOf(query);
      if (eventId === null) return null;
      return { body: { waiting_num: await deps.room.waitingNum(eventId) }, cacheControl: CACHE.shared };
    },
  ],
  [
    '/status',
    async function status(deps, query) {
      const eventId = eventIdOf(query);
      const raw = single(query, 'request_id');
      if (eventId === null || raw === null) return null;
      let requestId: string;
      try {
        requestId = parseRequestId(raw);
      } catch {
        return null;
      }
      return { body: await deps.room.status(eventId, requestId), cacheControl: CACHE.private };
    },
  ],
]);

export function withHotPaths(deps: AppDeps, fallback: RequestListener): RequestListener {
  const timers = new Map<string, { observe(value: number): void }>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${route} ${status}`;
    let timer = timers.get(key);
    if (!timer) {
      timer = deps.metrics.httpDuration.labels({ app: 'public', method, route, status: String(status) });
      timers.set(key, timer);
    }
    timer.observe(seconds);
  };

  return function answerHotPath(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    if (req.method === 'POST' && path === '/assign_queue_num' && canEnqueueHere(req)) {
      const start = process.hrtime.bigint();
      enqueueHere(deps, req, res).then(
        (status) => observe('POST', path, status, Number(process.hrtime.bigint() - start) / 1e9),
        () => res.destroy(),
      );
      return;
    }
    if (req.method !== 'GET') return fallback(req, res);
    const handler = HOT.get(path);
    if (!handler) return fallback(req, res);
    const start = process.hrtime.bigint();
    handler(deps, new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1))).then(
      (answer) => {
        if (answer === null) return fallback(req, res);
        const body = JSON.stringify(answer.body);
        const incoming = req.headers['x-request-id'];
        res.writeHead(200, {
          'X-Request-Id': traceIdOf(typeof incoming === 'string' ? incoming : undefined),
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Expose-Headers': EXPOSE_HEADERS,
          'Cache-Control': answer.cacheControl,
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
        });
        res.end(body);
        observe('GET', path, 200, Number(process.hrtime.bigint() - start) / 1e9);
      },
      // Unknown event or request id, store outage…: the Koa app answers and renders the error.
      () => fallback(req, res),
    );
  };
}
