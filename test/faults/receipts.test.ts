/**
 * Signed place receipts (docs/reliability.md): a Redis without persistence restarted empty
 * under load from two `anteroom serve` processes, with waiting visitors who joined before it.
 * The store forgets every place and starts a new era (their request ids read as unknown); each
 * waiting visitor's browser still holds the receipt cookie `ar_rc_<event>` set with their place.
 *
 * Asserted: every waiting visitor who joined before the loss and presents their receipt keeps
 * their position (0 lost) — on `GET /status`, `GET /queue_num`, and `POST /generate_token` once
 * the counter reaches them (the token names that position); no restored position is held by
 * anyone else (none of the positions handed out after the restart, none twice among the
 * restored); without the receipt the old id stays unknown (404); after an operator's reset the
 * receipt is refused (404), as a reset means to drop every place. The load itself keeps the
 * rules of every fault run (no hang, no 500, every 503 with Retry-After, no process handing
 * out a position it acknowledged).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { redisSkipReason, startRedis } from '../support/redis.ts';
import {
  ADMIN_KEY,
  faultConfig,
  report,
  SCALE,
  type ServeProcess,
  serve,
  sleep,
  steadyLoad,
  stopAll,
} from './support.ts';

const skip = redisSkipReason();
const WAITERS = 50 * SCALE;

interface Waiter {
  server: ServeProcess;
  requestId: string;
  position: number;
  /** The cookies the enqueue set (`name=value` each): visitor, request id, receipt. */
  cookies: string[];
}

function cookiesOf(answer: Response): string[] {
  return answer.headers.getSetCookie().map((line) => line.split(';')[0]!);
}

/** A browser's cookie jar: `name=value` each, a later one replacing an earlier of the same name. */
function keep(jar: string[], set: string[]): string[] {
  const byName = new Map(jar.map((cookie) => [cookie.slice(0, cookie.indexOf('=')), cookie]));
  for (const cookie of set) byName.set(cookie.slice(0, cookie.indexOf('=')), cookie);
  return [...byName.values()];
}

async function enqueue(server: ServeProcess, jar: string[]): Promise<Response> {
  return fetch(`${server.url}/assign_queue_num`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(jar.length > 0 ? { Cookie: jar.join('; ') } : {}) },
    body: '{"event_id":"fault"}',
    signal: AbortSignal.timeout(10_000),
  });
}

/**
 * A browser joins: its first enqueue carries no cookie, so it gets no receipt (a client without
 * cookies pays nothing for receipts); the receipt comes with its first status poll (`viaPoll`),
 * or with an enqueue it repeats with its cookies (the same place).
 */
async function join(server: ServeProcess, viaPoll: boolean): Promise<Waiter> {
  for (;;) {
    const answer = await enqueue(server, []);
    const body = (await answer.json()) as { queue_number?: number; api_request_id?: string };
    if (answer.status !== 200 || typeof body.queue_number !== 'number') {
      await sleep(50);
      continue;
    }
    let cookies = cookiesOf(answer);
    assert.ok(
      !cookies.some((cookie) => cookie.startsWith('ar_rc_')),
      'a receipt for a client without cookies',
    );
    const waiter = { server, requestId: String(body.api_request_id), position: body.queue_number, cookies };
    for (;;) {
      const again = viaPoll
        ? await fetch(`${server.url}/status?event_id=fault&request_id=${waiter.requestId}`, {
            headers: { Cookie: cookies.join('; ') },
            signal: AbortSignal.timeout(10_000),
          })
        : await enqueue(server, cookies);
      const seen = (await again.json()) as { queue_number?: number };
      if (again.status !== 200) {
        await sleep(50);
        continue;
      }
      assert.equal(seen.queue_number, waiter.position);
      cookies = keep(cookies, cookiesOf(again));
      break;
    }
    assert.ok(
      cookies.some((cookie) => cookie.startsWith('ar_rc_fault=')),
      viaPoll ? 'the first poll with cookies gets the receipt' : 'an enqueue with cookies gets the receipt',
    );
    return { ...waiter, cookies };
  }
}

/** A call with the waiter's cookies (or none), retried while the store is unavailable (503). */
async function call(
  waiter: Waiter,
  path: string,
  options: { body?: unknown; receipt?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown>; cookies: string[] }> {
  const cookie = (options.receipt ?? true) ? waiter.cookies.join('; ') : '';
  for (;;) {
    const answer = await fetch(`${waiter.server.url}${path}`, {
      method: options.body === undefined ? 'GET' : 'POST',
      headers: {
        ...(cookie ? { Cookie: cookie } : {}),
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await answer.json()) as Record<string, unknown>;
    if (answer.status !== 503) return { status: answer.status, body, cookies: cookiesOf(answer) };
    assert.ok(answer.headers.get('retry-after'), 'a 503 without Retry-After');
    await sleep(100);
  }
}

async function admin(server: ServeProcess, path: string, body: unknown): Promise<Record<string, unknown>> {
  for (;;) {
    const answer = await fetch(`${server.adminUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (answer.status === 200) return (await answer.json()) as Record<string, unknown>;
    await sleep(100);
  }
}

describe('waiting places re-created from signed receipts', { skip, timeout: 600_000 }, () => {
  it('Redis restarted empty under load: every waiting visitor with a receipt keeps their position', async (t) => {
    const redis = await startRedis();
    const config = await faultConfig();
    const processes = await Promise.all([
      serve(config, { REDIS_URL: redis.url }),
      serve(config, { REDIS_URL: redis.url }),
    ]);
    try {
      const loads = processes.map((process) => steadyLoad(process));
      await sleep(300 * SCALE);
      // The waiting visitors join through both processes while the load goes on.
      const waiters: Waiter[] = [];
      for (let i = 0; i < WAITERS; i++) waiters.push(await join(processes[i % 2]!, i % 4 < 2));
      // Load through both after the last waiter joined: each process's regression guard then
      // covers every waiter's position (the first position of the new era is above them).
      await sleep(1000 * SCALE);
      await redis.kill();
      await redis.restart();
      await sleep(3000 + 1000 * SCALE);
      await Promise.all(loads.map((load) => load.stop()));
      const records = loads.map((load) => load.record);
      const dup = report(t, 'receipts, restarted empty', records);
      assert.equal(dup.within, 0, 'a process handed out a position it had acknowledged');

      // Without the receipt, the old request id is unknown: the store lost it.
      const bare = await call(waiters[0]!, `/status?event_id=fault&request_id=${waiters[0]!.requestId}`, {
        receipt: false,
      });
      assert.equal(bare.status, 404, 'the lost id is unknown without its receipt');

      // With it, every waiting visitor keeps their position.
      let lost = 0;
      const newIds = new Map<string, number>();
      for (const waiter of waiters) {
        const seen = await call(waiter, `/status?event_id=fault&request_id=${waiter.requestId}`);
        if (seen.status !== 200 || seen.body.queue_number !== waiter.position) {
          lost++;
          continue;
        }
        const renewed = seen.cookies.find((cookie) => cookie.startsWith('ar_rq_fault='));
        assert.ok(renewed, 'the restored place comes with its request id in the current era');
        newIds.set(renewed.slice('ar_rq_fault='.length), waiter.position);
        const entry = await call(waiter, `/queue_num?event_id=fault&request_id=${waiter.requestId}`);
        assert.equal(entry.status, 200);
        assert.equal(entry.body.queue_number, waiter.position, 'queue_num names the same position');
      }
      const positionsAfter = new Set(records.flatMap((record) => record.positions));
      const heldTwice = waiters.filter((waiter) => positionsAfter.has(waiter.position)).length;
      t.diagnostic(
        `receipts: ${WAITERS} waiting visitors joined before Redis restarted empty; ${WAITERS - lost} kept their position, ` +
          `${lost} lost; restored positions also handed to another visitor: ${heldTwice}`,
      );
      assert.equal(lost, 0, 'a waiting visitor with a receipt lost their place');
      assert.equal(heldTwice, 0, 'a restored position was handed to another visitor');
      assert.equal(newIds.size, WAITERS, 'every restored place has a request id of its own');

      // Admitted at that position: the counter reaches them, each claims a token naming it.
      const highest = Math.max(...waiters.map((waiter) => waiter.position));
      await admin(processes[0]!, '/increment_serving_counter', { event_id: 'fault', increment_by: highest });
      for (const waiter of waiters.slice(1)) {
        const claimed = await call(waiter, '/generate_token', {
          body: { event_id: 'fault', request_id: waiter.requestId },
        });
        assert.equal(
          claimed.status,
          200,
          `the token of position ${waiter.position}: ${JSON.stringify(claimed.body)}`,
        );
        const claims = decodeJwt(String(claimed.body.access_token));
        assert.equal(claims.queue_position, waiter.position, 'the token names the position the visitor held');
        assert.equal(newIds.get(String(claims.sub)), waiter.position, 'issued to the restored place');
      }

      // A reset drops every place on purpose: a receipt from before it is refused.
      await admin(processes[0]!, '/reset_initial_state', { event_id: 'fault' });
      const afterReset = await call(
        waiters[0]!,
        `/status?event_id=fault&request_id=${waiters[0]!.requestId}`,
      );
      assert.equal(afterReset.status, 404, 'a receipt from before a reset re-creates nothing');
    } finally {
      await stopAll(processes);
      await redis.stop();
    }
  });
});

describe('store.restorePlace on Redis', { skip }, () => {
  it('re-creates a position only where no one else can hold it, and never after a reset', async () => {
    const redis = await startRedis();
    const flush = async () => {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await client.flushall();
      client.disconnect();
    };
    // Each RedisStore is a process of its own: its regression guard knows only its own positions.
    const before = new RedisStore({ url: redis.url });
    const stores: RedisStore[] = [before];
    const fresh = () => {
      const store = new RedisStore({ url: redis.url });
      stores.push(store);
      return store;
    };
    try {
      const places: { requestId: string }[] = [];
      for (let i = 0; i < 10; i++) places.push(await before.enqueue('e', { now: 1000 + i }));
      const receipt = (n: number) => ({ position: n, entryTime: 1000 + n - 1, resets: 0 });
      const idOf = (n: number) => places[n - 1]!.requestId;

      // The era survived but the counter went back (a failover to a lagging replica): the
      // counter is raised to cover the position, whose id is valid again.
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await client.hset('ar:{e}:c', 'queue', '4');
      client.disconnect();
      const other = fresh();
      assert.equal(await other.getEntry('e', idOf(7)), null);
      const same = await other.restorePlace('e', idOf(7), receipt(7));
      assert.equal(same?.requestId, idOf(7), 'the same era: the same request id');
      assert.equal((await other.enqueue('e', { now: 2000 })).position, 8, 'no later enqueue gets it');

      // Restarted empty, nothing handed out yet: any position can come back; later enqueues go above.
      await flush();
      const empty = fresh();
      const restored = await empty.restorePlace('e', idOf(5), receipt(5));
      assert.equal(restored?.position, 5);
      assert.equal(restored?.entryTime, 1004, 'the entry time the receipt names');
      assert.notEqual(restored?.requestId, idOf(5), 'a request id of the new era');
      assert.deepEqual(await empty.getEntry('e', restored!.requestId), {
        requestId: restored!.requestId,
        eventId: 'e',
        position: 5,
        entryTime: 1004,
      });
      assert.equal((await fresh().enqueue('e', { now: 3000 })).position, 6, 'the next enqueue goes above it');
      assert.equal(
        (await fresh().restorePlace('e', idOf(3), receipt(3)))?.position,
        3,
        'below the first new one',
      );
      assert.equal(
        await fresh().restorePlace('e', idOf(6), receipt(6)),
        null,
        'position 6 went to someone else',
      );
      assert.equal(await fresh().restorePlace('e', idOf(9), receipt(9)), null, 'above the first new one');
      assert.equal(
        (await fresh().restorePlace('e', idOf(5), receipt(5)))?.position,
        5,
        'again: the same place',
      );

      // Restarted empty, and a process without floors handed out positions first: those are
      // another visitor's now, whatever the receipts say.
      await flush();
      const first = fresh();
      assert.equal((await first.enqueue('e', { now: 4000 })).position, 1);
      assert.equal(await fresh().restorePlace('e', idOf(1), receipt(1)), null);
      assert.equal(await fresh().restorePlace('e', idOf(2), receipt(2)), null);

      // No reset may have happened since the receipt.
      await flush();
      await fresh().reset('e');
      assert.equal(await fresh().restorePlace('e', idOf(2), receipt(2)), null, 'reset since the receipt');
      assert.equal(
        (await fresh().restorePlace('e', idOf(2), { ...receipt(2), resets: 1 }))?.position,
        2,
        'a receipt of the current reset count',
      );
    } finally {
      for (const store of stores) await store.close();
      await redis.stop();
    }
  });
});
