/**
 * The store contract against a real Redis, plus what only Redis has: the `{eventId}`
 * hash tag on every key of an event, and behaviour across a server outage.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../queue-core/errors.ts';
import { parseEvent } from '../../queue-core/event-settings.ts';
import { runInletTick } from '../../queue-core/inlet.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { freePort, type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { contractEra, rid, storeContract } from './store-contract.ts';

const skip = redisSkipReason();
const T0 = 1_700_000_000;

let server: RedisServer | undefined;
async function sharedServer(): Promise<RedisServer> {
  server ??= await startRedis();
  return server;
}
after(async () => {
  await server?.stop();
});

storeContract(
  'redis',
  async () => {
    const options = { url: (await sharedServer()).url, newEra: contractEra };
    const store = new RedisStore(options);
    return { store, connect: async () => new RedisStore(options), cleanup: () => store.close() };
  },
  { skip },
);

// The same contract with the single node reached through ioredis, which a cluster or Sentinel
// uses: both clients give the store the same answers.
storeContract(
  'redis (ioredis client)',
  async () => {
    const options = { url: (await sharedServer()).url, newEra: contractEra, ioredis: true };
    const store = new RedisStore(options);
    return { store, connect: async () => new RedisStore(options), cleanup: () => store.close() };
  },
  { skip },
);

async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

describe('redis store: key layout', { skip }, () => {
  it('puts every key of an event under the {eventId} hash tag (one cluster slot)', async () => {
    const { url } = await sharedServer();
    const store = new RedisStore({ url, keyPrefix: 'layout:', newEra: contractEra });
    const inspector = new Redis(url);
    try {
      for (const event of ['alpha', 'beta.2']) {
        await store.enqueue(event, { visitorKey: 'v1', now: T0 });
        await store.enqueue(event, { now: T0 + 1 });
        await store.incrementServingCounter(event, 2, T0);
        await store.advanceOnTick(event, T0, 1, T0);
        const input = { now: T0, validitySeconds: 10, issuer: 'i', expirySeconds: 60 };
        await store.issueToken(event, { ...input, requestId: rid(event, 1) });
        await store.issueToken(event, { ...input, requestId: rid(event, 2) });
        await store.updateSession(event, rid(event, 2), 'completed');
        await store.expirePositions(event, T0 + 100, 60, true);
        await store.putEventOverride({
          id: event,
          mode: 'queue',
          inlet: { type: 'manual' },
          tokenValiditySeconds: 10,
          queuePositionExpirySeconds: 60,
          incrementServingOnExpiry: true,
        });
      }
      const keys = await scanAll(inspector, 'layout:*');
      const eventKeys = keys.filter((key) => key !== 'layout:audit' && !/^layout:(lease|tick):/.test(key));
      // No request id → position map: the ids carry their positions. One visitor bucket each.
      assert.equal(eventKeys.length, 22, `two events × eleven keys, got ${keys.join(' ')}`);
      for (const key of eventKeys) assert.match(key, /^layout:\{(alpha|beta\.2)\}:([a-z]+|v:\d+)$/);
      await store.reset('alpha');
      const left = await scanAll(inspector, 'layout:{alpha}:*');
      assert.deepEqual(
        left,
        ['layout:{alpha}:o', 'layout:{alpha}:x'],
        'reset keeps only the settings override and the reset count (the regression guard)',
      );
      assert.equal(await inspector.get('layout:{alpha}:x'), '1');
    } finally {
      await store.close();
      inspector.disconnect();
    }
  });
});

describe('redis store: outage', { skip }, () => {
  let faulty: RedisServer;
  let store: RedisStore;
  before(async () => {
    // Its own server, with every write on disk before it is acknowledged, so a killed
    // and restarted server still holds every position it handed out.
    faulty = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    store = new RedisStore({ url: faulty.url, connectTimeoutMs: 500, newEra: contractEra });
  });
  after(async () => {
    await store?.close();
    await faulty?.stop();
  });

  it('rejects with StoreUnavailableError while Redis is down and resumes after it returns', async () => {
    const event = 'outage';
    for (let i = 1; i <= 5; i++) await store.enqueue(event, { now: T0 });
    await faulty.kill();

    const unavailable = (error: unknown) => error instanceof StoreUnavailableError && error.status === 503;
    await assert.rejects(store.enqueue(event, { now: T0 }), unavailable);
    await assert.rejects(store.getServingCounter(event), unavailable);
    await assert.rejects(store.incrementServingCounter(event, 1, T0), unavailable);
    await assert.rejects(
      store.issueToken(event, {
        requestId: rid(event, 1),
        now: T0,
        validitySeconds: 1,
        issuer: 'i',
        expirySeconds: null,
      }),
      unavailable,
    );
    assert.equal(await store.ping(), false);

    await faulty.restart();
    // Reconnection is the client's own back-off; wait for it (bounded), not for a fixed time.
    const deadline = Date.now() + 15_000;
    while (!(await store.ping())) {
      assert.ok(Date.now() < deadline, 'the store did not reconnect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const next = await store.enqueue(event, { now: T0 + 1 });
    assert.equal(next.position, 6, 'no position lost or handed out twice');
    for (let i = 1; i <= 5; i++) assert.equal((await store.getEntry(event, rid(event, i)))?.position, i);
    assert.equal((await store.getCounters(event)).queue, 6);
    assert.equal(await store.getServingCounter(event), 0, 'the failed increment was not applied');
  });
});

describe('redis store: unreachable from the start', { skip }, () => {
  const unavailable = (error: unknown) => error instanceof StoreUnavailableError && error.status === 503;

  // Without a bound, a command issued before the first connection could wait forever:
  // the test's own timeout turns such a hang into a failure.
  for (const cluster of [false, true]) {
    it(`answers StoreUnavailableError, not a hang (${cluster ? 'cluster' : 'single node'})`, {
      timeout: 10_000,
    }, async () => {
      const url = `redis://127.0.0.1:${await freePort()}`;
      const store = new RedisStore({ url, cluster, connectTimeoutMs: 200 });
      try {
        await assert.rejects(store.getServingCounter('nowhere'), unavailable);
        await assert.rejects(store.enqueue('nowhere', { now: T0 }), unavailable);
        assert.equal(await store.ping(), false);
      } finally {
        await store.close();
      }
    });
  }
});

describe('redis store: script cache', { skip }, () => {
  it('keeps working after the server forgot its scripts (NOSCRIPT: EVALSHA falls back to EVAL)', async () => {
    const { url } = await sharedServer();
    const store = new RedisStore({ url, keyPrefix: 'noscript:' });
    const inspector = new Redis(url);
    try {
      assert.equal((await store.enqueue('flush', { now: T0 })).position, 1);
      assert.equal((await store.enqueue('flush', { now: T0 })).position, 2);
      await inspector.script('FLUSH');
      assert.equal((await store.enqueue('flush', { now: T0 })).position, 3);
      assert.equal(await store.incrementServingCounter('flush', 2, T0), 2);
      await inspector.script('FLUSH');
      assert.equal(await store.incrementServingCounter('flush', 1, T0), 3, 'applied exactly once');
      assert.equal((await store.getCounters('flush')).queue, 3);
    } finally {
      await store.close();
      inspector.disconnect();
    }
  });
});

/**
 * A TCP proxy in front of one Redis server that can lose a reply: once armed, the next
 * script call is passed on, and its reply is dropped and the client's connection cut, so
 * the script ran on the server but the client never hears of it (a network failure mid-call).
 */
interface LossyProxy {
  port: number;
  /** Port of the Redis server that new connections reach (a DNS name moving to a new primary). */
  target: number;
  armed: boolean;
  close(): Promise<void>;
}

const SCRIPT_CALL = /\r\neval(sha)?\r\n/i;

async function replyLosingProxy(target: number, port: number): Promise<LossyProxy> {
  const sockets = new Set<Socket>();
  const proxy: LossyProxy = { port, target, armed: false, close: async () => {} };
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(proxy.target, '127.0.0.1');
    let dropReply = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (proxy.armed && SCRIPT_CALL.test(chunk.toString('latin1'))) {
        proxy.armed = false;
        dropReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!dropReply) {
        client.write(chunk);
        return;
      }
      client.destroy();
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

/** Nodes of a cluster that announce their proxy's port, so every client connection goes through it. */
async function proxiedCluster(size: number): Promise<{ nodes: RedisServer[]; proxies: LossyProxy[] }> {
  const nodes = await Promise.all(
    Array.from({ length: size }, () =>
      startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']),
    ),
  );
  const proxies: LossyProxy[] = [];
  const admins = nodes.map((node) => new Redis(node.url));
  try {
    const slotsPerNode = Math.ceil(16384 / size);
    for (const [index, node] of nodes.entries()) {
      const port = await freePort();
      proxies.push(await replyLosingProxy(node.port, port));
      const admin = admins[index]!;
      await admin.config('SET', 'cluster-announce-ip', '127.0.0.1');
      await admin.config('SET', 'cluster-announce-port', String(port));
      await admin.config('SET', 'cluster-announce-bus-port', String(node.port + 10000));
      const first = index * slotsPerNode;
      const last = Math.min(16383, first + slotsPerNode - 1);
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
      if (index > 0) await admin.call('CLUSTER', 'MEET', '127.0.0.1', String(nodes[0]!.port));
    }
    const deadline = Date.now() + 20_000;
    for (const admin of admins) {
      while (!/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO')))) {
        assert.ok(Date.now() < deadline, 'the proxied cluster never became ready');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return { nodes, proxies };
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}

describe('redis store: a reply lost in flight', { skip }, () => {
  // The increment ran on the server; the caller heard nothing. It must get a 503, and the
  // client must not resend the script behind its back (it would run twice).
  for (const cluster of [false, true]) {
    it(`never runs a non-idempotent script twice (${cluster ? 'cluster' : 'single node'})`, async () => {
      let nodes: RedisServer[] = [];
      let proxies: LossyProxy[] = [];
      let store: RedisStore | undefined;
      const admin = { client: undefined as Redis | undefined };
      try {
        if (cluster) ({ nodes, proxies } = await proxiedCluster(2));
        else {
          nodes = [await startRedis()];
          proxies = [await replyLosingProxy(nodes[0]!.port, await freePort())];
        }
        // The node that owns the event's slot, reached directly.
        const direct = new Redis(nodes[0]!.url);
        const slot = cluster ? Number(await direct.call('CLUSTER', 'KEYSLOT', 'ar:{lost}:c')) : 0;
        const owner = cluster && slot >= 8192 ? 1 : 0;
        direct.disconnect();
        admin.client = new Redis(nodes[owner]!.url);
        store = new RedisStore({ url: `redis://127.0.0.1:${proxies[0]!.port}`, cluster });
        assert.equal(await store.incrementServingCounter('lost', 1, T0), 1);
        proxies[owner]!.armed = true;
        await assert.rejects(
          store.incrementServingCounter('lost', 1, T0 + 1),
          (error: unknown) => error instanceof StoreUnavailableError,
        );
        assert.equal(await admin.client.hget('ar:{lost}:c', 'serving'), '2', 'it ran on the server');
        // Wait until the store works again for the event's node (a read there: PING goes to any
        // node): a hidden resend would have happened by then.
        const deadline = Date.now() + 15_000;
        while ((await store.getServingCounter('lost').catch(() => null)) === null) {
          assert.ok(Date.now() < deadline, 'the store did not reconnect');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(await store.incrementServingCounter('lost', 1, T0 + 2), 3, 'it ran once only');
      } finally {
        await store?.close();
        admin.client?.disconnect();
        for (const proxy of proxies) await proxy.close();
        for (const node of nodes) await node.stop();
      }
    });
  }
});

describe('redis store: the primary became a replica', { skip }, () => {
  // A failover behind one address (ElastiCache without auto-failover, a promoted replica
  // behind a DNS name): the open connection now reaches a read-only replica. Service must
  // come back on its own, not answer 503 for as long as that connection lives.
  it('reconnects after a READONLY answer and writes to the new primary', async () => {
    const [oldPrimary, newPrimary] = await Promise.all([startRedis(), startRedis()]);
    const proxy = await replyLosingProxy(oldPrimary.port, await freePort());
    const store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` });
    const demoted = new Redis(oldPrimary.url);
    try {
      assert.equal(await store.incrementServingCounter('flip', 1, T0), 1);
      proxy.target = newPrimary.port;
      await demoted.call('REPLICAOF', '127.0.0.1', String(newPrimary.port));
      await assert.rejects(
        store.incrementServingCounter('flip', 1, T0 + 1),
        (error: unknown) => error instanceof StoreUnavailableError,
        'a write refused by the replica is a 503',
      );
      const deadline = Date.now() + 10_000;
      let serving: number | undefined;
      while (serving === undefined) {
        try {
          serving = await store.incrementServingCounter('flip', 1, T0 + 2);
        } catch (error) {
          assert.ok(error instanceof StoreUnavailableError);
          assert.ok(Date.now() < deadline, 'the store kept writing to the read-only replica');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      assert.equal(serving, 1, 'written to the new primary (which starts empty here)');
    } finally {
      await store.close();
      demoted.disconnect();
      await proxy.close();
      await Promise.all([oldPrimary.stop(), newPrimary.stop()]);
    }
  });
});

describe('redis store: periodic inlet across processes', { skip }, () => {
  it('advances once per tick however many schedulers call at once, each on its own connection', async () => {
    const { url } = await sharedServer();
    const stores = [1, 2, 3].map(() => new RedisStore({ url, keyPrefix: 'inlet:' }));
    const event = parseEvent({
      id: 'tickers',
      inlet: { type: 'periodic', incrementBy: 7, intervalSeconds: 10, startTime: T0 },
    });
    try {
      // Enough visitors for every tick: the inlet never moves past the queue.
      for (let n = 1; n <= 30; n++) await stores[0]!.enqueue('tickers', { now: T0 });
      for (const [index, now] of [T0, T0 + 9, T0 + 10, T0 + 35].entries()) {
        const results = await Promise.all(
          stores.flatMap((store, which) =>
            [1, 2].map((call) => runInletTick(store, event, now, `p${which}-${call}`)),
          ),
        );
        assert.ok(results.filter((result) => result.acted).length <= 1, `one advance at most at ${now}`);
        const expected = [7, 7, 14, 21][index];
        assert.equal(await stores[0]!.getServingCounter('tickers'), expected, `serving after T0+${now - T0}`);
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

describe('redis store: write coalescing', { skip }, () => {
  /** How many times the server has read from its clients (INFO stats). */
  async function readsProcessed(redis: Redis): Promise<number> {
    const match = /total_reads_processed:(\d+)/.exec(await redis.info('stats'));
    assert.ok(match, 'INFO stats reports total_reads_processed');
    return Number(match[1]);
  }

  it('sends the commands of one turn in one write, and each still gets its own answer', async () => {
    const dedicated = await startRedis();
    const store = new RedisStore({ url: dedicated.url });
    const inspector = new Redis(dedicated.url);
    try {
      const entries = [];
      for (let i = 1; i <= 50; i++) {
        entries.push(await store.enqueue('burst', { visitorKey: `v${i}`, now: T0 }));
      }
      const before = await readsProcessed(inspector);
      // 50 calls in one turn, as 50 status polls read in one poll phase would make.
      const read = await Promise.all(entries.map((entry) => store.getEntry('burst', entry.requestId)));
      const reads = (await readsProcessed(inspector)) - before;
      assert.deepEqual(
        read.map((entry) => entry?.position),
        entries.map((entry) => entry.position),
      );
      // One write of 50 commands is normally one read on the server (plus the INFO call);
      // written one by one, they are about 50.
      assert.ok(reads <= 5, `50 concurrent commands took ${reads} server reads`);
    } finally {
      await store.close();
      inspector.disconnect();
      await dedicated.stop();
    }
  });
});

describe('redis store: the arrivals of one turn share one call', { skip }, () => {
  /** Script calls the server ran (INFO commandstats: EVALSHA and EVAL). */
  async function scriptCalls(redis: Redis): Promise<number> {
    const stats = await redis.info('commandstats');
    let calls = 0;
    for (const match of stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)) calls += Number(match[1]);
    return calls;
  }

  it('answers each arrival its own place, a repeat its first one, a spent budget its refusal', async () => {
    const dedicated = await startRedis();
    const store = new RedisStore({ url: dedicated.url });
    const inspector = new Redis(dedicated.url);
    try {
      await store.enqueue('turn', { visitorKey: 'warm', now: T0 }); // the era, the scripts loaded
      const before = await scriptCalls(inspector);
      const limit = (client: string) => ({ client, perMinute: 2, nowMs: T0 * 1000 });
      const asked = [
        ...Array.from({ length: 20 }, (_, i) => store.enqueue('turn', { visitorKey: `v${i}`, now: T0 })),
        store.enqueue('turn', { visitorKey: 'v3', now: T0 }), // the same visitor again, same turn
        store.enqueue('turn', { visitorKey: 'warm', now: T0 }),
        // One client's budget of 2: its third new arrival of the turn is refused, nothing taken.
        ...['r1', 'r2', 'r3'].map((key) =>
          store.enqueue('turn', { visitorKey: key, now: T0, rateLimit: limit('c') }),
        ),
        store.enqueue('other', { visitorKey: 'v0', now: T0 }),
      ];
      const answers = await Promise.allSettled(asked);
      const calls = (await scriptCalls(inspector)) - before;
      const positions = answers.map((answer) =>
        answer.status === 'fulfilled' ? answer.value.position : null,
      );
      assert.deepEqual(
        positions.slice(0, 20),
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
      assert.equal(positions[20], 5, 'v3 again: its first place');
      assert.equal(positions[21], 1, 'warm again: its place of the earlier turn');
      assert.deepEqual(positions.slice(22, 24), [22, 23]);
      const refused = answers[24];
      assert.equal(refused?.status, 'rejected');
      assert.equal((refused as PromiseRejectedResult).reason.code, 'rate_limited');
      assert.equal(positions[25], 1, 'another event: its own line');
      // Three calls: this event without a budget, with one (other arguments), the other event.
      assert.equal(calls, 3);
      assert.equal((await store.getCounters('turn')).queue, 23);
    } finally {
      await store.close();
      inspector.disconnect();
      await dedicated.stop();
    }
  });
});

describe('redis store: a server that stops answering', { skip, timeout: 15_000 }, () => {
  it('fails the waiting calls with StoreUnavailableError after the command timeout, then recovers', async () => {
    const frozen = await startRedis();
    const store = new RedisStore({ url: frozen.url, commandTimeoutMs: 300 });
    try {
      const entry = await store.enqueue('hung', { now: T0 });
      frozen.pause();
      const started = Date.now();
      // Calls of one turn share a deadline; a later turn has its own.
      const first = Promise.allSettled([
        store.getEntry('hung', entry.requestId),
        store.getServingCounter('hung'),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const later = store.getCounters('hung');
      for (const outcome of await first) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(outcome.reason instanceof StoreUnavailableError, String(outcome.reason));
      }
      assert.ok(Date.now() - started >= 290, 'not before the command timeout');
      await assert.rejects(later, StoreUnavailableError);
      assert.ok(Date.now() - started >= 390, 'the later call had its own deadline');
      assert.equal(await store.ping(), false, 'a hung server is not healthy');
      frozen.resume();
      assert.equal((await store.getEntry('hung', entry.requestId))?.position, 1);
      assert.equal(await store.ping(), true);
    } finally {
      frozen.resume();
      await store.close();
      await frozen.stop();
    }
  });

  it('closes without waiting for a server that does not answer', async () => {
    const frozen = await startRedis();
    const store = new RedisStore({ url: frozen.url, commandTimeoutMs: 300 });
    try {
      await store.enqueue('hung', { now: T0 });
      frozen.pause();
      await store.close();
    } finally {
      await frozen.stop();
    }
  });
});

describe('redis configuration warnings', { skip }, () => {
  it('warns of an allkeys-* eviction policy, which could evict queue positions, and of nothing else', async () => {
    const risky = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    const stores = [new RedisStore({ url: risky.url }), new RedisStore({ url: (await sharedServer()).url })];
    try {
      const [warnings, none] = await Promise.all(stores.map((store) => store.configurationWarnings()));
      assert.equal(warnings?.length, 1);
      assert.match(warnings![0]!, /maxmemory-policy is allkeys-lru/);
      assert.deepEqual(none, [], 'noeviction (the redis-server default) is fine');
      // volatile-lru (the ElastiCache default) only evicts keys with a lifetime.
      const admin = new Redis(risky.url);
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
      admin.disconnect();
      assert.deepEqual(await stores[0]!.configurationWarnings(), []);
    } finally {
      for (const store of stores) await store.close();
      await risky.stop();
    }
  });
});
