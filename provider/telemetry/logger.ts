/**
 * The project's logger: JSON lines in pino's format, written by a few lines of code instead of
 * pino (pino, sonic-boom and their helpers are about 50 KiB a Lambda cold start compiled, and
 * pulled in `assert` and `os`). The code uses a small part of pino's API: `trace` … `fatal`
 * with `(fields, message)`, `(message)` or `(fields)`, and `level`. Every line is
 *
 *   {"level":30,"time":<epoch ms>,"service":"anteroom",…fields,"msg":"…"}
 *
 * with pino's level numbers (trace 10, debug 20, info 30, warn 40, error 50, fatal 60; `silent`
 * writes nothing) and `err` serialized by `serializeError` (`log.ts`): what the log scan, the
 * docs' log queries and CloudWatch metric filters read. A pino logger (the tests' `testLogger`)
 * fits the same `Logger` type.
 */
import { serializeError } from './log.ts';

/** One level's method: `(fields, message?)` or `(message)`. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/** What the code logs with: pino's methods and `level`, nothing else. */
export interface Logger {
  level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
}

/** pino's level numbers, by name (`silent` is above every level). */
export const LEVELS: Readonly<Record<string, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
});

/** Where lines go: one JSON line per call, with its trailing newline. */
export interface LineSink {
  write(line: string): unknown;
}

const HEAD = '"service":"anteroom"';

/** A logger at `level` writing JSON lines to `sink` (default: standard output). */
export function createJsonLogger(level: string, sink: LineSink = process.stdout): Logger {
  const least = LEVELS[level];
  if (least === undefined) throw new TypeError(`unknown log level ${level}`);
  const method = (value: number): LogFn =>
    value < least
      ? () => {}
      : (first: object | string, message?: string) => {
          sink.write(line(value, first, message));
        };
  return {
    level,
    trace: method(10),
    debug: method(20),
    info: method(30),
    warn: method(40),
    error: method(50),
    fatal: method(60),
  };
}

function line(level: number, first: object | string, message: string | undefined): string {
  let text = `{"level":${level},"time":${Date.now()},${HEAD}`;
  let msg = message;
  if (typeof first === 'string') msg = first;
  else if (first !== null && typeof first === 'object') {
    for (const [key, value] of Object.entries(first)) {
      const json = stringify(key === 'err' ? serializeError(value) : value);
      if (json !== undefined) text += `,${JSON.stringify(key)}:${json}`;
    }
  }
  if (msg !== undefined) text += `,"msg":${JSON.stringify(String(msg))}`;
  return `${text}}\n`;
}

/** JSON of one field; a cycle or a BigInt does not lose the line. */
function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (_key, inner: unknown) => {
      if (typeof inner === 'bigint') return inner.toString();
      if (typeof inner === 'object' && inner !== null) {
        if (seen.has(inner)) return '[Circular]';
        seen.add(inner);
      }
      return inner;
    });
  }
}
