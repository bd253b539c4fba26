/**
 * The error table (`queue-core/errors.ts`) and its one renderer (`provider/http/errors.ts`):
 * every code answers with its row's status and sentence, 5xx codes never show their detail
 * unless the row says so, and 202 "not yet" codes are results that no error carries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeBody, errorAnswer } from '../../provider/http/errors.ts';
import { AnteroomError, ERRORS, type ErrorCode, StoreUnavailableError } from '../../queue-core/errors.ts';

const silent = { warn() {}, error() {} };

test('every code renders with its row: status, sentence, and no internal detail', () => {
  for (const [code, row] of Object.entries(ERRORS) as [ErrorCode, (typeof ERRORS)[ErrorCode]][]) {
    assert.match(code, /^[a-z]+(_[a-z0-9]+)*$/, code);
    assert.ok(row.message.length > 0, code);
    if (row.status < 400) continue;
    const answer = errorAnswer(new AnteroomError(code, 'detail that may be internal'), silent, 't');
    assert.equal(answer.status, row.status, code);
    const exposed = 'expose' in row ? row.expose : row.status < 500;
    assert.deepEqual(
      answer.body,
      exposed
        ? { error: 'detail that may be internal', code }
        : { error: 'Internal error', code: 'internal_error' },
      code,
    );
  }
});

test('a store outage answers 503 with Retry-After; a Koa status gets the code of its row', () => {
  const outage = errorAnswer(new StoreUnavailableError(new Error('ECONNREFUSED')), silent, 't');
  assert.equal(outage.status, 503);
  assert.deepEqual(outage.body, codeBody('store_unavailable'));
  assert.ok((outage.retryAfter ?? 0) >= 1);
  const thrown = Object.assign(new Error('Method Not Allowed'), { status: 405 });
  assert.deepEqual(errorAnswer(thrown, silent, 't'), {
    status: 405,
    body: { error: 'Method not allowed', code: 'method_not_allowed' },
    retryAfter: undefined,
  });
  assert.deepEqual(errorAnswer(new TypeError('bug'), silent, 't').body, codeBody('internal_error'));
});
