/**
 * The functions' own HTTP/1.1 client: the authorizer's JWKS GET and the Lambda functions'
 * signed calls to AWS (`provider/lambda/aws-json.ts`: Secrets Manager, EventBridge), written on a
 * `node:tls` socket (`node:net` for an `http:` URL). A Lambda cold start pays for whatever its
 * first answer loads: the global `fetch` (undici) cost about 30 ms, `node:https` (with
 * `node:http`, its agent, its server half and the `_http_*` internals) several more than
 * `node:tls` alone. The modules are taken when the first request is made, not at import, and
 * nothing else is imported, so the authorizer's bundle stays small.
 *
 * What it does:
 * - GET and POST (any method with a body) with `Host`, `Content-Length` and the caller's headers,
 *   written in one piece; no redirects, no compression, no proxy, no `Expect`.
 * - The certificate checked as `tls.connect` does by default (the trusted roots, the host name),
 *   with SNI for a host name (never for an IP address, RFC 6066 §3).
 * - The answer delimited by `Content-Length`, chunked transfer coding (trailers read and dropped)
 *   or the end of the connection; interim 1xx answers skipped; 204 and 304 without a body. The
 *   head is capped at 64 KiB, the body at `maxBytes`.
 * - A deadline (`timeoutMs`) and an `AbortSignal`, over the whole exchange.
 * - Keep-alive, as Node's https global agent does: after an answer that leaves the connection
 *   clean (HTTP/1.1, no `Connection: close`, framed by a length or chunks, nothing after it), the
 *   socket waits in a small per-origin pool for the next request to that origin, up to
 *   `IDLE_MS`, unref'd so that it never holds a process open. A request written on such a reused
 *   socket that fails before any byte of its answer arrived (the server closed the idle
 *   connection as the request went out: the keep-alive race) is sent once more on a new
 *   connection; never after part of an answer. TLS sessions are resumed on new connections to
 *   an origin, as the agent does.
 * - `getJson` is the authorizer's JWKS fetch on top of it (`Connection: close`: one GET every
 *   few minutes gains nothing from a pooled socket).
 */
import type { Socket } from 'node:net';

export interface HttpRequest {
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Largest body accepted; a larger answer fails. Default 1 MiB. */
  maxBytes?: number;
  /** Fail when the whole answer has not arrived within this long (no deadline by default). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Keep the connection for the next request to the same origin (default true). */
  keepAlive?: boolean;
}

export interface HttpAnswer {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
}

/** The part of `fetch` the key set uses; the global `fetch` is one. */
export type JsonFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

const DEFAULT_MAX_BYTES = 1 << 20;
/** Status line and headers larger than this are not an answer to one of our requests. */
const MAX_HEAD_BYTES = 64 << 10;
/** How long an idle connection waits for the next request (Node's https global agent: 5 s). */
export const IDLE_MS = 5000;
/** Idle connections kept per origin; more are closed. */
const MAX_IDLE_PER_ORIGIN = 8;
/** TLS sessions kept for resumption (Node's agent: 100). */
const MAX_SESSIONS = 32;

export class MalformedAnswer extends Error {
  constructor(message: string) {
    super(`malformed HTTP answer: ${message}`);
    this.name = 'MalformedAnswer';
  }
}

class AnswerTooLarge extends Error {
  constructor(maxBytes: number) {
    super(`answer larger than ${maxBytes} bytes`);
    this.name = 'AnswerTooLarge';
  }
}

type Phase = 'head' | 'length' | 'close' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'done';

/**
 * Reads one answer from the bytes of a connection, as they arrive. `push` returns true once the
 * answer is complete; `end` is called when the connection ended and throws if that cut it short.
 */
export class AnswerReader {
  status = 0;
  headers: Record<string, string> = {};
  /** The connection can carry another request once this answer is complete. */
  reusable = false;
  /** Bytes the connection sent after the answer's end (a well-behaved server sends none). */
  extra = 0;
  readonly #maxBytes: number;
  readonly #noBody: boolean;
  #phase: Phase = 'head';
  #pending: Buffer = Buffer.alloc(0);
  #parts: Buffer[] = [];
  #size = 0;
  /** Bytes of the body (length) or of the current chunk still to come. */
  #left = 0;

  constructor(maxBytes = DEFAULT_MAX_BYTES, noBody = false) {
    this.#maxBytes = maxBytes;
    this.#noBody = noBody;
  }

  get done(): boolean {
    return this.#phase === 'done';
  }

  get body(): Buffer {
    return Buffer.concat(this.#parts, this.#size);
  }

  push(chunk: Buffer): boolean {
    if (this.#phase === 'done') {
      this.extra += chunk.length;
      return true;
    }
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      const progressed = this.#step();
      if (this.done) {
        this.extra += this.#pending.length;
        this.#pending = Buffer.alloc(0);
        return true;
      }
      if (!progressed) return false;
    }
  }

  /** The connection ended: the answer if that completes it, else an error. */
  end(): void {
    if (this.#phase === 'close') {
      this.#phase = 'done';
      return;
    }
    if (this.#phase === 'done') return;
    if (this.#phase === 'head') throw new MalformedAnswer('no complete head');
    throw new MalformedAnswer(this.#phase === 'length' ? 'truncated body' : 'truncated chunked body');
  }

  /** Up to `#left` body bytes from what is pending; then `next`. False when none are pending. */
  #body(next: Phase): boolean {
    const take = Math.min(this.#left, this.#pending.length);
    if (take === 0) return false;
    this.#append(this.#pending.subarray(0, take));
    this.#pending = this.#pending.subarray(take);
    this.#left -= take;
    if (this.#left === 0) this.#phase = next;
    return true;
  }

  /** One parsing step; false when more bytes are needed. */
  #step(): boolean {
    switch (this.#phase) {
      case 'head':
        return this.#head();
      case 'length':
        return this.#body('done');
      case 'close':
        if (this.#pending.length === 0) return false;
        this.#append(this.#pending);
        this.#pending = Buffer.alloc(0);
        return false;
      case 'chunk-size': {
        const line = this.#line(4096, 'chunk size line too long');
        if (line === undefined) return false;
        const sizeText = line.split(';', 1)[0]?.trim() ?? '';
        if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new MalformedAnswer('bad chunk size');
        this.#left = Number.parseInt(sizeText, 16);
        if (this.#size + this.#left > this.#maxBytes) throw new AnswerTooLarge(this.#maxBytes);
        this.#phase = this.#left === 0 ? 'trailer' : 'chunk-data';
        return true;
      }
      case 'chunk-data':
        return this.#body('chunk-end');
      case 'chunk-end':
        if (this.#pending.length < 2) return false;
        if (this.#pending[0] !== 0x0d || this.#pending[1] !== 0x0a) throw new MalformedAnswer('bad chunk');
        this.#pending = this.#pending.subarray(2);
        this.#phase = 'chunk-size';
        return true;
      case 'trailer': {
        // Trailer fields are read and dropped; an empty line ends the answer.
        const line = this.#line(MAX_HEAD_BYTES, 'trailer too long');
        if (line === undefined) return false;
        if (line === '') this.#phase = 'done';
        return true;
      }
      default:
        return false;
    }
  }

  #append(part: Buffer): void {
    this.#size += part.length;
    if (this.#size > this.#maxBytes) throw new AnswerTooLarge(this.#maxBytes);
    this.#parts.push(part);
  }

  /** The next CRLF-terminated line, consumed; undefined while it is incomplete. */
  #line(limit: number, tooLong: string): string | undefined {
    const end = this.#pending.indexOf('\r\n');
    if (end < 0) {
      if (this.#pending.length > limit) throw new MalformedAnswer(tooLong);
      return undefined;
    }
    const line = this.#pending.toString('latin1', 0, end);
    this.#pending = this.#pending.subarray(end + 2);
    return line;
  }

  #head(): boolean {
    const headEnd = this.#pending.indexOf('\r\n\r\n');
    if (headEnd < 0) {
      if (this.#pending.length > MAX_HEAD_BYTES) throw new MalformedAnswer('head too large');
      return false;
    }
    const [statusLine = '', ...lines] = this.#pending.toString('latin1', 0, headEnd).split('\r\n');
    this.#pending = this.#pending.subarray(headEnd + 4);
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
    if (status === null) throw new MalformedAnswer('bad status line');
    const code = Number(status[2]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      // A name is a token; a line starting with white space (obsolete folding) is refused.
      if (colon <= 0 || !/^[!#$%&'*+.^`|~0-9A-Za-z_-]+$/.test(line.slice(0, colon))) {
        throw new MalformedAnswer('bad header line');
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    // An interim answer (100 Continue, 103 Early Hints): the real one follows on the connection.
    if (code >= 100 && code < 200 && code !== 101) return true;
    this.status = code;
    this.headers = headers;
    const connection = (headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((token) => token.trim());
    this.reusable = status[1] === '1' && !connection.includes('close') && code !== 101;
    const coding = headers['transfer-encoding'];
    const lengthText = headers['content-length'];
    let length: number | undefined;
    if (lengthText !== undefined) {
      // Repeated headers were joined: `5, 5` is one length given twice, `1, 2` is two.
      const values = new Set(lengthText.split(',').map((value) => value.trim()));
      const [only] = values;
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        throw new MalformedAnswer('bad content-length');
      }
      length = Number(only);
    }
    if (this.#noBody || code === 204 || code === 304) {
      this.#phase = 'done';
    } else if (coding !== undefined) {
      // RFC 9112 §6.3: a transfer coding wins over a length (such an answer is not reused); if
      // chunked is not the last coding, the body ends with the connection.
      if (length !== undefined) this.reusable = false;
      if (coding.toLowerCase().split(',').at(-1)?.trim() === 'chunked') {
        this.#phase = 'chunk-size';
      } else {
        this.#phase = 'close';
        this.reusable = false;
      }
    } else if (length !== undefined) {
      if (length > this.#maxBytes) throw new AnswerTooLarge(this.#maxBytes);
      this.#left = length;
      this.#phase = length === 0 ? 'done' : 'length';
    } else {
      this.#phase = 'close';
      this.reusable = false;
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------
// Connections

interface Origin {
  key: string;
  secure: boolean;
  host: string;
  port: number;
  /** The `Host` header. */
  authority: string;
}

interface Idle {
  socket: Socket;
  drop: () => void;
}

const idle = new Map<string, Idle[]>();
const sessions = new Map<string, Buffer>();

function originOf(url: URL): Origin {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`unsupported protocol ${url.protocol}`);
  }
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || (secure ? 443 : 80);
  return { key: `${url.protocol}//${host}:${port}`, secure, host, port, authority: url.host };
}

function connect(origin: Origin): Socket {
  const net = process.getBuiltinModule('node:net');
  if (!origin.secure) return net.connect({ host: origin.host, port: origin.port });
  const session = sessions.get(origin.key);
  const socket = process.getBuiltinModule('node:tls').connect({
    host: origin.host,
    port: origin.port,
    ...(net.isIP(origin.host) === 0 ? { servername: origin.host } : {}),
    ...(session === undefined ? {} : { session }),
  });
  socket.on('session', (ticket: Buffer) => {
    sessions.delete(origin.key);
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    sessions.set(origin.key, ticket);
  });
  // As Node's agent does: a session whose connection failed is not offered again.
  socket.once('error', () => sessions.delete(origin.key));
  return socket;
}

/** An idle connection to the origin, taken out of the pool; the most recently parked first. */
function takeIdle(key: string): Socket | undefined {
  const list = idle.get(key);
  for (let entry = list?.pop(); entry !== undefined; entry = list?.pop()) {
    entry.drop();
    if (!entry.socket.destroyed && entry.socket.readable && entry.socket.writable) {
      if (list?.length === 0) idle.delete(key);
      return entry.socket;
    }
    entry.socket.destroy();
  }
  idle.delete(key);
  return undefined;
}

/** Keeps a connection for the next request: unref'd, closed when idle for `IDLE_MS` or when the server does anything. */
function park(key: string, socket: Socket): void {
  let list = idle.get(key);
  if (list === undefined) {
    list = [];
    idle.set(key, list);
  }
  if (list.length >= MAX_IDLE_PER_ORIGIN) {
    socket.destroy();
    return;
  }
  const entry: Idle = {
    socket,
    drop: () => {
      socket.off('data', close).off('end', close).off('close', close).off('error', close);
      socket.off('timeout', close).setTimeout(0);
    },
  };
  // Anything the server does to an idle connection (an answer to nothing, its end, a reset)
  // makes it unusable.
  function close() {
    entry.drop();
    socket.destroy();
    const own = idle.get(key);
    const at = own?.indexOf(entry) ?? -1;
    if (at >= 0) own?.splice(at, 1);
    if (own?.length === 0) idle.delete(key);
  }
  socket.on('data', close).on('end', close).on('close', close).on('error', close);
  socket.on('timeout', close).setTimeout(IDLE_MS);
  socket.unref();
  list.push(entry);
}

/** Closes every idle connection (tests; a process that wants to exit at once). */
export function closeIdleConnections(): void {
  for (const key of [...idle.keys()]) {
    for (let socket = takeIdle(key); socket !== undefined; socket = takeIdle(key)) socket.destroy();
  }
}

/** How many idle connections are kept (tests). */
export function idleConnectionCount(): number {
  let count = 0;
  for (const list of idle.values()) count += list.length;
  return count;
}

const TOKEN = /^[!#$%&'*+.^`|~0-9A-Za-z_-]+$/;

function requestHead(method: string, url: URL, origin: Origin, request: HttpRequest, bodyLength: number) {
  if (!TOKEN.test(method)) throw new TypeError(`invalid method ${JSON.stringify(method)}`);
  let head = '';
  let host = `Host: ${origin.authority}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    // No line breaks or characters outside latin1: a header cannot smuggle another one in.
    if (!TOKEN.test(name) || !/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
      throw new TypeError(`invalid header ${name}`);
    }
    const lower = name.toLowerCase();
    if (lower === 'host') host = `${name}: ${value}\r\n`;
    else if (lower !== 'content-length' && lower !== 'connection') head += `${name}: ${value}\r\n`;
  }
  head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n${host}${head}`;
  if (request.body !== undefined || method === 'POST' || method === 'PUT') {
    head += `Content-Length: ${bodyLength}\r\n`;
  }
  if (request.keepAlive === false) head += 'Connection: close\r\n';
  return `${head}\r\n`;
}

/**
 * One request and its answer. Rejects on a network error, a malformed or oversized answer, the
 * deadline (an error with code `ETIMEDOUT`) or the signal (its reason); a status is not an error.
 */
export function request(options: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const url = typeof options.url === 'string' ? new URL(options.url) : options.url;
    const method = options.method.toUpperCase();
    const keepAlive = options.keepAlive !== false;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    let origin: Origin;
    let payload: Buffer;
    try {
      origin = originOf(url);
      const body =
        options.body === undefined
          ? Buffer.alloc(0)
          : typeof options.body === 'string'
            ? Buffer.from(options.body)
            : options.body;
      payload = Buffer.concat([
        Buffer.from(requestHead(method, url, origin, options, body.length), 'latin1'),
        body,
      ]);
    } catch (error) {
      reject(error);
      return;
    }

    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let detach: (() => void) | undefined;
    let socket: Socket | undefined;
    const finish = (error: unknown, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        detach?.();
        socket?.destroy();
        reject(error);
      } else {
        resolve(answer as HttpAnswer);
      }
    };
    const onAbort = () => finish(signal?.reason);
    if (options.timeoutMs !== undefined) {
      const error = new Error(`no answer from ${origin.key} within ${options.timeoutMs} ms`);
      timer = setTimeout(() => finish(Object.assign(error, { code: 'ETIMEDOUT' })), options.timeoutMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const send = (fresh: boolean) => {
      const reused = fresh || !keepAlive ? undefined : takeIdle(origin.key);
      const current = reused ?? connect(origin);
      socket = current;
      const reader = new AnswerReader(maxBytes, method === 'HEAD');
      let received = false;
      const stop = () => {
        current.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      };
      detach = stop;
      /** Failed before any byte of the answer on a reused connection: once more on a new one. */
      const retry = (): boolean => {
        if (received || reused === undefined || settled) return false;
        stop();
        current.destroy();
        send(true);
        return true;
      };
      const complete = () => {
        stop();
        const answer = { status: reader.status, headers: reader.headers, body: reader.body };
        if (keepAlive && reader.reusable && reader.extra === 0 && !current.destroyed) {
          park(origin.key, current);
        } else {
          current.destroy();
        }
        finish(undefined, answer);
      };
      function onData(chunk: Buffer) {
        received = true;
        let done: boolean;
        try {
          done = reader.push(chunk);
        } catch (error) {
          finish(error);
          return;
        }
        if (done) complete();
      }
      function onEnd() {
        if (retry()) return;
        try {
          reader.end();
        } catch (error) {
          finish(received ? error : Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
          return;
        }
        complete();
      }
      function onError(error: Error) {
        if (!retry()) finish(error);
      }
      function onClose() {
        if (!retry()) finish(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
      }
      current.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
      current.ref();
      current.write(payload);
    };
    send(false);
  });
}

/** The authorizer's JWKS fetch: one GET, `Connection: close`, at most 1 MiB of JSON. */
export const getJson: JsonFetch = async (url, init) => {
  const answer = await request({
    method: 'GET',
    url,
    headers: init.headers,
    signal: init.signal,
    keepAlive: false,
  });
  const text = answer.body.toString('utf8');
  return {
    ok: answer.status >= 200 && answer.status < 300,
    status: answer.status,
    json: async () => JSON.parse(text) as unknown,
  };
};
