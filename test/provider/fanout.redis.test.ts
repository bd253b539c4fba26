/**
 * Event-level fan-out of the status streams, on Redis: per process and event one reader of the
 * event's state, whatever the number of open streams. Counted with INFO commandstats on the
 * suite's own Redis (the room's clock is the test's, so no poll reads unless the test lets time
 * pass): a counter move costs the same commands with 6 or 60 streams open and reaches all of
 * them; a token issued or a session ended by another process reaches the streams through one
 * batched read; a pause, a resume, a join and a reset reach them too (a reset by another process
 * too, even one refilled to the same counters before this process read them again); `/status` answers from the
 * same snapshot within its staleness bound, and never shows an admission the store has not made.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import request from 'supertest';
import { openStreamCount } from '../../provider/api/status-stream.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import type { Room, StatusView } from '../../queue-core/room/room-api.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { ADMIN_KEY, buildTestApp, PUBLIC_URL, type TestApp, testKeys } from './support.ts';

const AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };
const EVENT: EventSettings = {
  id: 'crowd',
  mode: 'queue',
  inlet: { type: 'manual' },
  tokenValiditySeconds: 600,
  queuePositionExpirySeconds: 900,
  incrementServingOnExpiry: false,
};

/** An open status stream: every `status` event it got, and whether it was told its place is gone. */
interface Opened {
  statuses: StatusView[];
  gone: boolean;
  ended: Promise<void>;
  close(): void;
}

async function openStream(base: string, requestId: string, eventId = 'crowd'): Promise<Opened> {
  const controller = new AbortController();
  const res = await fetch(`${base}/events/${eventId}/stream?request_id=${requestId}`, {
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  const opened: Opened = {
    statuses: [],
    gone: false,
    ended: Promise.resolve(),
    close: () => controller.abort(),
  };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first: () => void = () => {};
  const gotFirst = new Promise<void>((resolve) => {
    first = resolve;
  });
  opened.ended = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return;
        text += decoder.decode(chunk.value, { stream: true });
        let end = text.indexOf('\n\n');
        while (end >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (block.includes('event: gone')) opened.gone = true;
          if (block.includes('event: status')) {
            const data = block.split('\n').find((line) => line.startsWith('data: '))!;
            opened.statuses.push(JSON.parse(data.slice(6)) as StatusView);
            first();
          }
          end = text.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by the test
    }
  })();
  await gotFirst;
  return opened;
}

const latest = (stream: Opened) => stream.statuses.at(-1)!;

/** Wait (bounded) until every stream's latest status passes `check`. */
async function until(streams: Opened[], check: (status: StatusView) => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (streams.every((stream) => check(latest(stream)))) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const missing = streams.filter((stream) => !check(latest(stream))).length;
  assert.fail(`${missing} of ${streams.length} streams never got ${what}`);
}

describe('event-level fan-out of status streams (Redis)', { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  let counter: Redis;
  let store: RedisStore;
  let t: TestApp;
  let server: Server;
  let base: string;
  /** Another process on the same store. */
  let other: Room;
  let otherStore: RedisStore;
  const open: Opened[] = [];

  /** Redis commands run so far (INFO commandstats, INFO itself left out). */
  const commands = async () => {
    let calls = 0;
    for (const line of (await counter.info('commandstats')).split('\n')) {
      const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (match && match[1] !== 'info') calls += Number(match[2]);
    }
    return calls;
  };
  const join = async () => {
    const res = await request(t.publicHandler)
      .post('/assign_queue_num')
      .send({ event_id: 'crowd' })
      .expect(200);
    return res.body as { api_request_id: string; queue_number: number };
  };
  const move = (by: number) =>
    request(t.adminHandler)
      .post('/increment_serving_counter')
      .set(AUTH)
      .send({ event_id: 'crowd', increment_by: by })
      .expect(200);
  /** Let the room's snapshot age past its reuse, so the next watch poll reads the store. */
  const letTimePass = () => {
    t.clock.ms += 2000;
  };
  const openMany = async (count: number) => {
    const streams: Opened[] = [];
    for (let i = 0; i < count; i++) streams.push(await openStream(base, (await join()).api_request_id));
    open.push(...streams);
    return streams;
  };
  const closeAll = async () => {
    for (const stream of open.splice(0)) {
      stream.close();
      await stream.ended;
    }
    for (let attempt = 0; attempt < 200 && openStreamCount() > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  before(async () => {
    redis = await startRedis();
    counter = new Redis(redis.url);
    store = new RedisStore({ url: redis.url, keyPrefix: 'fan:' });
    otherStore = new RedisStore({ url: redis.url, keyPrefix: 'fan:' });
    t = await buildTestApp(store, {
      events: [EVENT, { ...EVENT, id: 'fresh' }],
      limits: { enqueuePerClientPerMinute: 0, streamsPerClient: 200 },
    });
    other = createRoom({ store: otherStore, keys: await testKeys(), events: [EVENT], issuer: PUBLIC_URL });
    server = createServer(t.publicHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await closeAll();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    t?.deps.room.close();
    other?.close();
    await store?.close();
    await otherStore?.close();
    counter?.disconnect();
    await redis?.stop();
  });

  /** The Redis commands of one counter move with `count` streams open (after a first move, which loads scripts). */
  const costOfMove = async (count: number) => {
    await t.deps.room.reset('crowd', 'test');
    const streams = await openMany(count);
    assert.equal(t.deps.room.streamsFollowing('crowd'), count);
    await move(1);
    await until(streams, (status) => status.serving_counter === 1, 'the first move');
    const start = await commands();
    await move(1);
    await until(streams, (status) => status.serving_counter === 2, 'the second move');
    return { commands: (await commands()) - start, streams };
  };

  it('a counter move costs the same Redis commands with 6 or 60 streams open, and reaches every stream', async () => {
    const few = await costOfMove(6);
    await closeAll();
    const many = await costOfMove(60);
    assert.equal(
      many.commands,
      few.commands,
      `commands per move: ${few.commands} with 6 streams, ${many.commands} with 60`,
    );
    // 29 here: INFO commandstats counts the counters read (one round trip, lua/counters.lua) as
    // three — the script and the two reads in it.
    assert.ok(many.commands < 35, `a move costs ${many.commands} commands`);
    // Positions 1 and 2 are reached: their streams say eligible; the rest still wait, one fewer ahead.
    assert.deepEqual(
      many.streams.slice(0, 4).map((stream) => [latest(stream).state, latest(stream).ahead]),
      [
        ['eligible', 0],
        ['eligible', 0],
        ['waiting', 0],
        ['waiting', 1],
      ],
    );
    await closeAll();
  });

  it('a token issued or a session ended in another process reaches the streams through one batched read', async () => {
    await t.deps.room.reset('crowd', 'test');
    const streams = await openMany(30);
    await move(30);
    await until(streams, (status) => status.state === 'eligible', 'their turn');
    const me = latest(streams[4]!).request_id;

    // Issued elsewhere: this process learns of it from the event's counters, then reads the
    // sessions of its 30 eligible followers in one command.
    const issued = await other.admit('crowd', me);
    assert.equal(issued.kind, 'issued');
    const start = await commands();
    letTimePass();
    await until([streams[4]!], (status) => status.state === 'admitted', 'the admission');
    const read = (await commands()) - start;
    assert.ok(read < 15, `${read} commands to learn of one admission among 30 eligible streams`);
    assert.ok(
      streams
        .filter((stream) => stream !== streams[4])
        .every((stream) => latest(stream).state === 'eligible'),
    );

    await other.updateSession('crowd', me, 'completed', 'test');
    letTimePass();
    await until([streams[4]!], (status) => status.state === 'ended', 'the end of the session');
    await closeAll();
  });

  it('re-sends on a pause, a resume, a join and a settings change, and says when the place is gone', async () => {
    await t.deps.room.reset('crowd', 'test');
    const streams = await openMany(3);
    const pause = (mode: 'closed' | 'queue') =>
      request(t.adminHandler).put('/events/crowd').set(AUTH).send({ mode }).expect(200);

    await pause('closed');
    await until(streams, (status) => status.mode === 'closed', 'the pause');
    await pause('queue');
    await until(streams, (status) => status.mode === 'queue', 'the resume');

    // A visitor joining through another process: the waiting count moves, no counter did.
    const waiting = latest(streams[0]!).waiting_num;
    await otherStore.enqueue('crowd', { now: t.clock.seconds });
    letTimePass();
    await until(streams, (status) => status.waiting_num === waiting + 1, 'the new waiting count');

    // Expiry settings are event-level too: a reached visitor's window follows them.
    await move(1);
    await until([streams[0]!], (status) => status.expires_in === 900, 'the claim window');
    await request(t.adminHandler)
      .put('/events/crowd')
      .set(AUTH)
      .send({ queuePositionExpirySeconds: null })
      .expect(200);
    await until([streams[0]!], (status) => status.expires_in === null, 'expiry turned off');

    await t.deps.room.reset('crowd', 'test');
    const ended = Promise.all(streams.map((stream) => stream.ended));
    const late = new Promise((resolve) => setTimeout(resolve, 10_000, 'late'));
    assert.notEqual(await Promise.race([ended, late]), 'late', 'the streams end after a reset');
    assert.ok(
      streams.every((stream) => stream.gone),
      'every stream is told its place is gone',
    );
    await request(t.adminHandler)
      .put('/events/crowd')
      .set(AUTH)
      .send({ queuePositionExpirySeconds: 900 })
      .expect(200);
    open.splice(0);
  });

  it("re-sends a running claim window's seconds left as the server's clock runs, with nothing else changed", async () => {
    await t.deps.room.reset('crowd', 'test');
    const [mine, waiting] = await openMany(2);
    await move(1);
    await until([mine!], (status) => status.expires_in === 900, 'the claim window');
    const waitingSent = waiting!.statuses.length;

    // Five seconds on: not yet said again (the page counts down by itself meanwhile).
    t.clock.seconds += 5;
    letTimePass();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(latest(mine!).expires_in, 900);

    // Four minutes on: the page learns how long is really left, from the server's clock.
    t.clock.seconds += 240;
    letTimePass();
    await until([mine!], (status) => status.expires_in === 655, "the server's seconds left");
    assert.equal(waiting!.statuses.length, waitingSent, 'a visitor still waiting is not sent anything');
    await closeAll();
  });

  it("says the place is gone after a reset before the watch's first poll of the event", async () => {
    const joined = await request(t.publicHandler)
      .post('/assign_queue_num')
      .send({ event_id: 'fresh' })
      .expect(200);
    const stream = await openStream(base, joined.body.api_request_id, 'fresh');
    // No time passes: the watch has not polled the event yet when it is reset.
    await t.deps.room.reset('fresh', 'test');
    const late = new Promise((resolve) => setTimeout(resolve, 10_000, 'late'));
    assert.notEqual(await Promise.race([stream.ended, late]), 'late', 'the stream ends after a reset');
    assert.ok(stream.gone, 'the stream is told the place is gone');
  });

  it('says the place is gone after a reset by another process refilled within the poll to the same counters', async () => {
    await t.deps.room.reset('crowd', 'test');
    const streams = await openMany(3);
    letTimePass();
    await until(streams, (status) => status.waiting_num === 3, 'the 3 joins');
    // Another process resets the event, and 3 visitors join there before this process's next
    // read: the counters are as this process last saw them (queue 3, serving 0), nobody here is
    // beyond the queue counter; only the event's reset count shows the reset.
    const before = await store.getCounters('crowd');
    await other.reset('crowd', 'test');
    for (let i = 0; i < 3; i++) await otherStore.enqueue('crowd', { now: t.clock.seconds });
    assert.deepEqual(
      { ...(await otherStore.getCounters('crowd')), resets: before.resets },
      before,
      'the refilled counters are those of before the reset',
    );
    letTimePass();
    const ended = Promise.all(streams.map((stream) => stream.ended));
    const late = new Promise((resolve) => setTimeout(resolve, 10_000, 'late'));
    assert.notEqual(await Promise.race([ended, late]), 'late', 'the streams end after the reset');
    assert.ok(
      streams.every((stream) => stream.gone),
      'every stream is told its place is gone',
    );
    open.splice(0);
  });

  it('/status answers from the snapshot within its staleness bound, and shows an admission only from the store', async () => {
    await t.deps.room.reset('crowd', 'test');
    const me = await join();
    const status = async () =>
      (
        await request(t.publicHandler)
          .get('/status')
          .query({ event_id: 'crowd', request_id: me.api_request_id })
          .expect(200)
      ).body as StatusView;
    assert.equal((await status()).state, 'waiting');

    // Another process moves the counter: within the bound (1 s) this process may still say waiting.
    await other.incrementServingCounter('crowd', 1, 'test');
    assert.equal((await status()).serving_counter, 0, 'answered from the snapshot');
    letTimePass();
    assert.equal((await status()).state, 'eligible', 'the snapshot is read again after its bound');

    // An admission made elsewhere shows at once: the visitor's own state is read from the store.
    await other.admit('crowd', me.api_request_id);
    assert.equal((await status()).state, 'admitted');
  });
});
