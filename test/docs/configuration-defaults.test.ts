/**
 * The configuration reference states the defaults the code uses: every default of
 * `CONFIG_DEFAULTS`, `EVENT_DEFAULTS` and `ADAPTIVE_INLET_DEFAULTS` (queue-core/defaults.ts) is in docs/configuration.md,
 * in the row of its key, as the code has it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ADAPTIVE_INLET_DEFAULTS,
  CONFIG_DEFAULTS,
  EVENT_DEFAULTS,
  REDIS_DEFAULTS,
} from '../../queue-core/defaults.ts';

const REFERENCE = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

/** The default column of a table's rows, by the key in their first column. */
function defaultsOf(heading: string, column: number): Map<string, string> {
  const section = REFERENCE.slice(REFERENCE.indexOf(heading));
  const rows = new Map<string, string>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('| `')) continue;
    const cells = line.split(' | ').map((cell) => cell.trim());
    for (const key of cells[0]!.matchAll(/`([^`]+)`/g)) rows.set(key[1]!, cells[column] ?? '');
  }
  return rows;
}

/** `{listen: {port: 8080}}` → `[["listen.port", 8080]]`; an object with a `type`, or a list, is one value. */
function flatten(value: object, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return typeof inner === 'object' && inner !== null && !Array.isArray(inner) && !('type' in inner)
      ? flatten(inner, path)
      : [[path, inner] as [string, unknown]];
  });
}

/** How the reference writes a value: as code, raw (`8080`, `0.0.0.0`) or as JSON (`"queue"`). */
function written(value: unknown): string[] {
  const json = JSON.stringify(value);
  return [`\`${json}\``, ...(typeof value === 'string' ? [`\`${value}\``] : [])];
}

test('docs/configuration.md states every default of the configuration keys as the code has it', () => {
  const documented = defaultsOf('## Keys', 2);
  const defaults = flatten(CONFIG_DEFAULTS);
  assert.ok(defaults.length >= 10);
  for (const [key, value] of defaults) {
    const cell = documented.get(key);
    assert.ok(cell !== undefined, `docs/configuration.md has no row for ${key}`);
    assert.ok(
      written(value).some((form) => cell.includes(form)),
      `${key}: the reference says "${cell}", the code ${JSON.stringify(value)}`,
    );
  }
});

test('docs/configuration.md states the defaults of the Redis store keys as the code has them', () => {
  const documented = defaultsOf('## Keys', 2);
  for (const key of ['durability', 'waitTimeoutMs', 'name'] as const) {
    const cell = documented.get(`store.${key}`);
    assert.ok(cell !== undefined, `docs/configuration.md has no row for store.${key}`);
    const value = REDIS_DEFAULTS[key];
    assert.ok(
      written(value).some((form) => cell.includes(form)),
      `store.${key}: the reference says "${cell}", the code ${JSON.stringify(value)}`,
    );
  }
});

test('docs/configuration.md states every default of the event settings as the code has it', () => {
  const documented = defaultsOf('## Event settings', 1);
  for (const [key, value] of Object.entries(EVENT_DEFAULTS)) {
    const cell = documented.get(key);
    assert.ok(cell !== undefined, `docs/configuration.md has no row for events[].${key}`);
    assert.ok(
      written(value).some((form) => cell.includes(form)),
      `events[].${key}: the reference says "${cell}", the code ${JSON.stringify(value)}`,
    );
  }
});

test('docs/configuration.md states every default of the adaptive inlet as the code has it', () => {
  const documented = defaultsOf('### The adaptive inlet', 1);
  for (const [key, value] of Object.entries(ADAPTIVE_INLET_DEFAULTS)) {
    const cell = documented.get(key);
    assert.ok(cell !== undefined, `docs/configuration.md has no row for inlet.${key}`);
    assert.ok(
      written(value).some((form) => cell.includes(form)),
      `inlet.${key}: the reference says "${cell}", the code ${JSON.stringify(value)}`,
    );
  }
});
