/**
 * The project's logger (`provider/telemetry/logger.ts`) writes the lines pino wrote with the
 * project's options (`logOptions`): the same fields in the same order, level numbers, `err`
 * serialized without what an error drags along, nothing below the level. Log queries, metric
 * filters and the log scan read these fields.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createLogger } from '../../provider/apps/deps.ts';
import { loadConfig } from '../../provider/config/server-config.ts';
import { logOptions } from '../../provider/telemetry/log.ts';
import { createJsonLogger, LEVELS, type Logger } from '../../provider/telemetry/logger.ts';

type Call = (logger: Logger) => void;

const failure = Object.assign(new Error('store unavailable', { cause: new Error('ECONNREFUSED') }), {
  code: 'EUNAVAILABLE',
  // What a client library hangs on its error: never logged.
  command: { args: ['visitor-key', 'request-id'] },
});

const CALLS: Call[] = [
  (log) => log.info('plain message'),
  (log) => log.warn({ notice: true }, 'generated keys'),
  (log) => log.error({ err: failure, event_id: 'demo', count: 3 }, 'unexpected error'),
  (log) => log.warn({ req_id: 'abc', code: 'invalid_json', err: 'not an error' }),
  (log) => log.info({ nested: { list: [1, 'two', null], when: new Date(0) }, skipped: undefined }, 'nested'),
  (log) => log.fatal({ quote: 'a "quoted" \n line', unicode: 'é ✓' }, 'with "quotes"'),
  (log) => log.debug({ hidden: true }, 'below info'),
  (log) => log.trace('below info too'),
];

function lines(make: (sink: { write(line: string): void }) => Logger): string[] {
  const written: string[] = [];
  const logger = make({ write: (line) => void written.push(line) });
  for (const call of CALLS) call(logger);
  return written;
}

const withoutTime = (line: string) => {
  assert.ok(line.endsWith('\n'), 'one line, newline-terminated');
  const { time, ...rest } = JSON.parse(line) as { time: number };
  assert.equal(typeof time, 'number');
  return JSON.stringify(rest);
};

test('writes what pino wrote with the project’s options, field for field', () => {
  const ours = lines((sink) => createJsonLogger('info', sink));
  const theirs = lines((sink) => pino(logOptions('info'), sink));
  assert.equal(ours.length, 6, 'debug and trace are below info');
  assert.deepEqual(ours.map(withoutTime), theirs.map(withoutTime));
  const error = JSON.parse(ours[2]!) as { err: Record<string, unknown>; level: number };
  assert.equal(error.level, 50);
  assert.deepEqual(Object.keys(error.err), ['type', 'message', 'code', 'stack', 'cause']);
  assert.doesNotMatch(ours[2]!, /request-id/);
});

test('levels: pino’s numbers, silent writes nothing, an unknown level is refused', () => {
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) {
    const ours = lines((sink) => createJsonLogger(level, sink));
    const theirs = lines((sink) => pino(logOptions(level), sink));
    assert.deepEqual(ours.map(withoutTime), theirs.map(withoutTime), level);
    if (level !== 'silent') assert.equal(LEVELS[level], pino.levels.values[level]);
  }
  assert.throws(() => createJsonLogger('verbose', { write() {} }), /unknown log level/);
});

test('a field JSON cannot hold (a cycle, a BigInt) does not lose the line', () => {
  const written: string[] = [];
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  createJsonLogger('info', { write: (line) => void written.push(line) }).info(
    { cycle, big: 10n },
    'odd fields',
  );
  const line = JSON.parse(written[0]!) as Record<string, unknown>;
  assert.deepEqual(line.cycle, { name: 'loop', self: '[Circular]' });
  assert.equal(line.big, '10');
  assert.equal(line.msg, 'odd fields');
});

test('the process logger writes JSON lines when standard output is no terminal', () => {
  const config = loadConfig({ raw: { log: { level: 'warn' } }, env: {} });
  const written: string[] = [];
  const pipe = { write: (text: string) => written.push(text) === 0 || true, isTTY: false };
  const logger = createLogger(config, pipe as unknown as NodeJS.WriteStream);
  logger.info('not written');
  logger.warn({ store_warning: true }, 'written');
  assert.equal(written.length, 1);
  assert.deepEqual(JSON.parse(written[0]!), {
    ...JSON.parse(written[0]!),
    level: 40,
    service: 'anteroom',
    store_warning: true,
    msg: 'written',
  });
});
