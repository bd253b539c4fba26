/**
 * AWS Signature Version 4 for one request (Authorization header form): the Lambda functions'
 * own calls to AWS JSON APIs, made without loading the AWS SDK at cold start. The canonical
 * request is the one the admin API's verifier rebuilds (`provider/http/sigv4.ts`);
 * `test/lambda/aws-json.test.ts` checks the signature against AWS's published examples and
 * against that verifier.
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalRequest, SIGV4_ALGORITHM } from '../http/sigv4.ts';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignableRequest {
  method: string;
  host: string;
  /** Path and query as sent. */
  url: string;
  /** Header names in any case; `host` and the signing headers are added. */
  headers: Record<string, string>;
  body: string;
  service: string;
  region: string;
  /** Signing time (default now). */
  date?: Date;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The request's headers (lower-cased) with `host`, `x-amz-date`, `x-amz-security-token` and `authorization`. */
export function signRequest(request: SignableRequest, credentials: Credentials): Record<string, string> {
  const amzDate = (request.date ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { host: request.host, 'x-amz-date': amzDate };
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const signedHeaders = Object.keys(headers).sort();
  const body = Buffer.from(request.body, 'utf8');
  const canonical = canonicalRequest(
    { method: request.method, url: request.url, headers, body },
    signedHeaders,
    createHash('sha256').update(body).digest('hex'),
  );
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = [
    SIGV4_ALGORITHM,
    amzDate,
    scope,
    createHash('sha256').update(canonical, 'utf8').digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [request.region, request.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization =
    `${SIGV4_ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}
