/** The per-client enqueue limit: 429 with Retry-After, and a refused request uses up no position. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { MemoryStore } from '../../queue-core/memory-store.ts';
import { buildTestApp, type TestApp } from './support.ts';

describe('enqueue rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(new MemoryStore(), { limits: { enqueuePerClientPerMinute: 2, trustProxy: true } });
  });
  after(() => t.deps.room.close());

  const enqueueFrom = (client: string) =>
    request(t.publicHandler)
      .post('/assign_queue_num')
      .set('X-Forwarded-For', client)
      .send({ event_id: 'main' });

  it('answers 429 rate_limited with Retry-After beyond the budget, per client, without using a position', async () => {
    assert.equal((await enqueueFrom('203.0.113.1')).body.queue_number, 1);
    assert.equal((await enqueueFrom('203.0.113.1')).body.queue_number, 2);
    const refused = await enqueueFrom('203.0.113.1');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'rate_limited');
    assert.equal(refused.headers['retry-after'], '30');
    assert.equal(refused.headers['access-control-allow-origin'], '*');
    // Another client is not affected, and gets the next position: the refusal used none.
    assert.equal((await enqueueFrom('198.51.100.7')).body.queue_number, 3);
    // Half a minute later one more enqueue is allowed again.
    t.clock.advance(30);
    assert.equal((await enqueueFrom('203.0.113.1')).body.queue_number, 4);
    assert.equal((await enqueueFrom('203.0.113.1')).status, 429);
  });
});
