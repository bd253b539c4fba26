/**
 * Server-Sent Events through API Gateway. A Lambda proxy integration buffers the whole
 * response, so a stream that stays open would only time out. On Lambda,
 * `GET /events/{event_id}/stream?request_id=…` is therefore answered with ONE snapshot: the
 * same `status` event a live stream opens with, preceded by a `retry:` hint, and then the
 * response ends. `EventSource` reconnects by itself after the retry delay, so the waiting page
 * keeps updating: SSE over API Gateway degrades into polling of `/status` at that interval.
 * Errors (400 unknown event, 404 unknown request id) keep their JSON answer, which makes
 * `EventSource` stop and the waiting page fall back to its own polling.
 */

import { httpMethod, routePath } from './stage.ts';
import type { ApiGatewayEvent, ApiGatewayResult } from './types.ts';
import { isHttpApiEvent } from './types.ts';

/** Milliseconds EventSource waits before reconnecting (the effective polling interval). */
export const SNAPSHOT_RETRY_MS = 5000;

const STREAM_PATH = /^\/events\/([^/]+)\/stream\/?$/;

/** A stream request rewritten to `GET /status?event_id=…&…`, or null for any other request. */
export function rewriteStreamRequest(event: ApiGatewayEvent): { event: ApiGatewayEvent } | null {
  if (httpMethod(event) !== 'GET') return null;
  const match = STREAM_PATH.exec(routePath(event));
  if (!match) return null;
  const eventId = safeDecode(match[1]!);
  if (isHttpApiEvent(event)) {
    const query = new URLSearchParams(event.rawQueryString);
    query.set('event_id', eventId);
    return {
      event: {
        ...event,
        rawPath: '/status',
        rawQueryString: query.toString(),
        queryStringParameters: { ...event.queryStringParameters, event_id: eventId },
      },
    };
  }
  return {
    event: {
      ...event,
      path: '/status',
      queryStringParameters: { ...event.queryStringParameters, event_id: eventId },
      multiValueQueryStringParameters: { ...event.multiValueQueryStringParameters, event_id: [eventId] },
    },
  };
}

/** The `/status` answer as one Server-Sent Events snapshot (errors pass through unchanged). */
export function snapshotAsEventStream(result: ApiGatewayResult): ApiGatewayResult {
  if (result.statusCode !== 200) return result;
  const json = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  let data: string;
  try {
    // One `data:` line: re-serialise so no newline can split the event.
    data = JSON.stringify(JSON.parse(json));
  } catch {
    return result;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!['content-type', 'content-length', 'cache-control', 'etag'].includes(name.toLowerCase())) {
      headers[name] = value;
    }
  }
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache, no-transform';
  const body =
    `retry: ${SNAPSHOT_RETRY_MS}\n\n` +
    ': one snapshot per request on AWS Lambda (API Gateway cannot stream); EventSource reconnects\n' +
    `event: status\ndata: ${data}\n\n`;
  return { ...result, headers, body, isBase64Encoded: false };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
