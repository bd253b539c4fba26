/**
 * A lean Redis client for one node (RESP2), under the connection policy of
 * `redis-connection.ts`, implementing what the queue store uses and nothing more: its scripts
 * (`defineCommand`), a few plain commands, one MULTI/EXEC, `call` (WAIT, WAITAOF), INFO, the
 * `error` event and the socket (`stream`) it corks. It replaces ioredis on the single-node path,
 * whose import alone cost the public Lambda function's cold start about 33 ms of CPU
 * (docs/operations.md, "Lambda cold starts"); a cluster or Sentinel still goes through ioredis.
 *
 * The policy, as ioredis was configured for it (maxRetriesPerRequest 0, no resend,
 * offline queue off once ready, reconnectOnError READONLY → 1):
 * - Commands issued before the first connection wait for it; a failed attempt rejects them.
 *   Once connected, a command issued while disconnected fails at once.
 * - A command whose answer was lost with its connection is rejected, never resent.
 * - Reconnect forever with the caller's backoff; every attempt has a deadline (`connectTimeoutMs`)
 *   covering TCP, TLS, AUTH and SELECT.
 * - A READONLY answer (a primary demoted behind the same address) rejects its command and drops
 *   the connection, so the next one reaches the new primary; nothing is resent.
 * - Scripts: EVAL the first time on a connection (Redis caches the script), EVALSHA after; a
 *   NOSCRIPT answer (the script did not run) is followed by EVAL of the same call, as ioredis does.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type Reply, ReplyError, RespParser } from './resp-parser.ts';

export { ReplyError } from './resp-parser.ts';

export type CommandArg = string | number | Buffer;

export interface RespClientOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string;
  /** Give up a connection attempt (TCP, TLS, AUTH, SELECT) after this long. */
  connectTimeoutMs: number;
  /** The delay before reconnection attempt `attempt` (1, 2, …). */
  reconnectDelay: (attempt: number) => number;
}

interface Script {
  /** The source, or where to read it when first sent. */
  lua: string | (() => string);
  /** Its SHA-1, hashed when first needed (the first call on a connection sends EVAL). */
  sha: string | undefined;
  readonly numberOfKeys: number | undefined;
}

interface Command {
  args: CommandArg[];
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  /** Bulk strings as bytes. */
  buffers: boolean;
  /** A script call: `args` start after the script (EVAL lua / EVALSHA sha is chosen when written). */
  script: Script | undefined;
}

export type Status = 'connecting' | 'ready' | 'reconnecting' | 'end';

/** MULTI … EXEC: the queued commands go out together; `exec` answers `[error, result]` pairs. */
export class Transaction {
  readonly #client: RespClient;
  readonly #commands: CommandArg[][] = [];

  constructor(client: RespClient) {
    this.#client = client;
  }

  unlink(...keys: string[]): this {
    this.#commands.push(['UNLINK', ...keys]);
    return this;
  }

  incr(key: string): this {
    this.#commands.push(['INCR', key]);
    return this;
  }

  /** Fails (EXECABORT) when Redis refused a queued command: then none ran. */
  async exec(): Promise<[Error | null, unknown][] | null> {
    const ignore = () => {};
    const sent = [this.#client.call('MULTI')];
    for (const command of this.#commands) sent.push(this.#client.call(...(command as [string])));
    const exec = this.#client.call('EXEC') as Promise<Reply[] | null>;
    for (const reply of sent) reply.catch(ignore);
    const results = await exec;
    if (results === null) return null;
    return results.map((value) => (value instanceof ReplyError ? [value, null] : [null, value]));
  }
}

export class RespClient extends EventEmitter {
  /** Marks the client for code that also handles an ioredis Cluster. */
  readonly isCluster = false;
  readonly #host: string;
  readonly #port: number;
  readonly #tls: boolean;
  readonly #handshake: CommandArg[][] = [];
  readonly #connectTimeoutMs: number;
  readonly #reconnectDelay: (attempt: number) => number;

  #status: Status = 'connecting';
  #socket: Socket | undefined;
  #ready = false;
  #everReady = false;
  #closing = false;
  #attempts = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Written and not yet answered, in order. */
  #pending: Command[] = [];
  #pendingHead = 0;
  /** Issued before the first connection. */
  #offline: Command[] = [];
  /** Scripts sent with EVAL on the current connection. */
  #loaded = new Set<Script>();

  constructor(options: RespClientOptions) {
    super();
    const url = new URL(options.url);
    this.#host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    this.#port = Number(url.port || 6379);
    this.#tls = url.protocol === 'rediss:';
    const username = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    if (password) this.#handshake.push(username ? ['AUTH', username, password] : ['AUTH', password]);
    const db = Number(url.pathname.slice(1) || 0);
    if (db) this.#handshake.push(['SELECT', db]);
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#reconnectDelay = options.reconnectDelay;
    this.#connect();
  }

  get status(): Status {
    return this.#status;
  }

  /** The socket commands are written to, while connected. */
  get stream(): Socket | undefined {
    return this.#ready ? this.#socket : undefined;
  }

  /**
   * Adds `name(...args)`, running the script (EVALSHA, EVAL the first time on a connection).
   * `lua` may be a function giving the source, called when the script is first sent.
   */
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string | (() => string) }): void {
    const script: Script = { lua: definition.lua, sha: undefined, numberOfKeys: definition.numberOfKeys };
    (this as unknown as Record<string, unknown>)[name] = (...args: CommandArg[]) =>
      this.#send(script.numberOfKeys === undefined ? args : [script.numberOfKeys, ...args], false, script);
  }

  call(command: string, ...args: CommandArg[]): Promise<unknown> {
    return this.#send([command, ...args], false, undefined);
  }

  hget(key: string, field: string): Promise<string | null> {
    return this.#send(['HGET', key, field], false, undefined);
  }

  hmget(key: string, ...fields: string[]): Promise<(string | null)[]> {
    return this.#send(['HMGET', key, ...fields], false, undefined);
  }

  hsetnx(key: string, field: string, value: string | number): Promise<number> {
    return this.#send(['HSETNX', key, field, value], false, undefined);
  }

  get(key: string): Promise<string | null> {
    return this.#send(['GET', key], false, undefined);
  }

  set(key: string, value: string, ...options: (string | number)[]): Promise<'OK' | null> {
    return this.#send(['SET', key, value, ...options], false, undefined);
  }

  del(...keys: string[]): Promise<number> {
    return this.#send(['DEL', ...keys], false, undefined);
  }

  zcount(key: string, min: string | number, max: string | number): Promise<number> {
    return this.#send(['ZCOUNT', key, min, max], false, undefined);
  }

  lrange(key: string, start: number, stop: number): Promise<string[]> {
    return this.#send(['LRANGE', key, start, stop], false, undefined);
  }

  getrangeBuffer(key: string, start: number, end: number): Promise<Buffer> {
    return this.#send(['GETRANGE', key, start, end], true, undefined);
  }

  ping(): Promise<string> {
    return this.#send(['PING'], false, undefined);
  }

  info(section: string): Promise<string> {
    return this.#send(['INFO', section], false, undefined);
  }

  multi(): Transaction {
    return new Transaction(this);
  }

  /** QUIT: the server answers and closes; no reconnection follows. */
  quit(): Promise<string> {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    if (!this.#ready) {
      this.disconnect();
      return Promise.resolve('OK');
    }
    return this.#send(['QUIT'], false, undefined);
  }

  /** Close now: unanswered commands fail; no reconnection follows. */
  disconnect(): void {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    if (socket === undefined) {
      this.#closed(undefined);
      return;
    }
    socket.destroy();
    this.#closed(socket);
  }

  #send<T>(args: CommandArg[], buffers: boolean, script: Script | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const command: Command = { args, resolve: resolve as (value: never) => void, reject, buffers, script };
      if (this.#ready) this.#write(command);
      else if (!this.#everReady && !this.#closing) this.#offline.push(command);
      else
        reject(
          new Error(
            this.#closing ? 'Connection is closed.' : 'Redis is not connected (commands are not queued)',
          ),
        );
    });
  }

  #write(command: Command): void {
    const socket = this.#socket as Socket;
    let args = command.args;
    const script = command.script;
    if (script !== undefined) {
      if (typeof script.lua === 'function') {
        try {
          script.lua = script.lua();
        } catch (error) {
          command.reject(error as Error); // a script file that cannot be read: never sent
          return;
        }
      }
      if (this.#loaded.has(script)) {
        script.sha ??= createHash('sha1').update(script.lua).digest('hex');
        args = ['EVALSHA', script.sha, ...args];
      } else {
        this.#loaded.add(script);
        args = ['EVAL', script.lua, ...args];
      }
    }
    socket.write(encode(args));
    this.#pending.push(command);
  }

  #connect(): void {
    this.#status = 'connecting';
    const options = { host: this.#host, port: this.#port };
    const socket = this.#tls
      ? tlsConnect({ ...options, ...(isIP(this.#host) ? {} : { servername: this.#host }) })
      : tcpConnect(options);
    this.#socket = socket;
    socket.setNoDelay(true);
    const deadline = setTimeout(() => {
      socket.destroy(
        new Error(`connect ETIMEDOUT: Redis did not answer within ${this.#connectTimeoutMs} ms`),
      );
    }, this.#connectTimeoutMs);
    const parser = new RespParser(
      (reply) => this.#reply(socket, parser, reply),
      () => this.#pending[this.#pendingHead]?.buffers === true,
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch (error) {
        // Bytes that are not RESP: the connection cannot be trusted to pair answers.
        this.#emitError(error as Error);
        this.#drop(socket);
      }
    });
    socket.on('error', (error) => this.#emitError(error));
    socket.on('close', () => {
      clearTimeout(deadline);
      this.#closed(socket);
    });
    socket.once(this.#tls ? 'secureConnect' : 'connect', () => {
      if (this.#socket !== socket) return;
      socket.setKeepAlive(true); // as ioredis does (keepAlive 0: the system's first probe delay)
      this.#loaded = new Set();
      let left = this.#handshake.length;
      const opened = () => {
        clearTimeout(deadline);
        this.#opened();
      };
      if (left === 0) {
        opened();
        return;
      }
      for (const args of this.#handshake) {
        const command: Command = {
          args,
          buffers: false,
          script: undefined,
          resolve: () => {
            if (--left === 0 && this.#socket === socket) opened();
          },
          reject: (error) => {
            if (this.#socket !== socket) return;
            this.#emitError(error);
            this.#drop(socket);
          },
        };
        this.#write(command);
      }
    });
  }

  #opened(): void {
    this.#ready = true;
    this.#everReady = true;
    this.#attempts = 0;
    this.#status = 'ready';
    const waiting = this.#offline;
    this.#offline = [];
    for (const command of waiting) this.#write(command);
    this.emit('ready');
  }

  #reply(socket: Socket, parser: RespParser, reply: Reply): void {
    if (this.#socket !== socket) {
      parser.reset();
      return;
    }
    const command = this.#pending[this.#pendingHead];
    if (command === undefined) return; // nothing asked: not possible on RESP2
    this.#pending[this.#pendingHead] = undefined as unknown as Command;
    this.#pendingHead++;
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    if (!(reply instanceof ReplyError)) {
      command.resolve(reply as never);
      return;
    }
    const message = reply.message;
    if (command.script !== undefined && message.startsWith('NOSCRIPT')) {
      // The script did not run: send it again, in full this time.
      this.#loaded.delete(command.script);
      if (this.#ready) this.#write(command);
      else command.reject(reply);
      return;
    }
    command.reject(reply);
    if (message.startsWith('READONLY')) this.#drop(socket);
  }

  /** Close a connection now and reconnect (unless closing). */
  #drop(socket: Socket): void {
    socket.destroy();
    this.#closed(socket);
  }

  /** The connection is gone: what it carried fails (never resent); reconnect unless closing. */
  #closed(socket: Socket | undefined): void {
    if (this.#socket !== socket || this.#status === 'end') return;
    this.#socket = undefined;
    const wasReady = this.#ready;
    this.#ready = false;
    const lost = this.#pending.slice(this.#pendingHead);
    this.#pending = [];
    this.#pendingHead = 0;
    const queued = this.#offline;
    this.#offline = [];
    const error = new Error('Connection is closed.');
    for (const command of lost) command.reject(error);
    for (const command of queued) command.reject(error);
    if (wasReady) this.emit('close');
    if (this.#closing) {
      this.#status = 'end';
      this.emit('end');
      return;
    }
    this.#status = 'reconnecting';
    const delay = this.#reconnectDelay(++this.#attempts);
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#closing) this.#connect();
    }, delay);
    this.emit('reconnecting', delay);
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/** A command as RESP: an array of bulk strings (one string, or buffers when an argument is bytes). */
export function encode(args: readonly CommandArg[]): string | Buffer {
  let text = `*${args.length}\r\n`;
  let parts: Buffer[] | undefined;
  for (const arg of args) {
    if (typeof arg === 'string') text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    else if (typeof arg === 'number') {
      const value = String(arg);
      text += `$${value.length}\r\n${value}\r\n`;
    } else {
      parts ??= [];
      parts.push(Buffer.from(`${text}$${arg.length}\r\n`), arg);
      text = '\r\n';
    }
  }
  if (parts === undefined) return text;
  parts.push(Buffer.from(text));
  return Buffer.concat(parts);
}
