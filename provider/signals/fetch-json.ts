/**
 * Outbound requests of the signal readers: a URL's `user:password@` becomes a Basic
 * `Authorization` header (fetch refuses URLs with credentials), every request has a deadline,
 * and no answer is read past `maxBytes`.
 */

export interface OutboundRequest {
  url: string;
  method?: 'GET' | 'POST';
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  timeoutMs: number;
  maxBytes?: number;
}

export interface OutboundAnswer {
  status: number;
  body: string;
}

export const USER_AGENT = 'anteroom-signal/1';

/** Send one request; rejects on a network error, a timeout or an oversized body. */
export async function send(request: OutboundRequest): Promise<OutboundAnswer> {
  const { url, authorization } = splitCredentials(request.url);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: 'application/json, */*' };
  if (authorization) headers['Authorization'] = authorization;
  let body: string | undefined;
  if (request.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  }
  const signal = AbortSignal.timeout(request.timeoutMs);
  const response = await fetch(url, {
    method: request.method ?? 'GET',
    headers,
    body,
    signal,
    redirect: 'manual',
  });
  return { status: response.status, body: await readCapped(response, request.maxBytes ?? 1 << 20) };
}

/** The URL without its user info, and that user info as a Basic credential. */
export function splitCredentials(raw: string): { url: string; authorization: string | null } {
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { url: url.href, authorization: null };
  const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.href, authorization: `Basic ${Buffer.from(user, 'utf8').toString('base64')}` };
}

/** The URL as it may be logged or shown: without its password. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.href;
  } catch {
    return '(invalid URL)';
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
