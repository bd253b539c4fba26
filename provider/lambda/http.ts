/**
 * An API Gateway handler (REST payload 1.0 and HTTP API payload 2.0) around one Koa app,
 * through `serverless-http`, which the first request that reaches the app loads (`import()`):
 * the public handler answers the queue API's fast paths from the event itself
 * (`fast-answer.ts`). Per invocation, in order:
 *
 * 1. `stripStage`: the app routes on root-relative paths;
 * 2. the container (built once, retried after a failed build; a failed build answers 503);
 * 3. the origin secret (public handler, when configured): 403 `origin_forbidden` without it;
 * 4. `GET /events/{id}/stream` becomes one Server-Sent Events snapshot (see `sse-snapshot.ts`);
 *    any other request the fast path answers (`fast` option) is answered without the app;
 * 5. the request the app sees carries the external scheme, host and prefix (`stage.ts`),
 *    and — admin handler behind an IAM-authorized API — the admin bearer key (`iam-admin.ts`);
 * 6. status events the app published, and the presence its requests recorded, are sent before
 *    the invocation returns (a frozen container sends nothing).
 */
import type { IncomingMessage } from 'node:http';
import { RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { ERRORS } from '../../queue-core/errors.ts';
import { codeBody } from '../http/errors.ts';
import { trustPrefixHeader } from '../pages/base-path.ts';
import type { AppLike, InitHint, LambdaContainer } from './container.ts';
import { type FastAnswer, fastAnswer } from './fast-answer.ts';
import { iamCaller } from './iam-admin.ts';
import { ORIGIN_SECRET_HEADER, originSecretCheck } from './origin-secret.ts';
import { rewriteStreamRequest, snapshotAsEventStream } from './sse-snapshot.ts';
import { type ExternalBase, externalBase, headerOf, stripStage } from './stage.ts';
import type { ApiGatewayEvent, ApiGatewayResult, LambdaContext } from './types.ts';
import { isHttpApiEvent } from './types.ts';

export type ApiGatewayHandler = (event: ApiGatewayEvent, context: LambdaContext) => Promise<ApiGatewayResult>;

export interface HttpHandlerOptions {
  kind: 'public' | 'admin';
  /** The container's state: `ContainerState`, or a ready one (`lambdaHandlerForApp`). */
  container: { get(hint?: InitHint): Promise<LambdaContainer> };
  /** The app of this handler, built once per container. */
  app: (container: LambdaContainer) => Promise<AppLike>;
  /** Answer the queue API's fast paths from the event, before the app (the public handler). */
  fast?: boolean;
}

/** Per-invocation facts the `serverless-http` request hook applies. */
interface RequestShape {
  base: ExternalBase;
  /** Admin handler: the bearer key to present for an IAM-verified caller. */
  adminKey: string | null;
}

type ServerlessHandler = (event: object, context: object) => Promise<object>;

/** An HTTP handler that can also build its container and app before its first event. */
export type WarmableHandler = ApiGatewayHandler & {
  /**
   * Builds the container (no request hint: the public URL must come from the configuration) and
   * this handler's app. A failed build is forgotten, as on a request: the next one tries again.
   */
  warm(): Promise<void>;
};

export function createHttpHandler(options: HttpHandlerOptions): WarmableHandler {
  const shapes = new WeakMap<object, RequestShape>();
  const wrapped = new WeakMap<LambdaContainer, Promise<ServerlessHandler>>();
  const originChecks = new WeakMap<LambdaContainer, (given: string | undefined) => boolean>();

  const fastAnswers = new WeakMap<LambdaContainer, FastAnswer>();

  const serverlessFor = (container: LambdaContainer): Promise<ServerlessHandler> => {
    let handler = wrapped.get(container);
    if (!handler) {
      const building = Promise.all([options.app(container), import('serverless-http')]).then(
        ([app, loaded]) =>
          loaded.default(app, {
            binary: isBinaryResponse,
            request: (req: IncomingMessage, event: object) => {
              const shape = shapes.get(event);
              if (shape) shapeRequest(req, shape);
            },
          }),
      );
      handler = building;
      wrapped.set(container, building);
      // A failed app build (a bad OIDC client, say) is retried by the next invocation.
      building.catch(() => {
        if (wrapped.get(container) === building) wrapped.delete(container);
      });
    }
    return handler;
  };

  const handleHttp: ApiGatewayHandler = async (rawEvent, context) => {
    const { event, stagePrefix } = stripStage(rawEvent);
    let container: LambdaContainer;
    let handler: ServerlessHandler | null = null;
    try {
      container = await options.container.get({
        derivedPublicUrl: baseUrl(externalBase(event, stagePrefix, null)),
      });
      if (!options.fast) handler = await serverlessFor(container);
    } catch (error) {
      return coldStartFailed(event, context, error);
    }

    if (options.kind === 'public' && container.settings.originSecret) {
      let check = originChecks.get(container);
      if (!check) {
        check = originSecretCheck(container.settings.originSecret);
        originChecks.set(container, check);
      }
      if (!check(headerOf(event, ORIGIN_SECRET_HEADER))) {
        return jsonResult(event, ERRORS.origin_forbidden.status, codeBody('origin_forbidden'), context);
      }
    }

    const stream = options.kind === 'public' ? rewriteStreamRequest(event) : null;
    if (options.fast && stream === null) {
      let answer = fastAnswers.get(container);
      if (!answer) {
        answer = fastAnswer(container.deps);
        fastAnswers.set(container, answer);
      }
      try {
        const result = await answer(event);
        if (result !== null) return result;
      } finally {
        await Promise.all([container.publisher.flush(), container.deps.room.settled()]);
      }
    }
    if (handler === null) {
      try {
        handler = await serverlessFor(container);
      } catch (error) {
        return coldStartFailed(event, context, error);
      }
    }
    const appEvent = stream?.event ?? event;
    // The admin API has an address of its own (its own API, its own stage), not the public URL.
    const base = externalBase(
      event,
      stagePrefix,
      options.kind === 'public' ? container.settings.config.publicUrl : null,
    );
    const adminKey =
      options.kind === 'admin' && iamCaller(event) ? (container.deps.config.adminKeys[0] ?? null) : null;
    shapes.set(appEvent, { base, adminKey });

    try {
      const result = (await handler(appEvent, context)) as ApiGatewayResult;
      return stream ? snapshotAsEventStream(result) : result;
    } finally {
      // Nor does it send the presence its requests recorded (absent visitors, API.md section 6).
      await Promise.all([container.publisher.flush(), container.deps.room.settled()]);
    }
  };
  return Object.assign(handleHttp, {
    warm: async () => {
      const container = await options.container.get();
      // The fast path needs nothing more; the app and serverless-http wait for a request that does.
      if (!options.fast) await serverlessFor(container);
    },
  });
}

/** 503 with Retry-After: the container or the app could not be built (the next request tries again). */
function coldStartFailed(event: ApiGatewayEvent, context: LambdaContext, error: unknown): ApiGatewayResult {
  // Maybe no logger yet: one JSON line on stderr, which Lambda ships to CloudWatch Logs.
  console.error(JSON.stringify({ level: 'error', msg: 'lambda cold start failed', err: describe(error) }));
  return jsonResult(event, ERRORS.service_unavailable.status, codeBody('service_unavailable'), context, {
    'retry-after': String(RETRY_AFTER_SECONDS.storeUnavailable),
  });
}

function baseUrl(base: ExternalBase): string {
  return `${base.protocol}//${base.host}${base.prefix}`;
}

/** What the app sees: the external address, never the origin secret. */
function shapeRequest(req: IncomingMessage, shape: RequestShape): void {
  const { base } = shape;
  req.headers.host = base.host;
  req.headers['x-forwarded-host'] = base.host;
  req.headers['x-forwarded-proto'] = base.protocol.replace(/:$/, '');
  if (base.prefix) req.headers['x-forwarded-prefix'] = base.prefix;
  else delete req.headers['x-forwarded-prefix'];
  // Set or removed just above, never the client's: the pages may build their URLs on it.
  trustPrefixHeader(req);
  // serverless-http marks every request's socket encrypted; an http:// public URL (a local
  // bridge) must not produce https:// links.
  (req.socket as { encrypted?: boolean }).encrypted = base.protocol === 'https:';
  delete req.headers[ORIGIN_SECRET_HEADER];
  if (shape.adminKey) req.headers.authorization = `Bearer ${shape.adminKey}`;
}

const TEXT_TYPES = [
  /^text\//,
  /^application\/(.+\+)?json$/,
  /^application\/(.+\+)?xml$/,
  /^application\/(x-)?javascript$/,
  /^application\/x-www-form-urlencoded$/,
  /^image\/svg\+xml$/,
];

/** Compressed or non-text bodies go back base64-encoded (API Gateway decodes them). */
export function isBinaryResponse(headers: Record<string, unknown>): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  if (/gzip|deflate|br|zstd/.test(encoding)) return true;
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type === '') return false;
  return !TEXT_TYPES.some((pattern) => pattern.test(type));
}

/** A JSON answer made by the handler itself (before the app), in the event's format. */
export function jsonResult(
  event: ApiGatewayEvent,
  statusCode: number,
  body: { error: string; code: string },
  context: LambdaContext,
  extraHeaders: Record<string, string> = {},
): ApiGatewayResult {
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': context.awsRequestId,
    ...extraHeaders,
  };
  const text = JSON.stringify(body);
  return isHttpApiEvent(event)
    ? { statusCode, headers, cookies: [], body: text, isBase64Encoded: false }
    : { statusCode, headers, multiValueHeaders: {}, body: text, isBase64Encoded: false };
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}
