/** Input parsers: the normalised value, or a ValidationError naming the field with a stable code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../queue-core/errors.ts';
import {
  parseEventId,
  parseIncrement,
  parsePageLimit,
  parseRequestId,
  parseSessionStatus,
} from '../../queue-core/validate.ts';

function rejects(run: () => unknown, field: string, code: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.deepEqual([error.field, error.code, error.status], [field, code, 400]);
    assert.match(error.message, new RegExp(field));
    return true;
  });
}

describe('validate', () => {
  it('accepts event ids of 1-64 safe characters only', () => {
    assert.equal(parseEventId('Sale_2026.v-1'), 'Sale_2026.v-1');
    assert.equal(parseEventId('x'.repeat(64)), 'x'.repeat(64));
    for (const bad of ['', 'x'.repeat(65), 'a{b}', 'a b', 'é', 42, null, undefined]) {
      rejects(() => parseEventId(bad), 'event_id', 'invalid_event_id');
    }
    rejects(() => parseEventId('a:b', 'id'), 'id', 'invalid_event_id');
  });

  it('accepts UUID request ids and returns them lower-case', () => {
    const id = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    assert.equal(parseRequestId(id), id.toLowerCase());
    for (const bad of [
      '',
      `${id}x`,
      `x${id}`,
      id.replace(/-/g, ''),
      'gggggggg-4f89-41d3-9a0c-0305e82c3301',
      7,
    ]) {
      rejects(() => parseRequestId(bad), 'request_id', 'invalid_request_id');
    }
  });

  it('accepts integer increments up to 10^9 either way', () => {
    assert.equal(parseIncrement(5), 5);
    assert.equal(parseIncrement(-1_000_000_000), -1_000_000_000);
    assert.equal(parseIncrement('12'), 12);
    for (const bad of [1.5, 1_000_000_001, Number.NaN, '1e3', '', null, true]) {
      rejects(() => parseIncrement(bad), 'increment_by', 'invalid_increment');
    }
  });

  it('maps session status 1 and -1, nothing else', () => {
    assert.equal(parseSessionStatus(1), 'completed');
    assert.equal(parseSessionStatus(-1), 'abandoned');
    for (const bad of [0, 2, -2, 'completed', null])
      rejects(() => parseSessionStatus(bad), 'status', 'invalid_status');
  });

  it('parses page limits with a default and a maximum', () => {
    assert.equal(parsePageLimit(undefined), 100);
    assert.equal(parsePageLimit('25'), 25);
    assert.equal(parsePageLimit(undefined, 'limit', { defaultLimit: 10 }), 10);
    assert.equal(parsePageLimit(1000), 1000);
    for (const bad of [0, -1, 1001, 2.5, 'ten']) rejects(() => parsePageLimit(bad), 'limit', 'invalid_limit');
    rejects(() => parsePageLimit(51, 'page_size', { max: 50 }), 'page_size', 'invalid_limit');
  });
});
