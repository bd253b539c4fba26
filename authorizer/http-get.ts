/**
 * The JWKS request: one HTTP/1.1 GET answered with JSON, written on a `node:tls` (or `node:net`)
 * socket. This is the only request the authorizer makes, and a Lambda cold start pays for
 * whatever it loads: the global `fetch` (undici) cost about 30 ms, `node:https` (with `node:http`,
 * its agent and its server half) about 8 ms more than `node:tls` alone. The modules are taken
 * when the first request is made, not at import.
 *
 * What it does: `Host`, the caller's headers and `Connection: close`; the certificate checked as
 * `tls.connect` does by default (trusted roots, host name); the answer's body delimited by
 * `Content-Length`, chunked transfer coding, or the end of the connection; at most 1 MiB. No
 * redirects, no compression, no proxy, as before.
 */

/** The part of `fetch` the key set uses; the global `fetch` is one. */
export type JsonFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Largest JWKS accepted: a key set is a few KiB; anything far larger is not one. */
const MAX_BYTES = 1 << 20;
/** Status line and headers larger than this are not an answer to a JWKS request. */
const MAX_HEAD_BYTES = 64 << 10;

interface Answer {
  status: number;
  body: Buffer;
}

class MalformedAnswer extends Error {
  constructor(message: string) {
    super(`malformed HTTP answer: ${message}`);
    this.name = 'MalformedAnswer';
  }
}

/** The body of a chunked answer, or undefined while its last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const sizeText = data.toString('latin1', at, lineEnd).split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new MalformedAnswer('bad chunk size');
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) return Buffer.concat(chunks);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    if (data[start + size] !== 0x0d || data[start + size + 1] !== 0x0a)
      throw new MalformedAnswer('bad chunk');
    chunks.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

/**
 * The answer in `data` once it is complete (`ended`: the server closed the connection), else
 * undefined. Throws on anything that is not an HTTP/1.x answer.
 */
export function parseAnswer(data: Buffer, ended: boolean): Answer | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (ended || data.length > MAX_HEAD_BYTES) throw new MalformedAnswer('no complete head');
    return undefined;
  }
  const [statusLine = '', ...lines] = data.toString('latin1', 0, headEnd).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (status === null) throw new MalformedAnswer('bad status line');
  let contentLength: number | undefined;
  let chunked = false;
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MalformedAnswer('bad header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') {
      chunked = value.toLowerCase().split(',').at(-1)?.trim() === 'chunked';
    } else if (name === 'content-length') {
      if (!/^\d{1,10}$/.test(value)) throw new MalformedAnswer('bad content-length');
      const length = Number(value);
      if (contentLength !== undefined && contentLength !== length) throw new MalformedAnswer('two lengths');
      contentLength = length;
    }
  }
  const body = data.subarray(headEnd + 4);
  const code = Number(status[1]);
  // RFC 9112 §6.3: chunked coding wins over a length; without either, the body ends with the connection.
  if (chunked) {
    const whole = dechunk(body);
    if (whole === undefined && ended) throw new MalformedAnswer('truncated chunked body');
    return whole === undefined ? undefined : { status: code, body: whole };
  }
  if (contentLength !== undefined) {
    if (body.length >= contentLength) return { status: code, body: body.subarray(0, contentLength) };
    if (ended) throw new MalformedAnswer('truncated body');
    return undefined;
  }
  return ended ? { status: code, body } : undefined;
}

export const getJson: JsonFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const net = process.getBuiltinModule('node:net');
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(target.port) || (secure ? 443 : 80);
    const socket = secure
      ? // SNI names the host (never an IP address, RFC 6066 §3); the certificate is checked against it.
        process
          .getBuiltinModule('node:tls')
          .connect({ host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}) })
      : net.connect({ host, port });
    const received: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    };
    const finish = (ended: boolean) => {
      if (settled) return;
      let answer: Answer | undefined;
      try {
        answer = parseAnswer(Buffer.concat(received, size), ended);
      } catch (error) {
        fail(error);
        return;
      }
      if (answer === undefined) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      const text = answer.body.toString('utf8');
      resolve({
        ok: answer.status >= 200 && answer.status < 300,
        status: answer.status,
        json: async () => JSON.parse(text) as unknown,
      });
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const headers = Object.entries(init.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n${headers}` +
        'Connection: close\r\n\r\n',
    );
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BYTES + MAX_HEAD_BYTES) {
        fail(new Error(`answer larger than ${MAX_BYTES} bytes`));
        return;
      }
      received.push(chunk);
      finish(false);
    });
    socket.on('end', () => {
      finish(true);
      fail(new Error('connection closed'));
    });
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  });
