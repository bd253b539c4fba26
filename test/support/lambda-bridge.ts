/**
 * Runs any HTTP test "through Lambda": a node:http server that turns each request into the
 * event API Gateway would send (REST API proxy event, payload 1.0; or HTTP API event,
 * payload 2.0), invokes the handler with a Lambda-like context and writes the result back
 * the way API Gateway does. Point supertest (or a browser, or an OIDC client) at it.
 *
 * What API Gateway does and the bridge copies:
 * - REST (v1): `event.path` has the stage stripped, `requestContext.path` keeps it; both keep
 *   the client's percent-encoding; header
 *   names keep the client's case, `headers` holds the last value of a repeated header and
 *   `multiValueHeaders` all of them; query values are URL-decoded; no body is `null`; text
 *   bodies arrive as text (`isBase64Encoded: false`); a path outside the stage answers 403
 *   `Missing Authentication Token`, as API Gateway does for an unknown resource.
 * - HTTP API (v2): `rawPath` includes a named stage and arrives percent-decoded (as captured
 *   from live HTTP APIs); header names are lower case, repeated
 *   headers are joined with commas; `Cookie` moves to `cookies`; `rawQueryString` is as sent;
 *   non-text bodies (forms included) arrive base64-encoded; a path outside the stage answers
 *   404 `Not Found`.
 * - Results: `headers` + `multiValueHeaders` are merged (v1), `cookies` become `Set-Cookie`
 *   (v2), base64 bodies are decoded. Responses are buffered: a Lambda proxy integration
 *   cannot stream, so the handlers answer Server-Sent Events with one snapshot.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  ApiGatewayEvent,
  ApiGatewayResult,
  HttpApiEvent,
  LambdaContext,
  RestApiEvent,
} from '../../provider/lambda/types.ts';

export type ApiGatewayHandler = (event: ApiGatewayEvent, context: LambdaContext) => Promise<ApiGatewayResult>;

export interface LambdaBridgeOptions {
  format: 'v1' | 'v2';
  /**
   * The stage in the client-visible path (`/api/...`). Without it: v1 behaves like a custom
   * domain with an empty base-path mapping (stage `prod`, no prefix), v2 like `$default`.
   */
  stage?: string | undefined;
  /** API Gateway's domain name (`requestContext.domainName`, `Host`); default: the request's Host. */
  host?: string | undefined;
  /** Lambda timeout the context reports (default 30 s). */
  timeoutMs?: number | undefined;
}

const ACCOUNT_ID = '123456789012';
const API_ID = 'a1b2c3d4e5';
const TEXT_TYPES = [
  /^text\//,
  /^application\/(.+\+)?json$/,
  /^application\/(.+\+)?xml$/,
  /^application\/javascript$/,
];

export function lambdaBridge(handler: ApiGatewayHandler, options: LambdaBridgeOptions): Server {
  return createServer(lambdaListener(handler, options));
}

/**
 * The bridge as a request listener: hand it to supertest (`request(listener)`) wherever a
 * suite passes an app's `callback()`, and the suite runs through Lambda unchanged.
 */
export function lambdaListener(
  handler: ApiGatewayHandler,
  options: LambdaBridgeOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    readBody(req)
      .then((body) => invoke(handler, options, req, body))
      .then((result) => writeResult(res, result, options.format))
      .catch((error: unknown) => {
        // A handler that throws is what API Gateway reports as 502 Internal server error.
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal server error' }));
        if (process.env.LAMBDA_BRIDGE_DEBUG) console.error(error);
      });
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Incoming {
  method: string;
  /** Path as the client sent it (still percent-encoded). */
  path: string;
  rawQuery: string;
  /** [name as sent, value] pairs in order. */
  headers: [string, string][];
  body: Buffer;
  sourceIp: string;
  domainName: string;
  requestId: string;
  time: Date;
}

async function invoke(
  handler: ApiGatewayHandler,
  options: LambdaBridgeOptions,
  req: IncomingMessage,
  body: Buffer,
): Promise<ApiGatewayResult> {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const incoming: Incoming = {
    method: req.method ?? 'GET',
    path: queryAt === -1 ? target : target.slice(0, queryAt),
    rawQuery: queryAt === -1 ? '' : target.slice(queryAt + 1),
    headers: headerPairs(req),
    body,
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    domainName: options.host ?? req.headers.host ?? 'localhost',
    requestId: randomUUID(),
    time: new Date(),
  };
  const stagePrefix = options.stage ? `/${options.stage}` : '';
  if (stagePrefix && incoming.path !== stagePrefix && !incoming.path.startsWith(`${stagePrefix}/`)) {
    return gatewayMiss(options.format);
  }
  const event = options.format === 'v1' ? restEvent(incoming, options) : httpApiEvent(incoming, options);
  return handler(event, lambdaContext(options.timeoutMs ?? 30_000));
}

function headerPairs(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    pairs.push([req.rawHeaders[index]!, req.rawHeaders[index + 1]!]);
  }
  return pairs;
}

/** What API Gateway itself answers for a path outside the stage. */
function gatewayMiss(format: 'v1' | 'v2'): ApiGatewayResult {
  return format === 'v1'
    ? {
        statusCode: 403,
        headers: {
          'content-type': 'application/json',
          'x-amzn-errortype': 'MissingAuthenticationTokenException',
        },
        body: JSON.stringify({ message: 'Missing Authentication Token' }),
        isBase64Encoded: false,
      }
    : {
        statusCode: 404,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Not Found' }),
        isBase64Encoded: false,
      };
}

/** Headers API Gateway adds in front of the function. */
function gatewayHeaders(incoming: Incoming): [string, string][] {
  const forwardedFor = incoming.headers.find(([name]) => name.toLowerCase() === 'x-forwarded-for')?.[1];
  const kept = incoming.headers.filter(
    ([name]) =>
      !['host', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto'].includes(name.toLowerCase()),
  );
  return [
    ['Host', incoming.domainName],
    ...kept,
    ['X-Amzn-Trace-Id', `Root=1-${Math.floor(incoming.time.getTime() / 1000).toString(16)}-${randomHex(24)}`],
    ['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${incoming.sourceIp}` : incoming.sourceIp],
    ['X-Forwarded-Port', '443'],
    ['X-Forwarded-Proto', 'https'],
  ];
}

function restEvent(incoming: Incoming, options: LambdaBridgeOptions): RestApiEvent {
  const stage = options.stage ?? 'prod';
  const stagePrefix = options.stage ? `/${options.stage}` : '';
  // REST APIs pass the path still percent-encoded, as the client sent it.
  const clientPath = incoming.path;
  const path = clientPath.slice(stagePrefix.length) || '/';
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of gatewayHeaders(incoming)) {
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query = new URLSearchParams(incoming.rawQuery);
  const multiValueQuery: Record<string, string[]> = {};
  const singleQuery: Record<string, string> = {};
  for (const [name, value] of query) {
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
    singleQuery[name] = value;
  }
  const hasQuery = Object.keys(singleQuery).length > 0;
  const atRoot = path === '/';
  return {
    resource: atRoot ? '/' : '/{proxy+}',
    path,
    httpMethod: incoming.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? singleQuery : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: atRoot ? null : { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName: incoming.domainName,
      domainPrefix: incoming.domainName.split('.')[0] ?? incoming.domainName,
      extendedRequestId: randomHex(16),
      httpMethod: incoming.method,
      path: clientPath,
      protocol: 'HTTP/1.1',
      requestId: incoming.requestId,
      requestTime: clfTime(incoming.time),
      requestTimeEpoch: incoming.time.getTime(),
      resourceId: randomHex(6),
      resourcePath: atRoot ? '/' : '/{proxy+}',
      stage,
      identity: {
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: incoming.sourceIp,
        user: null,
        userAgent: headerValue(incoming.headers, 'user-agent') ?? null,
        userArn: null,
      },
      authorizer: null,
    },
    body: incoming.body.length > 0 ? incoming.body.toString('utf8') : null,
    isBase64Encoded: false,
  };
}

function httpApiEvent(incoming: Incoming, options: LambdaBridgeOptions): HttpApiEvent {
  const stage = options.stage ?? '$default';
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of gatewayHeaders(incoming)) {
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(incoming.rawQuery)) {
    queryStringParameters[name] =
      queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  }
  // HTTP APIs pass the path percent-DECODED (despite its name), for both payload versions.
  const rawPath = safeDecode(incoming.path);
  const textBody = isText(headers['content-type']);
  const event: HttpApiEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: incoming.rawQuery,
    headers,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName: incoming.domainName,
      domainPrefix: incoming.domainName.split('.')[0] ?? incoming.domainName,
      http: {
        method: incoming.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: incoming.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomHex(16),
      routeKey: '$default',
      stage,
      time: clfTime(incoming.time),
      timeEpoch: incoming.time.getTime(),
    },
    isBase64Encoded: incoming.body.length > 0 && !textBody,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(queryStringParameters).length > 0) event.queryStringParameters = queryStringParameters;
  if (incoming.body.length > 0) event.body = incoming.body.toString(textBody ? 'utf8' : 'base64');
  return event;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function isText(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return TEXT_TYPES.some((pattern) => pattern.test(type));
}

function headerValue(headers: [string, string][], name: string): string | undefined {
  return headers.find(([key]) => key.toLowerCase() === name)?.[1];
}

function lambdaContext(timeoutMs: number): LambdaContext {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName: 'anteroom-bridge',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:anteroom-bridge`,
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/anteroom-bridge',
    logStreamName: `2026/01/01/[$LATEST]${randomHex(16)}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function writeResult(res: ServerResponse, result: ApiGatewayResult, format: 'v1' | 'v2'): void {
  const headers = new Map<string, string[]>();
  const add = (name: string, values: string[]) => {
    const key = name.toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), ...values]);
  };
  for (const [name, value] of Object.entries(result.headers ?? {})) add(name, [value]);
  if (format === 'v1') {
    // REST APIs merge both maps; multiValueHeaders wins for a name present in both.
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
      headers.delete(name.toLowerCase());
      add(name, values);
    }
  } else if (result.cookies && result.cookies.length > 0) {
    add('set-cookie', result.cookies);
  }
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  headers.delete('transfer-encoding');
  headers.set('content-length', [String(body.length)]);
  res.writeHead(result.statusCode, Object.fromEntries(headers));
  res.end(body);
}

function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function randomHex(length: number): string {
  return randomUUID().replace(/-/g, '').slice(0, length);
}
