/**
 * One call to an AWS JSON 1.1 API (Secrets Manager, EventBridge) or JSON 1.0 API (DynamoDB) as
 * a signed HTTPS request of our own (SigV4, `sigv4.ts`), without the AWS SDK: importing an SDK
 * client costs a cold start about 100 ms, more than everything else the first request needs,
 * for one kind of call each.
 *
 * Credentials and region come from the variables Lambda sets (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`). The endpoint is
 * `https://<endpoint prefix>.<region>.amazonaws.com/` (a VPC interface endpoint with private DNS
 * answers on that name), or the service's `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`, as
 * the SDK reads them. Throttling, 5xx answers and network errors are tried three times in all.
 *
 * The request goes through the functions' own HTTP/1.1 client (`authorizer/http-client.ts`), on
 * `node:tls`: `node:https` would load `node:http` and its internals into the first answer of
 * every function. It keeps the connection alive between calls as Node's https agent did, so a
 * warm function's `PutEvents` or secret reload reuses one TLS connection.
 */
import { request } from '../../authorizer/http-client.ts';
import { type Credentials, signRequest } from './sigv4.ts';

export type Env = Record<string, string | undefined>;

export interface AwsJsonService {
  /** Host name prefix and SigV4 signing name: `secretsmanager`, `events`. */
  endpointPrefix: string;
  /** The SDK's endpoint override variable: `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpointVariable: string;
  /** The protocol's version, `application/x-amz-json-<version>` (default 1.1; DynamoDB: 1.0). */
  jsonVersion?: '1.0' | '1.1';
}

/** Bounds of one call (defaults: 3 attempts, 3 s each). */
export interface AwsCallLimits {
  attempts?: number;
  timeoutMs?: number;
}

/** An AWS error answer: `name` is the exception type (`ResourceNotFoundException`, …). */
export class AwsServiceError extends Error {
  readonly status: number;
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 3000;
const RETRYABLE =
  /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded|InternalServiceError|InternalException|ServiceUnavailable/;

/** `target`: the operation as `X-Amz-Target` names it (`secretsmanager.GetSecretValue`). */
export async function callAwsJson(
  env: Env,
  service: AwsJsonService,
  target: string,
  input: unknown,
  limits: AwsCallLimits = {},
): Promise<Record<string, unknown>> {
  const attempts = limits.attempts ?? ATTEMPTS;
  const contentType = `application/x-amz-json-${service.jsonVersion ?? '1.1'}`;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION is not set (Lambda sets it)');
  const endpoint = endpointOf(env, service, region);
  const credentials = credentialsOf(env);
  const body = JSON.stringify(input);
  for (let attempt = 1; ; attempt++) {
    try {
      const headers = signRequest(
        {
          method: 'POST',
          host: endpoint.host,
          url: endpoint.pathname || '/',
          headers: { 'content-type': contentType, 'x-amz-target': target },
          body,
          service: service.endpointPrefix,
          region,
        },
        credentials,
      );
      return await post(endpoint, headers, body, limits.timeoutMs ?? TIMEOUT_MS);
    } catch (error) {
      const retryable =
        !(error instanceof AwsServiceError) || error.status >= 500 || RETRYABLE.test(error.name);
      if (!retryable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

function endpointOf(env: Env, service: AwsJsonService, region: string): URL {
  const configured = env[service.endpointVariable] || env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service.endpointPrefix}.${region}.${suffix}/`);
}

function credentialsOf(env: Env): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them)');
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN };
}

/** AWS answers are small; this bounds one that is not (`BatchGetSecretValue`: 20 secrets of 64 KiB). */
const MAX_ANSWER_BYTES = 16 << 20;

async function post(
  endpoint: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const answer = await request({
    method: 'POST',
    url: endpoint,
    headers,
    body,
    timeoutMs,
    maxBytes: MAX_ANSWER_BYTES,
  });
  const text = answer.body.toString('utf8');
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    // not JSON (a proxy's error page): reported below by its status
  }
  const status = answer.status;
  if (status >= 200 && status < 300) return parsed;
  // `__type` may carry a namespace: `com.amazonaws.secretsmanager#ResourceNotFoundException`.
  const type = String(parsed.__type ?? `HTTP${status}`).replace(/^.*#/, '');
  const message = String(parsed.message ?? parsed.Message ?? `AWS answered ${status}`);
  throw new AwsServiceError(type, message, status);
}
