/** Admin authentication details: failed attempts are logged (without the key), request ids echo. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import request from 'supertest';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { ADMIN_KEY, buildTestApp, type TestApp } from './support.ts';

describe('admin authentication log and request ids', () => {
  const lines: Record<string, unknown>[] = [];
  let t: TestApp;
  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    t = await buildTestApp(new MemoryStore(), {}, { logger: pino({ level: 'info' }, sink) });
  });
  after(() => t.deps.room.close());

  it('logs a failed admin attempt with its reason, never the key tried', async () => {
    await request(t.adminHandler).get('/events').set('Authorization', 'Bearer guessed-key-123').expect(401);
    await request(t.adminHandler).get('/metrics').expect(401);
    await new Promise((resolve) => setImmediate(resolve));
    const failures = lines.filter((line) => line.msg === 'admin authentication failed');
    assert.deepEqual(
      failures.map((line) => [line.path, line.reason]),
      [
        ['/events', 'wrong key'],
        ['/metrics', 'no key'],
      ],
    );
    assert.ok(!JSON.stringify(lines).includes('guessed-key-123'));
    await request(t.adminHandler).get('/events').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200);
  });

  it('echoes a sane X-Request-Id and replaces anything else with a fresh, unique one', async () => {
    const echoed = await request(t.publicHandler).get('/healthz').set('X-Request-Id', 'trace-42.a:b');
    assert.equal(echoed.headers['x-request-id'], 'trace-42.a:b');
    const replaced = await request(t.publicHandler).get('/healthz').set('X-Request-Id', '<script>');
    const fresh = /^[0-9a-f]{12}-[0-9a-z]+$/;
    assert.match(replaced.headers['x-request-id'] ?? '', fresh);
    const onError = await request(t.adminHandler).get('/events');
    assert.equal(onError.status, 401);
    assert.match(onError.headers['x-request-id'] ?? '', fresh);
    assert.notEqual(onError.headers['x-request-id'], replaced.headers['x-request-id']);
  });
});
