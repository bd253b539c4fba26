/**
 * The site gate on CloudFront: a Lambda@Edge viewer-request handler (API.md §8).
 *
 * - `createEdgeHandler(config)`: the handler for a configuration (`./gate/options.ts`);
 * - `handler`: the deployed entry point, configured by `anteroom-edge.json` bundled beside it
 *   (Lambda@Edge has no environment variables), read on the first request of each container.
 *
 * Event and result shapes are CloudFront's: headers as lists of `{key, value}` under lower-case
 * names, `querystring` without `?`, `status` as a string. A forwarded request has lost every
 * `x-anteroom-*` header the viewer sent, and carries the visitor's when a session is live.
 */
import { createGate, type GateResult } from './gate/core.ts';
import { loadEdgeConfig } from './gate/edge-config.ts';
import type { GateConfig } from './gate/options.ts';
import { IDENTITY_HEADER_PREFIX } from './gate/session.ts';

export type CloudFrontHeaders = Record<string, Array<{ key?: string; value: string }>>;

export interface CloudFrontRequest {
  clientIp?: string;
  method: string;
  uri: string;
  querystring: string;
  headers: CloudFrontHeaders;
  [key: string]: unknown;
}

export interface CloudFrontResultResponse {
  status: string;
  statusDescription?: string;
  headers?: CloudFrontHeaders;
  body?: string;
  bodyEncoding?: 'text' | 'base64';
}

export interface CloudFrontRequestEvent {
  Records: Array<{ cf: { config?: Record<string, unknown>; request: CloudFrontRequest } }>;
}

export type EdgeHandler = (
  event: CloudFrontRequestEvent,
) => Promise<CloudFrontRequest | CloudFrontResultResponse>;

const STATUS_TEXT: Record<number, string> = {
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  405: 'Method Not Allowed',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const displayNames = new Map<string, string>();
/** `cache-control` → `Cache-Control`: the `key` CloudFront sends on (memoised: a handful of names). */
function displayName(name: string): string {
  let display = displayNames.get(name);
  if (display === undefined) {
    display = name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
    displayNames.set(name, display);
  }
  return display;
}

function first(headers: CloudFrontHeaders, name: string): string | undefined {
  return headers[name]?.[0]?.value;
}

function answer(result: Extract<GateResult, { action: 'respond' }>): CloudFrontResultResponse {
  const headers: CloudFrontHeaders = {};
  for (const [name, value] of Object.entries(result.headers))
    headers[name] = [{ key: displayName(name), value }];
  if (result.cookies.length > 0) {
    headers['set-cookie'] = result.cookies.map((value) => ({ key: 'Set-Cookie', value }));
  }
  const response: CloudFrontResultResponse = {
    status: String(result.status),
    statusDescription: STATUS_TEXT[result.status] ?? '',
    headers,
  };
  if (result.body !== '') {
    response.body = result.body;
    response.bodyEncoding = 'text';
  }
  return response;
}

export function createEdgeHandler(config: GateConfig): EdgeHandler {
  const gate = createGate(config);
  return async function anteroomEdgeGate(event) {
    const request = event.Records[0]?.cf.request;
    if (request === undefined) throw new Error('not a CloudFront viewer-request event');
    const headers = request.headers;
    const result = await gate.handle({
      method: request.method,
      path: request.uri,
      query: request.querystring ?? '',
      host: first(headers, 'host'),
      cookie: headers['cookie']?.map((entry) => entry.value).join('; '),
      fetchMode: first(headers, 'sec-fetch-mode'),
    });
    if (result.action === 'respond') return answer(result);
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase().startsWith(IDENTITY_HEADER_PREFIX)) delete headers[name];
    }
    for (const [name, value] of Object.entries(result.headers))
      headers[name] = [{ key: displayName(name), value }];
    return request;
  };
}

let deployed: Promise<EdgeHandler> | undefined;

/** The Lambda@Edge entry point: configured by `anteroom-edge.json` beside the bundle. */
export async function handler(
  event: CloudFrontRequestEvent,
): Promise<CloudFrontRequest | CloudFrontResultResponse> {
  deployed ??= loadEdgeConfig(new URL('./anteroom-edge.json', import.meta.url)).then(createEdgeHandler);
  // A failed cold start (unreadable file, unreachable secret) is retried by the next request.
  const ready = await deployed.catch((error: unknown) => {
    deployed = undefined;
    throw error;
  });
  return ready(event);
}
