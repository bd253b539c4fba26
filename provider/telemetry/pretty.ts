/**
 * Log lines a person reads: when standard output is a terminal, `anteroom serve` writes each
 * JSON log line (`logger.ts`) as `time LEVEL message key=value …` (an error's stack on the lines below) instead of
 * JSON; piped to a file or a log shipper, the lines stay JSON. Colours unless `NO_COLOR` is set.
 */
import type { LineSink } from './logger.ts';

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, shown in the line's head or not at all. */
const HEAD = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'err']);

interface LoggedError {
  type?: string;
  message?: string;
  stack?: string;
}

function value(field: unknown): string {
  if (typeof field === 'string') return /[\s"=]/.test(field) || field === '' ? JSON.stringify(field) : field;
  return JSON.stringify(field);
}

function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  return date.toISOString().slice(11, 23);
}

/** One JSON log line as the text a person reads (without a trailing newline). */
export function prettyLine(json: string, colour: boolean): string {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
  const [label, tint] = LEVELS[line.level as number] ?? [String(line.level).padEnd(5), ''];
  const fields = Object.entries(line)
    .filter(([key]) => !HEAD.has(key))
    .map(([key, field]) => `${paint(DIM, `${key}=`)}${value(field)}`);
  const head = `${paint(DIM, clock(line.time))} ${paint(tint, label)} ${line.msg ?? ''}`;
  let text = fields.length > 0 ? `${head}  ${fields.join(' ')}` : head;
  const err = line.err as LoggedError | undefined;
  if (err !== undefined) {
    const stack = err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`;
    text += `\n${stack.replace(/^/gm, '    ')}`;
  }
  return text;
}

/** A log sink writing `prettyLine`s to `stream`. */
export function prettyDestination(stream: NodeJS.WritableStream, colour = !process.env.NO_COLOR): LineSink {
  return {
    write(json: string) {
      stream.write(`${prettyLine(json, colour)}\n`);
    },
  };
}
