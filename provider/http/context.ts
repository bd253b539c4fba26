/**
 * The Koa state every endpoint step reads and writes. Steps run in order, so a field is set
 * by the step that produces it before any later step reads it (see each endpoint's list).
 */
import type { RouterContext, RouterMiddleware } from '@koa/router';
import type { EventSettings } from '../../queue-core/types.ts';
import type { AppDeps } from '../apps/deps.ts';

export interface ApiState {
  deps: AppDeps;
  /** X-Request-Id of this HTTP request (not the queue's request id). */
  traceId: string;
  /** Parsed JSON body of POST/PUT requests. */
  body: Record<string, unknown>;
  /** The body's bytes, when a step before the route had to read them (SigV4 verification). */
  rawBody?: Buffer | undefined;
  eventId: string;
  event: EventSettings;
  /** The queue request id (`request_id`). */
  requestId: string;
  /** Who the admin caller is (admin app): a bearer key's fingerprint or `sigv4:<access key id>`. */
  actor: string;
  /** Endpoint-specific intermediate results. */
  [key: string]: unknown;
}

export type ApiContext = RouterContext<ApiState>;
export type Step = RouterMiddleware<ApiState>;
