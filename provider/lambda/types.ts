/**
 * The parts of the AWS Lambda event and result shapes the handlers read (API Gateway REST
 * proxy events, payload format 1.0; HTTP API events, payload format 2.0; EventBridge
 * scheduled events). Written here rather than depending on `@types/aws-lambda`.
 */

export interface RestApiEvent {
  version?: '1.0';
  resource: string;
  /** The path without the stage (REST APIs strip it). */
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName?: string;
    domainPrefix?: string;
    httpMethod: string;
    /** The path as the client sent it: with the stage (or the custom domain's base path). */
    path: string;
    protocol?: string;
    requestId: string;
    requestTime?: string;
    requestTimeEpoch?: number;
    resourceId?: string;
    resourcePath: string;
    stage: string;
    identity: {
      sourceIp: string;
      userAgent?: string | null;
      /** Set only when API Gateway verified a SigV4 (IAM) signature. */
      userArn?: string | null;
      caller?: string | null;
      accountId?: string | null;
      [key: string]: unknown;
    };
    authorizer?: Record<string, unknown> | null;
    [key: string]: unknown;
  };
  body: string | null;
  isBase64Encoded: boolean;
}

export interface HttpApiEvent {
  version: '2.0';
  routeKey: string;
  /** The path as received: includes a named stage (`/api/...`), not a custom-domain mapping. */
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  /** Lower-case names; repeated headers joined with commas. */
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
    authorizer?: {
      iam?: { userArn?: string; accountId?: string; callerId?: string; [key: string]: unknown };
      [key: string]: unknown;
    };
    [key: string]: unknown;
  };
  body?: string;
  isBase64Encoded: boolean;
}

export type ApiGatewayEvent = RestApiEvent | HttpApiEvent;

export interface ApiGatewayResult {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  /** HTTP API (2.0) only: each becomes one `Set-Cookie`. */
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

/** The Lambda context fields the handlers use. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion?: string;
  invokedFunctionArn?: string;
  memoryLimitInMB?: string;
  logGroupName?: string;
  logStreamName?: string;
  callbackWaitsForEmptyEventLoop?: boolean;
  getRemainingTimeInMillis(): number;
}

/** An EventBridge scheduled event (`aws.events`, "Scheduled Event"). */
export interface ScheduledEvent {
  version?: string;
  id?: string;
  'detail-type'?: string;
  source?: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: string[];
  detail?: unknown;
}

export function isHttpApiEvent(event: ApiGatewayEvent): event is HttpApiEvent {
  return (event as HttpApiEvent).version === '2.0';
}
