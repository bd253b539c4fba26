/**
 * API Gateway authorizer events shaped as AWS sends them (Developer Guide "Input to an API
 * Gateway Lambda authorizer" and "HTTP API Lambda authorizers"; @types/aws-lambda
 * APIGatewayTokenAuthorizerEvent, APIGatewayRequestAuthorizerEvent,
 * APIGatewayRequestAuthorizerEventV2). Header values are the caller's Authorization header.
 */
export const ACCOUNT = '123456789012';
export const API_ID = 'abcdef123';
export const REST_METHOD_ARN = `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/store/GET/checkout`;
export const HTTP_ROUTE_ARN = `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/$default/GET/checkout`;
/** What a cached policy must cover: every stage, verb and path of the API. */
export const API_WILDCARD = `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/*/*/*`;

const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** REST API, TOKEN authorizer with token source `method.request.header.Authorization`. */
export function tokenEvent(authorizationToken: string) {
  return { type: 'TOKEN' as const, authorizationToken, methodArn: REST_METHOD_ARN };
}

/** REST API, REQUEST authorizer (proxy integration): header names keep the client's case. */
export function restRequestEvent(authorization: string | undefined, headerName = 'Authorization') {
  const headers: Record<string, string> = {
    Accept: 'application/json, text/plain, */*',
    'CloudFront-Forwarded-Proto': 'https',
    'CloudFront-Is-Desktop-Viewer': 'true',
    'CloudFront-Viewer-Country': 'DE',
    Host: DOMAIN,
    Origin: 'https://shop.example.com',
    'User-Agent': USER_AGENT,
    Via: '2.0 8d9f2c3b1a0e.cloudfront.net (CloudFront)',
    'X-Amz-Cf-Id': 'u1YfS0x3fI7b2Wq0xq9o1Yy3mK0bYc1b2m3n4o5p6q7r8s9t0u==',
    'X-Amzn-Trace-Id': 'Root=1-6746a0b2-4c3f1a2b3c4d5e6f7a8b9c0d',
    'X-Forwarded-For': '203.0.113.7, 130.176.1.20',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  if (authorization !== undefined) headers[headerName] = authorization;
  const multiValueHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, [value]]),
  );
  return {
    type: 'REQUEST' as const,
    methodArn: REST_METHOD_ARN,
    resource: '/checkout',
    path: '/checkout',
    httpMethod: 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourceId: 'q1w2e3',
      resourcePath: '/checkout',
      httpMethod: 'GET',
      extendedRequestId: 'CfmZ8F1xIAMFnVw=',
      requestTime: '27/Nov/2026:03:30:00 +0000',
      path: '/store/checkout',
      accountId: ACCOUNT,
      protocol: 'HTTP/1.1',
      stage: 'store',
      domainPrefix: API_ID,
      requestTimeEpoch: 1795750200000,
      requestId: '5b1c9d2e-8f3a-4b6c-9d0e-1f2a3b4c5d6e',
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: '203.0.113.7',
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: USER_AGENT,
        user: null,
      },
      domainName: DOMAIN,
      apiId: API_ID,
    },
  };
}

/** HTTP API, Lambda authorizer with payload format 1.0: a REST-style REQUEST event plus `version`. */
export function httpV1Event(authorization: string | undefined) {
  const event = restRequestEvent(authorization, 'authorization');
  return {
    ...event,
    version: '1.0',
    methodArn: HTTP_ROUTE_ARN,
    identitySource: authorization ?? '',
    authorizationToken: authorization ?? '',
  };
}

/** HTTP API, Lambda authorizer with payload format 2.0 (simple responses): header names lower-case. */
export function httpV2Event(authorization: string | undefined) {
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain, */*',
    'content-length': '0',
    host: DOMAIN,
    origin: 'https://shop.example.com',
    'user-agent': USER_AGENT,
    'x-amzn-trace-id': 'Root=1-6746a0b2-4c3f1a2b3c4d5e6f7a8b9c0d',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  if (authorization !== undefined) headers['authorization'] = authorization;
  return {
    version: '2.0' as const,
    type: 'REQUEST' as const,
    routeArn: HTTP_ROUTE_ARN,
    identitySource: authorization === undefined ? null : [authorization],
    routeKey: 'GET /checkout',
    rawPath: '/checkout',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: {
        method: 'GET',
        path: '/checkout',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: USER_AGENT,
      },
      requestId: 'CfmZ8F1xIAMEbXw=',
      routeKey: 'GET /checkout',
      stage: '$default',
      time: '27/Nov/2026:03:30:00 +0000',
      timeEpoch: 1795750200000,
    },
  };
}
