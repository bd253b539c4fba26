/**
 * Two independent SigV4 signers for the admin API tests: aws4fetch (what the AWS solution's
 * control panel signs with, in the browser) and the AWS SDK's own signer
 * (`@smithy/signature-v4` with Node's SHA-256 through `@smithy/hash-node`). Each yields the
 * method, URL, headers and body of a signed request; `send` delivers them exactly, over a
 * real socket, so a test can change one part after signing.
 */
import { request as httpRequest } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';

/**
 * The request headers a browser preflight must be allowed for the AWS solution's control panel
 * (aws4fetch) and other SigV4 signers: the test suites' own copy of that contract.
 */
export const SIGV4_PREFLIGHT_HEADERS = [
  'authorization',
  'content-type',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
] as const;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Signed {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string | undefined;
}

function lowerCased(headers: Headers | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (value: string, name: string) => {
    out[name.toLowerCase()] = value;
  };
  if (headers instanceof Headers) headers.forEach(put);
  else for (const [name, value] of Object.entries(headers)) put(value, name);
  return out;
}

export interface SignOptions {
  method: string;
  url: string;
  body?: string;
  headers?: Record<string, string>;
  region?: string;
  service?: string;
  /** Signing time (default now). */
  date?: Date;
}

/** ISO 8601 basic format, as both signers write X-Amz-Date. */
function amzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, '');
}

export async function signWithAws4fetch(
  credentials: Credentials,
  options: SignOptions & { signQuery?: boolean },
): Promise<Signed> {
  const signer = new AwsV4Signer({
    ...credentials,
    method: options.method,
    url: options.url,
    headers: options.headers ?? {},
    body: options.body,
    service: options.service ?? 'execute-api',
    region: options.region ?? 'us-east-1',
    datetime: amzDate(options.date ?? new Date()),
    signQuery: options.signQuery,
  });
  const signed = await signer.sign();
  return {
    method: signed.method,
    url: signed.url.toString(),
    headers: lowerCased(signed.headers),
    body: options.body,
  };
}

export async function signWithSmithy(credentials: Credentials, options: SignOptions): Promise<Signed> {
  const url = new URL(options.url);
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region ?? 'us-east-1',
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const signed = await signer.sign(
    {
      method: options.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: url.host, ...(options.headers ?? {}) },
      body: options.body,
    },
    { signingDate: options.date ?? new Date() },
  );
  return {
    method: options.method,
    url: options.url,
    headers: lowerCased(signed.headers as Record<string, string>),
    body: options.body,
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Sends exactly these headers (Host included) and body; parses a JSON answer. */
export function send(signed: Signed): Promise<Answer> {
  const url = new URL(signed.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method: signed.method,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: signed.headers,
        setHost: signed.headers.host === undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : null,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(signed.body);
  });
}
