/**
 * A RESP2 reply parser (the Redis protocol's answers): simple strings, errors, integers, bulk
 * strings and arrays, nested, with nulls. Bytes arrive in chunks cut anywhere; each complete
 * reply is handed on in order. Bulk strings are text (UTF-8) unless the reply's command asked
 * for bytes (`wantsBuffer`, asked before each reply). An error reply is a `ReplyError` value:
 * the client rejects the command with it; inside an array it is one of the array's values.
 *
 * A reply cut short is parsed again from its start once more bytes came, but only once enough
 * came for the bulk string it stopped in: a large value is copied once, not once per chunk.
 */

/** An error the server answered (`-ERR …`, `-NOSCRIPT …`, `-READONLY …`). */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

/** A reply: text or bytes, an integer, an error value inside an array, null, or an array of these. */
export type Reply = string | number | Buffer | ReplyError | null | Reply[];

const INCOMPLETE = Symbol('incomplete');
type Parsed = Reply | typeof INCOMPLETE;

const CR = 13;

export class RespParser {
  readonly #onReply: (reply: Reply) => void;
  readonly #wantsBuffer: () => boolean;
  /** Bytes of a reply cut short: the chunks since its start. */
  #held: Buffer[] = [];
  #heldLength = 0;
  /** How many held bytes the next attempt needs at least. */
  #needed = 0;
  #buffer: Buffer = Buffer.alloc(0);
  #offset = 0;
  #buffers = false;

  constructor(onReply: (reply: Reply) => void, wantsBuffer: () => boolean = () => false) {
    this.#onReply = onReply;
    this.#wantsBuffer = wantsBuffer;
  }

  /** Parse what a chunk completes; keep the rest for the next chunk. */
  feed(chunk: Buffer): void {
    let buffer = chunk;
    if (this.#heldLength > 0) {
      this.#held.push(chunk);
      this.#heldLength += chunk.length;
      if (this.#heldLength < this.#needed) return;
      buffer = Buffer.concat(this.#held, this.#heldLength);
      this.#held = [];
      this.#heldLength = 0;
    }
    this.#buffer = buffer;
    let start = 0;
    while (start < buffer.length) {
      this.#offset = start;
      this.#buffers = this.#wantsBuffer();
      const reply = this.#parse();
      if (reply === INCOMPLETE) {
        const rest = buffer.subarray(start);
        this.#held = [rest];
        this.#heldLength = rest.length;
        this.#needed = this.#needed - start;
        break;
      }
      start = this.#offset;
      this.#onReply(reply);
    }
    this.#buffer = Buffer.alloc(0);
  }

  /** Forget a reply cut short (the connection it came on is gone). */
  reset(): void {
    this.#held = [];
    this.#heldLength = 0;
    this.#needed = 0;
  }

  #incomplete(needed: number): typeof INCOMPLETE {
    this.#needed = needed;
    return INCOMPLETE;
  }

  #parse(): Parsed {
    const buffer = this.#buffer;
    const at = this.#offset;
    if (at >= buffer.length) return this.#incomplete(at + 1);
    const type = buffer[at];
    this.#offset = at + 1;
    switch (type) {
      case 0x2b /* + */:
        return this.#line(false);
      case 0x2d /* - */:
        return this.#line(true);
      case 0x3a /* : */:
        return this.#integer();
      case 0x24 /* $ */:
        return this.#bulk();
      case 0x2a /* * */:
        return this.#array();
      default:
        throw new Error(`unexpected Redis reply type 0x${(type ?? 0).toString(16)}`);
    }
  }

  #line(error: boolean): Parsed {
    const buffer = this.#buffer;
    const start = this.#offset;
    const end = buffer.indexOf(CR, start);
    if (end === -1 || end + 1 >= buffer.length) return this.#incomplete(buffer.length + 1);
    this.#offset = end + 2;
    const text = buffer.toString('utf8', start, end);
    return error ? new ReplyError(text) : text;
  }

  /** A decimal integer up to CRLF, or INCOMPLETE. */
  #number(): number | typeof INCOMPLETE {
    const buffer = this.#buffer;
    let at = this.#offset;
    let negative = false;
    if (buffer[at] === 0x2d) {
      negative = true;
      at++;
    }
    let value = 0;
    while (at < buffer.length) {
      const byte = buffer[at] as number;
      if (byte === CR) {
        if (at + 1 >= buffer.length) break;
        this.#offset = at + 2;
        return negative ? -value : value;
      }
      value = value * 10 + (byte - 0x30);
      at++;
    }
    return this.#incomplete(buffer.length + 1);
  }

  #integer(): Parsed {
    return this.#number();
  }

  #bulk(): Parsed {
    const length = this.#number();
    if (length === INCOMPLETE) return INCOMPLETE;
    if (length < 0) return null;
    const start = this.#offset;
    const end = start + length;
    if (end + 2 > this.#buffer.length) return this.#incomplete(end + 2);
    this.#offset = end + 2;
    return this.#buffers
      ? Buffer.from(this.#buffer.subarray(start, end))
      : this.#buffer.toString('utf8', start, end);
  }

  #array(): Parsed {
    const count = this.#number();
    if (count === INCOMPLETE) return INCOMPLETE;
    if (count < 0) return null;
    const values: Reply[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const value = this.#parse();
      if (value === INCOMPLETE) return INCOMPLETE;
      values[i] = value;
    }
    return values;
  }
}
