/**
 * The tests' loggers, and the capture of every line they write for the log scan.
 *
 * Every logger a test gives the code comes from `testLogger`: the project's own logger options
 * (`provider/telemetry/log.ts`), at level `trace`, so every line the code can write under test
 * is written. When `ANTEROOM_LOG_CAPTURE` names a directory (`scripts/test.ts` sets it), each
 * line is appended to a file there; after the run, `test/logs/scan.ts` reads them all and
 * fails on any cookie value, request id, token, key or secret. A test that reads log lines
 * passes `lines` (and the least `level` it wants there).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { logOptions } from '../../provider/telemetry/log.ts';

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

const captureDir = process.env.ANTEROOM_LOG_CAPTURE;
const captureFile = captureDir ? join(captureDir, `${process.pid}.ndjson`) : null;

/** Appends raw log text (JSON lines, e.g. a child process's stdout) to this run's capture. */
export function captureLogText(text: string): void {
  if (captureFile !== null && text !== '')
    appendFileSync(captureFile, text.endsWith('\n') ? text : `${text}\n`);
}

/** `lines` receives the parsed lines at `level` or above, typed as the test reads them. */
export function testLogger<Line extends object = LogLine>(
  options: { level?: pino.Level; lines?: Line[] } = {},
): pino.Logger {
  const least = pino.levels.values[options.level ?? 'trace'] ?? 0;
  return pino(logOptions('trace'), {
    write(line: string) {
      captureLogText(line);
      if (options.lines === undefined) return;
      const parsed = JSON.parse(line) as LogLine;
      if (parsed.level >= least) options.lines.push(parsed as unknown as Line);
    },
  });
}
