/**
 * The push signal of the adaptive inlet (API.md section 7): `POST /origin_health` on the admin
 * API, admin keys limited to it by `scopes`, and `inlet_state` in the event view.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig } from '../../provider/config/server-config.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { freePort } from '../support/redis.ts';
import { ADMIN_KEY, buildTestApp, type TestApp } from './support.ts';

const PUSH_KEY = 'origin-push-Vb4kQ9mZt2WcX7rLp5Hs';
const PUSH_EVENT = {
  id: 'push',
  inlet: {
    type: 'adaptive',
    minPerMinute: 6,
    maxPerMinute: 600,
    startPerMinute: 60,
    intervalSeconds: 10,
    target: { latencyMs: 300, errorRate: 0.02 },
    signal: { type: 'push' },
  },
};
/** An adaptive event probing a port nobody listens on. */
const probeEvent = async () => ({
  id: 'probe',
  inlet: { ...PUSH_EVENT.inlet, signal: { type: 'probe', url: `http://127.0.0.1:${await freePort()}/` } },
});

describe('POST /origin_health and inlet_state', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(new MemoryStore(), {
      adminKeys: [ADMIN_KEY, { key: PUSH_KEY, scopes: ['origin_health'] }],
      events: [
        PUSH_EVENT,
        await probeEvent(),
        { id: 'fixed', inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 5 } },
      ],
    });
  });
  after(() => t.deps.room.close());

  const push = (body: unknown, key = PUSH_KEY) =>
    request(t.adminHandler)
      .post('/origin_health')
      .set('Authorization', `Bearer ${key}`)
      .send(body as object);

  it('takes a reading with the push-only key and answers the inlet state', async () => {
    const answer = await push({ event_id: 'push', latency_ms: 120.5, error_rate: 0.001 }).expect(200);
    assert.deepEqual(answer.body, {
      inlet_state: {
        rate_per_minute: 60,
        signal: { latency_ms: 120.5, error_rate: 0.001, at: t.clock.seconds },
        reason: 'starting',
      },
    });
    assert.equal(answer.headers['cache-control'], 'no-store');
  });

  it('the controller acts on it at its next step, and the event view shows it', async () => {
    t.clock.advance(1);
    await push({ event_id: 'push', latency_ms: 90, error_rate: 0 }).expect(200);
    await t.deps.room.tick('test');
    const view = await request(t.adminHandler)
      .get('/events/push')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.deepEqual(view.body.inlet_state, {
      rate_per_minute: 61.8,
      signal: { latency_ms: 90, error_rate: 0, at: t.clock.seconds },
      reason: 'below_target',
    });
    const fixed = await request(t.adminHandler)
      .get('/events/fixed')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.equal(fixed.body.inlet_state, null);
  });

  it('/metrics exposes the rate and the signal of adaptive events only', async () => {
    const scrape = await request(t.adminHandler)
      .get('/metrics')
      .set('Authorization', `Bearer ${ADMIN_KEY}`)
      .expect(200);
    assert.match(scrape.text, /^anteroom_inlet_rate_per_minute\{event="push"\} 61.8$/m);
    assert.match(scrape.text, /^anteroom_inlet_signal_latency_ms\{event="push"\} 90$/m);
    assert.match(scrape.text, /^anteroom_inlet_signal_error_rate\{event="push"\} 0$/m);
    assert.match(
      scrape.text,
      new RegExp(`^anteroom_inlet_signal_timestamp_seconds\\{event="push"\\} ${t.clock.seconds}$`, 'm'),
    );
    // The probe event's port refuses connections: its reading is all errors, and it fell.
    assert.match(scrape.text, /^anteroom_inlet_signal_error_rate\{event="probe"\} 1$/m);
    assert.match(scrape.text, /^anteroom_inlet_rate_per_minute\{event="probe"\} 30$/m);
    assert.doesNotMatch(scrape.text, /^anteroom_inlet_rate_per_minute\{event="fixed"\}/m);
    assert.doesNotMatch(scrape.text, /^anteroom_inlet_signal_latency_ms\{event="fixed"\}/m);
  });

  it('a key for every call may push too', async () => {
    await push({ event_id: 'push', latency_ms: 1, error_rate: 0 }, ADMIN_KEY).expect(200);
  });

  it('the push-only key can do nothing else: 403 insufficient_scope, and nothing changes', async () => {
    for (const [method, path] of [
      ['get', '/events'],
      ['post', '/reset_initial_state'],
      ['post', '/increment_serving_counter'],
      ['put', '/events/push'],
      ['get', '/origin_health'],
    ] as const) {
      const answer = await request(t.adminHandler)
        [method](path)
        .set('Authorization', `Bearer ${PUSH_KEY}`)
        .send({ event_id: 'push', increment_by: 5, mode: 'closed' });
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(answer.body.code, 'insufficient_scope');
    }
    assert.equal(await t.deps.store.getServingCounter('push'), 0);
    assert.equal((await t.deps.room.getEvent('push')).mode, 'queue');
  });

  it('refuses bad readings with 400 invalid_origin_health, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ event_id: 'push', error_rate: 0 }, 'latency_ms'],
      [{ event_id: 'push', latency_ms: -1, error_rate: 0 }, 'latency_ms'],
      [{ event_id: 'push', latency_ms: '120', error_rate: 0 }, 'latency_ms'],
      [{ event_id: 'push', latency_ms: 4_000_000, error_rate: 0 }, 'latency_ms'],
      [{ event_id: 'push', latency_ms: 100 }, 'error_rate'],
      [{ event_id: 'push', latency_ms: 100, error_rate: 1.5 }, 'error_rate'],
      [{ event_id: 'push', latency_ms: 100, error_rate: null }, 'error_rate'],
    ];
    for (const [body, field] of cases) {
      const answer = await push(body).expect(400);
      assert.equal(answer.body.code, 'invalid_origin_health', JSON.stringify(body));
      assert.match(answer.body.error, new RegExp(`^${field}`));
    }
    const stored = await t.deps.store.getOriginHealth('push');
    assert.equal(stored?.latencyMs, 1, 'a refused reading is not kept');
  });

  it('an unknown event is 400 Invalid event ID; an event that does not take pushes is 409', async () => {
    const unknown = await push({ event_id: 'nope', latency_ms: 1, error_rate: 0 }).expect(400);
    assert.equal(unknown.body.error, 'Invalid event ID');
    for (const eventId of ['probe', 'fixed']) {
      const refused = await push({ event_id: eventId, latency_ms: 1, error_rate: 0 }).expect(409);
      assert.equal(refused.body.code, 'signal_not_push');
    }
  });

  it('without a key: 401', async () => {
    await request(t.adminHandler).post('/origin_health').send({ event_id: 'push' }).expect(401);
  });
});

describe('adminKeys entries with scopes', () => {
  const load = (adminKeys: unknown) => loadConfig({ raw: { adminKeys }, env: {} });

  it('keeps scoped keys apart from the keys for every call', () => {
    const config = load([ADMIN_KEY, { key: PUSH_KEY, scopes: ['origin_health'] }, { key: `${PUSH_KEY}x` }]);
    assert.deepEqual(config.adminKeys, [ADMIN_KEY, `${PUSH_KEY}x`]);
    assert.deepEqual(config.scopedAdminKeys, [{ key: PUSH_KEY, scopes: ['origin_health'] }]);
  });

  it('scoped keys alone still get a generated key for every call', () => {
    const config = load([{ key: PUSH_KEY, scopes: ['origin_health'] }]);
    assert.equal(config.adminKeys.length, 1);
    assert.notEqual(config.adminKeys[0], PUSH_KEY);
  });

  it('refuses unknown scopes, empty scopes, unknown fields and weak keys, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [[{ key: PUSH_KEY, scopes: ['reset'] }], /adminKeys\[0\]\.scopes\[0\].*origin_health/],
      [[{ key: PUSH_KEY, scopes: [] }], /adminKeys\[0\]\.scopes/],
      [[{ key: PUSH_KEY, role: 'push' }], /adminKeys\[0\]\.role/],
      [[{ key: 'short', scopes: ['origin_health'] }], /adminKeys\[0\]\.key/],
    ];
    for (const [adminKeys, pattern] of cases) {
      assert.throws(() => load(adminKeys), pattern);
    }
  });
});
