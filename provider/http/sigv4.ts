/**
 * AWS Signature Version 4 verification for the standalone admin API, as API Gateway checks
 * callers of an IAM-authorized API (service `execute-api`): the AWS solution's control panel
 * (aws4fetch) and operators' `awscurl` scripts sign their calls so, and keep working.
 *
 * The canonical request is rebuilt from what arrived: the method; the path with empty and dot
 * segments removed, URI-encoded twice as for every service but S3; the query pairs decoded,
 * RFC 3986-encoded and sorted; the signed headers, lower-cased, values trimmed and inner
 * whitespace collapsed; the SHA-256 of the body as received. The signature must be an
 * HMAC-SHA256 by the key `AWS4<secret>` → date → region → `execute-api` → `aws4_request`,
 * compared in constant time. Beyond the signature: `X-Amz-Date` within 5 minutes of the
 * server's clock and equal to the credential scope's date; `host`, `x-amz-date` and every
 * `x-amz-*` header sent among the signed headers; `X-Amz-Content-Sha256`, when sent, equal to
 * the body's hash; the key's `regions`, when listed, naming the scope's region.
 *
 * Not accepted: temporary credentials (`X-Amz-Security-Token`: only AWS STS can tell whether
 * a session token is valid), presigned URLs, and the `Date` header in place of `X-Amz-Date`.
 * A proxy in front must pass `Host` and the path unchanged: they are part of what was signed.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AdminSigV4Key } from '../config/admin-keys.ts';
import type { AdminAuthFailure } from './admin-auth-failures.ts';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_SERVICE = 'execute-api';
/** How far `X-Amz-Date` may be from the server's clock, either way (as AWS allows). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface SignedRequest {
  method: string;
  /** The request target as received: path and query (`req.url`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SigV4Outcome =
  | { ok: true; accessKeyId: string }
  | { ok: false; reason: AdminAuthFailure; accessKeyId?: string };

interface Authorization {
  accessKeyId: string;
  scope: { date: string; region: string; service: string; terminator: string };
  signedHeaders: string[];
  signature: Buffer;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/([^/\s,]+)\s*,\s*SignedHeaders=([a-z0-9;-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Whether a request carries a SigV4 `Authorization` header (rather than a bearer key). */
export function isSigV4Authorization(header: string): boolean {
  return header.startsWith(`${SIGV4_ALGORITHM} `);
}

/** Whether the query carries a presigned-URL signature. */
export function hasQuerySignature(url: string): boolean {
  return /[?&]x-amz-signature=/i.test(url);
}

function parseAuthorization(header: string): Authorization | null {
  const match = AUTHORIZATION.exec(header);
  if (!match) return null;
  const [, accessKeyId, date, region, service, terminator, headerList, signature] =
    match as unknown as string[];
  const signedHeaders = (headerList as string).split(';');
  const sorted = signedHeaders.every(
    (name, index) => name !== '' && (index === 0 || (signedHeaders[index - 1] as string) < name),
  );
  if (!sorted) return null;
  return {
    accessKeyId: accessKeyId as string,
    scope: {
      date: date as string,
      region: region as string,
      service: service as string,
      terminator: terminator as string,
    },
    signedHeaders,
    signature: Buffer.from(signature as string, 'hex'),
  };
}

function amzDateMs(value: string): number | null {
  const match = AMZ_DATE.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  const ms = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  return Number.isNaN(ms) ? null : ms;
}

/** RFC 3986 encoding: `encodeURIComponent` plus the five characters it leaves alone. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The path as received, dot and empty segments resolved, encoded once more (all services but S3). */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEncode(normalized).replace(/%2F/g, '/');
}

export function canonicalQuery(query: string): string {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of new URLSearchParams(query)) {
    if (key !== '') pairs.push([uriEncode(key), uriEncode(value)]);
  }
  pairs.sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text.trim().replace(/\s+/g, ' ');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function canonicalRequest(
  request: SignedRequest,
  signedHeaders: string[],
  payloadHash: string,
): string {
  const question = request.url.indexOf('?');
  const path = question < 0 ? request.url : request.url.slice(0, question);
  const query = question < 0 ? '' : request.url.slice(question + 1);
  return [
    request.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    `${signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}`).join('\n')}\n`,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/** The `x-amz-*` headers a request carries that its signature leaves out. */
function unsignedAmzHeaders(headers: IncomingHttpHeaders, signed: string[]): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('x-amz-') && !signed.includes(name));
}

const MAX_CACHED_SIGNING_KEYS = 64;

/**
 * A verifier over the configured key pairs. Signing keys (one per key, day and region) are
 * derived once and kept; an unknown access key id is checked against a random secret so that
 * it takes as long as a wrong signature.
 */
export function createSigV4Verifier(
  keys: readonly AdminSigV4Key[],
  nowMs: () => number = Date.now,
): (request: SignedRequest) => SigV4Outcome {
  const byId = new Map(keys.map((key) => [key.accessKeyId, key]));
  const decoy = randomBytes(30).toString('base64');
  const signingKeys = new Map<string, Buffer>();

  const signingKey = (secret: string, scope: Authorization['scope']): Buffer => {
    const cacheKey = `${secret}\n${scope.date}\n${scope.region}`;
    let key = signingKeys.get(cacheKey);
    if (key === undefined) {
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), SIGV4_SERVICE), 'aws4_request');
      if (signingKeys.size >= MAX_CACHED_SIGNING_KEYS) signingKeys.clear();
      signingKeys.set(cacheKey, key);
    }
    return key;
  };

  return function verifySigV4(request) {
    const headers = request.headers;
    if (headers['x-amz-security-token'] !== undefined) return { ok: false, reason: 'temporary_credentials' };
    const auth = parseAuthorization(String(headers.authorization ?? ''));
    if (auth === null) return { ok: false, reason: 'malformed_signature' };
    const { accessKeyId, scope } = auth;
    const fail = (reason: AdminAuthFailure): SigV4Outcome => ({ ok: false, reason, accessKeyId });

    if (scope.service !== SIGV4_SERVICE || scope.terminator !== 'aws4_request')
      return fail('credential_scope');
    const amzDate = headerValue(headers, 'x-amz-date');
    const signedAt = amzDateMs(amzDate);
    if (signedAt === null) return fail('missing_date');
    if (scope.date !== amzDate.slice(0, 8)) return fail('credential_scope');
    if (Math.abs(nowMs() - signedAt) > MAX_CLOCK_SKEW_MS) return fail('signature_expired');
    if (!auth.signedHeaders.includes('host') || unsignedAmzHeaders(headers, auth.signedHeaders).length > 0) {
      return fail('unsigned_header');
    }
    const payloadHash = sha256Hex(request.body);
    const declaredHash = headers['x-amz-content-sha256'];
    if (declaredHash !== undefined && declaredHash !== payloadHash) return fail('payload_hash_mismatch');

    const key = byId.get(accessKeyId);
    const stringToSign = [
      SIGV4_ALGORITHM,
      amzDate,
      `${scope.date}/${scope.region}/${SIGV4_SERVICE}/aws4_request`,
      sha256Hex(canonicalRequest(request, auth.signedHeaders, payloadHash)),
    ].join('\n');
    const expected = hmac(signingKey(key?.secretAccessKey ?? decoy, scope), stringToSign);
    const matches = timingSafeEqual(expected, auth.signature);
    if (key === undefined) return fail('unknown_access_key');
    if (!matches) return fail('signature_mismatch');
    // Checked only once the signature holds: only the key's holder learns its region rule.
    if (key.regions !== null && !key.regions.includes(scope.region)) return fail('region_not_allowed');
    return { ok: true, accessKeyId };
  };
}
