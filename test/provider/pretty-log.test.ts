/**
 * `anteroom serve` on a terminal: log lines a person reads (time, level, message, key=value
 * fields, an error's stack below), JSON otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../provider/apps/deps.ts';
import { loadConfig } from '../../provider/config/server-config.ts';
import { prettyLine } from '../../provider/telemetry/pretty.ts';

const ESC = String.fromCharCode(27);

test('a pino line reads as time, level, message and fields', () => {
  const json = JSON.stringify({
    level: 40,
    time: Date.UTC(2026, 0, 2, 9, 30, 5, 42),
    pid: 7,
    hostname: 'h',
    service: 'anteroom',
    msg: 'store unavailable',
    event_id: 'demo',
    count: 3,
    reason: 'two words',
    err: { type: 'Error', message: 'ECONNREFUSED', stack: 'Error: ECONNREFUSED\n    at connect' },
  });
  assert.equal(
    prettyLine(json, false),
    '09:30:05.042 WARN  store unavailable  event_id=demo count=3 reason="two words"\n' +
      '    Error: ECONNREFUSED\n        at connect',
  );
  assert.ok(prettyLine(json, true).includes(`${ESC}[33mWARN ${ESC}[0m store unavailable`), 'yellow level');
  assert.equal(prettyLine('not json\n', false), 'not json');
});

test('the logger of a terminal writes readable lines', () => {
  const config = loadConfig({ raw: { log: { level: 'info' } }, env: {} });
  const written: string[] = [];
  const terminal = Object.assign(
    { write: (text: string) => written.push(text) === 0 || true },
    { isTTY: true },
  ) as unknown as NodeJS.WriteStream;
  createLogger(config, terminal).info({ listen: 'http://localhost:8080' }, 'Anteroom is running');
  assert.equal(written.length, 1);
  const plain = written[0]!.replaceAll(new RegExp(`${ESC}\\[\\d+m`, 'g'), '');
  assert.match(
    plain,
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}Anteroom is running {2}listen=http:\/\/localhost:8080\n$/,
  );
  assert.doesNotMatch(plain, /^\{/);
});
