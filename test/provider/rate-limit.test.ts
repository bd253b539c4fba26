/**
 * The per-client enqueue limit: 429 with Retry-After, a refused request uses up no position,
 * and the budget is one across processes (and Lambda containers) sharing a store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { buildTestApp, type TestApp } from './support.ts';

const LIMITS = { limits: { enqueuePerClientPerMinute: 2, trustProxy: 1 } };

const enqueueFrom = (t: TestApp, client: string) =>
  request(t.publicHandler)
    .post('/assign_queue_num')
    .set('X-Forwarded-For', client)
    .send({ event_id: 'main' });

describe('enqueue rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(new MemoryStore(), LIMITS);
  });
  after(() => t.deps.room.close());

  it('answers 429 rate_limited with Retry-After beyond the budget, per client, without using a position', async () => {
    assert.equal((await enqueueFrom(t, '203.0.113.1')).body.queue_number, 1);
    assert.equal((await enqueueFrom(t, '203.0.113.1')).body.queue_number, 2);
    const refused = await enqueueFrom(t, '203.0.113.1');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'rate_limited');
    assert.equal(refused.headers['retry-after'], '30');
    assert.equal(refused.headers['access-control-allow-origin'], '*');
    // Another client is not affected, and gets the next position: the refusal used none.
    assert.equal((await enqueueFrom(t, '198.51.100.7')).body.queue_number, 3);
    // Half a minute later one more enqueue is allowed again.
    t.clock.advance(30);
    const late = await enqueueFrom(t, '203.0.113.1').set('Idempotency-Key', 'late-visitor-0123456789abcdef');
    assert.equal(late.body.queue_number, 4);
    assert.equal((await enqueueFrom(t, '203.0.113.1')).status, 429);
    // A returning visitor spends nothing: its retry is answered with its place.
    const retry = await enqueueFrom(t, '203.0.113.1').set('Idempotency-Key', 'late-visitor-0123456789abcdef');
    assert.equal(retry.status, 200);
    assert.equal(retry.body.api_request_id, late.body.api_request_id);
  });
});

describe('enqueue rate limit across processes on one Redis', { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];
  before(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) apps.push(await buildTestApp(new RedisStore({ url: redis.url }), LIMITS));
  });
  after(async () => {
    for (const t of apps) {
      t.deps.room.close();
      await t.deps.store.close();
    }
    await redis?.stop();
  });

  it('draws one budget per client, whichever process answers', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    assert.equal((await enqueueFrom(a, '203.0.113.9')).status, 200);
    assert.equal((await enqueueFrom(b, '203.0.113.9')).status, 200);
    for (const t of [a, b]) {
      const refused = await enqueueFrom(t, '203.0.113.9');
      assert.equal(refused.status, 429, 'the budget of 2 is spent across both processes');
      assert.equal(refused.body.code, 'rate_limited');
    }
    // The waiting page's form draws on the same budget.
    const form = await request(b.publicHandler)
      .post('/waiting-room/main/join')
      .set('X-Forwarded-For', '203.0.113.9')
      .set('Origin', 'https://queue.example.test')
      .type('form')
      .send('');
    assert.equal(form.status, 429);
    assert.equal((await enqueueFrom(a, '198.51.100.9')).status, 200, 'another client is not affected');
  });
});

describe('the client address behind proxies', () => {
  const apps: TestApp[] = [];
  const app = async (limits: Record<string, unknown>) => {
    const t = await buildTestApp(new MemoryStore(), { limits: { enqueuePerClientPerMinute: 1, ...limits } });
    apps.push(t);
    return t;
  };
  const join = (t: TestApp, headers: Record<string, string>) =>
    request(t.publicHandler)
      .post('/waiting-room/main/join')
      .set(headers)
      .set('Origin', 'https://queue.example.test')
      .type('form')
      .send('');
  after(() => {
    for (const t of apps) t.deps.room.close();
  });

  it('with one trusted proxy, takes the entry it appended: a forged X-Forwarded-For opens no new budget', async () => {
    const t = await app({ trustProxy: 1 });
    // The proxy appends the address it saw (203.0.113.5) to whatever the client sent.
    const forged = (fake: string) => ({ 'X-Forwarded-For': `${fake}, 203.0.113.5` });
    assert.equal((await enqueueFrom(t, '203.0.113.5')).status, 200);
    for (const fake of ['198.51.100.1', '198.51.100.2']) {
      // The hot path (node:http) and the Koa app (the waiting page's form) agree.
      const hot = await request(t.publicHandler)
        .post('/assign_queue_num')
        .set(forged(fake))
        .send({ event_id: 'main' });
      assert.equal(hot.status, 429, fake);
      assert.equal((await join(t, forged(fake))).status, 429, fake);
    }
    assert.equal((await enqueueFrom(t, '198.51.100.3, 203.0.113.6')).status, 200, 'another client');
  });

  it('counts an IPv6 client by its /64, and ignores a port the proxy appended', async () => {
    const t = await app({ trustProxy: 1 });
    assert.equal((await enqueueFrom(t, '2001:db8:1:2::1')).status, 200);
    assert.equal((await enqueueFrom(t, '2001:db8:1:2:ffff::9')).status, 429, 'same /64');
    assert.equal((await enqueueFrom(t, '2001:db8:1:3::1')).status, 200, 'another /64');
    assert.equal((await enqueueFrom(t, '203.0.113.8:5000')).status, 200);
    assert.equal((await enqueueFrom(t, '203.0.113.8:5001')).status, 429, 'same address, another port');
  });

  it('with proxy networks, takes the right-most entry outside them: a forged entry opens no new budget', async () => {
    // The test client connects from loopback: the proxy in front, with an inner proxy at 10.0.0.0/8.
    const t = await app({ trustProxy: ['127.0.0.0/8', '::1', '10.0.0.0/8'] });
    assert.equal((await enqueueFrom(t, '198.51.100.1, 203.0.113.5, 10.1.2.3')).status, 200);
    // Whatever the client wrote left of its own address, it is 203.0.113.5 again.
    assert.equal((await enqueueFrom(t, '198.51.100.2, 203.0.113.5, 10.1.2.3')).status, 429);
    assert.equal((await enqueueFrom(t, '203.0.113.5')).status, 429);
    assert.equal((await enqueueFrom(t, '198.51.100.1, 203.0.113.7')).status, 200, 'another client');
  });

  it('with proxy networks, a peer outside them is the client, whatever it writes', async () => {
    const t = await app({ trustProxy: ['10.0.0.0/8'] });
    assert.equal((await enqueueFrom(t, '198.51.100.1')).status, 200);
    // The loopback peer is not a trusted proxy: its X-Forwarded-For is not read.
    assert.equal((await enqueueFrom(t, '198.51.100.2')).status, 429);
  });

  it('prefers the configured client address header, and ignores X-Forwarded-For without trustProxy', async () => {
    const t = await app({ clientAddressHeader: 'X-Anteroom-Client-IP' });
    const from = (address: string, forwarded: string) => ({
      'X-Anteroom-Client-IP': address,
      'X-Forwarded-For': forwarded,
    });
    assert.equal((await join(t, from('203.0.113.5', '198.51.100.1'))).status, 303);
    const hot = await request(t.publicHandler)
      .post('/assign_queue_num')
      .set(from('203.0.113.5', '198.51.100.2'))
      .send({ event_id: 'main' });
    assert.equal(hot.status, 429);
    assert.equal((await join(t, from('203.0.113.6', '198.51.100.1'))).status, 303, 'another client');
    // Without the header (and without trustProxy) the peer address counts: one budget for all.
    assert.equal((await enqueueFrom(t, '198.51.100.3')).status, 200);
    assert.equal((await enqueueFrom(t, '198.51.100.4')).status, 429);
  });
});
