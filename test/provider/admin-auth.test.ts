/**
 * Admin authentication: failed attempts are logged and audited with a reason code (never the
 * key), slowed per client (429 + Retry-After once a client's budget is spent, other clients
 * untouched), and request ids echo.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { AUDITED_FAILURES_PER_MINUTE } from '../../provider/http/auth-failure-record.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { type LogLine, testLogger } from '../support/logs.ts';
import { ADMIN_KEY, buildTestApp, type TestApp } from './support.ts';

describe('admin authentication log and request ids', () => {
  const lines: LogLine[] = [];
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(new MemoryStore(), {}, { logger: testLogger({ level: 'info', lines }) });
  });
  after(() => t.deps.room.close());

  it('logs a failed admin attempt with its reason code, never the key tried', async () => {
    await request(t.adminHandler).get('/events').set('Authorization', 'Bearer guessed-key-123').expect(401);
    await request(t.adminHandler).get('/metrics').expect(401);
    await request(t.adminHandler).get('/metrics').set('Authorization', 'Basic Z3Vlc3M6a2V5').expect(401);
    await new Promise((resolve) => setImmediate(resolve));
    const failures = lines.filter((line) => line.msg === 'admin authentication failed');
    assert.deepEqual(
      failures.map((line) => [line.path, line.reason, line.ip]),
      [
        ['/events', 'wrong_key', '127.0.0.1'],
        ['/metrics', 'no_credentials', '127.0.0.1'],
        ['/metrics', 'unsupported_scheme', '127.0.0.1'],
      ],
    );
    assert.ok(!JSON.stringify(lines).includes('guessed-key-123'));
    assert.ok(!JSON.stringify(lines).includes('Z3Vlc3M6a2V5'));
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

describe('failed admin attempts: slowed per client and audited', () => {
  const CLIENT_HEADER = 'X-Test-Client';
  let t: TestApp;
  const from = (client: string, key: string | null, path = '/events') => {
    const call = request(t.adminHandler).get(path).set(CLIENT_HEADER, client);
    return key === null ? call : call.set('Authorization', `Bearer ${key}`);
  };
  const failures = async () =>
    (await t.deps.store.listAudit(10_000)).filter((entry) => entry.action === 'admin_auth_failed');

  before(async () => {
    t = await buildTestApp(new MemoryStore(), {
      limits: {
        enqueuePerClientPerMinute: 0,
        adminFailuresPerClientPerMinute: 3,
        clientAddressHeader: CLIENT_HEADER,
      },
    });
  });
  after(() => t.deps.room.close());
  beforeEach(() => {
    // A fresh minute: budgets refilled, the audit window reopened.
    t.clock.advance(3600);
  });

  it('answers 429 with Retry-After once a client spent its budget, even for the right key', async () => {
    for (let i = 0; i < 3; i += 1) await from('198.51.100.7', `wrong-${i}`).expect(401);
    const throttled = await from('198.51.100.7', ADMIN_KEY).expect(429);
    assert.equal(throttled.body.code, 'rate_limited');
    const retryAfter = Number(throttled.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 20, String(retryAfter));
    // Neither a correct key nor another failure from elsewhere is slowed by it.
    await from('203.0.113.9', ADMIN_KEY).expect(200);
    await from('203.0.113.9', 'wrong').expect(401);
    await from('203.0.113.9', ADMIN_KEY).expect(200);
    // Once the budget refilled, the client is heard again.
    t.clock.advance(retryAfter);
    await from('198.51.100.7', ADMIN_KEY).expect(200);
    await from('198.51.100.7', 'wrong-again').expect(401);
    await from('198.51.100.7', ADMIN_KEY).expect(429);
  });

  it('counts an IPv6 client by its /64 and leaves /healthz alone', async () => {
    for (let i = 0; i < 3; i += 1) await from(`2001:db8:1:2::${i + 1}`, 'wrong').expect(401);
    await from('2001:db8:1:2::99', ADMIN_KEY).expect(429);
    await from('2001:db8:1:3::1', ADMIN_KEY).expect(200);
    await from('2001:db8:1:2::99', null, '/healthz').expect(200);
  });

  it('audits each failure with the client, the reason code and the route, never the key', async () => {
    await from('192.0.2.44', 'not-the-key-0123456789').expect(401);
    await from('192.0.2.44', null, '/metrics').expect(401);
    await from('192.0.2.44', 'not-the-key-9876543210').expect(401);
    await from('192.0.2.44', ADMIN_KEY).expect(429);
    await from('192.0.2.44', 'one-more').expect(429);
    const entries = (await failures()).slice(0, 3).reverse();
    assert.deepEqual(
      entries.map((entry) => [entry.actor, entry.after]),
      [
        ['client:192.0.2.44', { reason: 'wrong_key', scheme: 'bearer', method: 'GET', path: '/events' }],
        ['client:192.0.2.44', { reason: 'no_credentials', scheme: 'none', method: 'GET', path: '/metrics' }],
        [
          'client:192.0.2.44',
          { reason: 'wrong_key', scheme: 'bearer', method: 'GET', path: '/events', throttled: true },
        ],
      ],
    );
    const trail = JSON.stringify(await t.deps.store.listAudit(10_000));
    assert.ok(!trail.includes('not-the-key') && !trail.includes('one-more'));
    // The admin API shows them to an operator.
    const shown = await request(t.adminHandler)
      .get('/audit?limit=1')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.equal(shown.body.items[0].action, 'admin_auth_failed');
    assert.equal(shown.body.items[0].actor, 'client:192.0.2.44');
  });

  it('audits at most a minute’s worth of failures one by one, and says how many it left out', async () => {
    const before = (await failures()).length;
    for (let i = 0; i < AUDITED_FAILURES_PER_MINUTE + 5; i += 1)
      await from(`10.9.0.${i}`, 'wrong').expect(401);
    assert.equal((await failures()).length - before, AUDITED_FAILURES_PER_MINUTE);
    t.clock.advance(60);
    await from('10.9.1.1', 'wrong').expect(401);
    const [latest] = await failures();
    assert.equal((latest?.after as { unaudited_before?: number } | undefined)?.unaudited_before, 5);
  });
});
