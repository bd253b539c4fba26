/**
 * Taking another visitor's place, as an attacker would try it: the queue API with a guessable
 * `Idempotency-Key` (`1`), with another client's key, and with a made-up or edited visitor
 * cookie; the waiting page's form and the OIDC interaction with a made-up cookie. Before the
 * fix each of them handed the second client the first client's request id (and with it its
 * tokens). Run on the memory store, Redis, Redis Cluster and through the Lambda handlers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { createStore } from '../../queue-core/store/create-store.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import {
  Browser,
  discoverClient,
  navigate,
  RP,
  SECRET_B,
  startFlow,
  startOidcServer,
} from '../provider/oidc/harness.ts';
import { buildTestApp, type LambdaFormat, type TestApp } from '../provider/support.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { clusterSkipReason, sharedCluster, stopSharedCluster } from '../support/redis-cluster.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIRST = '203.0.113.10';
const SECOND = '198.51.100.20';

interface Kind {
  name: string;
  skip: string | false;
  create(): Promise<QueueStore>;
  stop(): Promise<void>;
  lambda?: LambdaFormat;
}

function redis(lambda?: LambdaFormat): Kind {
  let server: RedisServer | undefined;
  return {
    name: lambda ? `redis, through Lambda ${lambda}` : 'redis',
    skip: redisSkipReason(),
    lambda,
    async create() {
      server ??= await startRedis();
      return createStore({ type: 'redis', url: server.url });
    },
    stop: async () => server?.stop(),
  };
}

const KINDS: Kind[] = [
  { name: 'memory', skip: false, create: async () => new MemoryStore(), stop: async () => {} },
  {
    name: 'memory, through Lambda v1',
    skip: false,
    lambda: 'v1',
    create: async () => new MemoryStore(),
    stop: async () => {},
  },
  redis(),
  redis('v2'),
  {
    name: 'redis cluster',
    skip: clusterSkipReason(),
    create: async () => createStore({ type: 'redis', url: (await sharedCluster()).url, cluster: true }),
    stop: stopSharedCluster,
  },
];

function visitorCookie(setCookies: unknown): string | undefined {
  const line = ((setCookies as string[] | undefined) ?? []).find((c) => c.startsWith('anteroom_vid='));
  return line?.split(';')[0];
}

for (const kind of KINDS) {
  describe(`taking another visitor's place (${kind.name} store)`, { skip: kind.skip }, () => {
    let store: QueueStore;
    let t: TestApp;
    before(async () => {
      store = await kind.create();
      // Two proxies in front (the Lambda bridge appends the API Gateway's own entry): the
      // client is the `X-Forwarded-For` entry the test writes, so a test can be many clients.
      t = await buildTestApp(
        store,
        { limits: { enqueuePerClientPerMinute: 0, trustProxy: 2 } },
        { lambda: kind.lambda },
      );
    });
    after(async () => {
      t.deps.room.close();
      await store.close();
      await kind.stop();
    });
    beforeEach(() => t.deps.room.reset('main', 'test'));

    const enqueue = (client: string, headers: Record<string, string> = {}) =>
      request(t.publicHandler)
        .post('/assign_queue_num')
        .set('X-Forwarded-For', client)
        .set(headers)
        .send({ event_id: 'main' });

    it('refuses an Idempotency-Key anyone could guess: 400 invalid_idempotency_key, no place taken', async () => {
      for (const key of ['1', 'k-1', 'a'.repeat(21), 'x'.repeat(256), 'not a key at all, spaces', '"1"']) {
        const answer = await enqueue(FIRST, { 'Idempotency-Key': key });
        assert.equal(answer.status, 400, `key ${JSON.stringify(key)}`);
        assert.deepEqual(answer.body, {
          error: 'Idempotency-Key must be a UUID or 22 to 255 base64url characters',
          code: 'invalid_idempotency_key',
        });
      }
      const uuid = randomUUID();
      for (const key of [uuid, `"${uuid}"`, 'A'.repeat(22), 'aB3_-'.repeat(51)]) {
        const answer = await enqueue(FIRST, { 'Idempotency-Key': key });
        assert.equal(answer.status, 200, `key ${JSON.stringify(key)}`);
      }
      assert.equal(await t.deps.room.waitingNum('main'), 3, 'a quoted key is the same key');
    });

    it("answers a second client's reuse of a key with 409, never with the first client's place", async () => {
      const key = randomUUID();
      const first = await enqueue(FIRST, { 'Idempotency-Key': key }).expect(200);
      assert.match(first.body.api_request_id, UUID);

      const thief = await enqueue(SECOND, { 'Idempotency-Key': key });
      assert.equal(thief.status, 409);
      assert.equal(thief.body.code, 'idempotency_key_in_use');
      assert.match(thief.body.error, /another client/);
      assert.doesNotMatch(thief.text, new RegExp(first.body.api_request_id));

      // The first client's retries still get its place, from its address, with or without a cookie.
      const retry = await enqueue(FIRST, { 'Idempotency-Key': key }).expect(200);
      assert.deepEqual(retry.body, first.body);
      const withCookie = visitorCookie((await enqueue(FIRST)).headers['set-cookie'])!;
      const retryWithCookie = await enqueue(FIRST, { 'Idempotency-Key': key, Cookie: withCookie }).expect(
        200,
      );
      assert.deepEqual(retryWithCookie.body, first.body);
    });

    it('binds a key first used with a visitor cookie to that cookie, wherever it comes from', async () => {
      const mine = visitorCookie((await enqueue(FIRST)).headers['set-cookie'])!;
      const theirs = visitorCookie((await enqueue(FIRST)).headers['set-cookie'])!;
      const key = randomUUID();
      const first = await enqueue(FIRST, { 'Idempotency-Key': key, Cookie: mine }).expect(200);
      // Another browser behind the same address (a shared NAT) is another client.
      assert.equal((await enqueue(FIRST, { 'Idempotency-Key': key, Cookie: theirs })).status, 409);
      assert.equal((await enqueue(FIRST, { 'Idempotency-Key': key })).status, 409);
      // The same browser on another network is the same client.
      const moved = await enqueue(SECOND, { 'Idempotency-Key': key, Cookie: mine }).expect(200);
      assert.deepEqual(moved.body, first.body);
    });

    it('ignores a made-up, unsigned or edited visitor cookie and issues a signed one', async () => {
      const issued = await enqueue(FIRST).expect(200);
      const cookie = visitorCookie(issued.headers['set-cookie'])!;
      const value = cookie.slice('anteroom_vid='.length);
      assert.match(value, /^[0-9a-f]{32}\.[A-Za-z0-9_-]{22}$/);
      const [id, mac] = value.split('.') as [string, string];
      const edited = `${id}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
      const otherId = `${id.startsWith('0') ? '1' : '0'}${id.slice(1)}.${mac}`;
      for (const forged of [id, edited, otherId, 'abcdefghijklmnopqrstuvwx', `${value}x`]) {
        const answer = await enqueue(SECOND, { Cookie: `anteroom_vid=${forged}` }).expect(200);
        assert.notEqual(answer.body.api_request_id, issued.body.api_request_id, `cookie ${forged}`);
        const renewed = visitorCookie(answer.headers['set-cookie']);
        assert.ok(renewed && renewed !== `anteroom_vid=${forged}`, 'a new signed cookie replaces it');
      }
      // Two clients that made up the same cookie are two visitors.
      const madeUp = { Cookie: 'anteroom_vid=madeupmadeupmadeup1234' };
      const one = await enqueue(FIRST, madeUp).expect(200);
      const two = await enqueue(SECOND, madeUp).expect(200);
      assert.notEqual(one.body.api_request_id, two.body.api_request_id);
      // The signed cookie itself still finds its place.
      const again = await enqueue(SECOND, { Cookie: cookie }).expect(200);
      assert.deepEqual(again.body, issued.body);
    });

    it("the waiting page's form gives a made-up cookie a new place, not the first visitor's", async () => {
      const join = (cookie: string) =>
        request(t.publicHandler)
          .post('/waiting-room/main/join')
          .set('X-Forwarded-For', SECOND)
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .set('Cookie', cookie)
          .send('');
      const madeUp = 'anteroom_vid=madeupmadeupmadeup1234';
      const one = await join(madeUp);
      const two = await join(madeUp);
      const requestCookie = (answer: { headers: Record<string, unknown> }) =>
        ((answer.headers['set-cookie'] as string[] | undefined) ?? []).find((c) =>
          c.startsWith('ar_rq_main='),
        );
      assert.equal(one.status, 303);
      assert.ok(requestCookie(one) && requestCookie(two));
      assert.notEqual(requestCookie(one), requestCookie(two), 'two places');
      assert.ok(visitorCookie(one.headers['set-cookie']), 'a signed cookie replaces the made-up one');
      assert.equal(await t.deps.room.waitingNum('main'), 2);
    });
  });
}

describe("taking another visitor's place through the OIDC interaction", () => {
  it('a made-up visitor cookie shared by two browsers gives them two places, and a signed cookie', async () => {
    const server = await startOidcServer();
    try {
      const config = await discoverClient(server, 'client-b', SECRET_B);
      const places: string[] = [];
      for (const browser of [new Browser(), new Browser()]) {
        browser.cookies.set('anteroom_vid;/', {
          name: 'anteroom_vid',
          value: 'madeupmadeupmadeup1234',
          path: '/',
        });
        const { url } = await startFlow(config, `${RP}/b/callback`);
        const landing = await navigate(browser, url);
        assert.ok(landing.kind === 'page');
        places.push(/data-field="queue_number">(\d+)</.exec(landing.html)?.[1] ?? '');
        const cookie = [...browser.cookies.values()].find((c) => c.name === 'anteroom_vid');
        assert.match(cookie?.value ?? '', /^[0-9a-f]{32}\.[A-Za-z0-9_-]{22}$/);
      }
      assert.deepEqual(places, ['1', '2']);
    } finally {
      await server.close();
    }
  });
});
