/**
 * Request ids that carry their position under a MAC (queue-core/store/request-ids.ts), with
 * the stores' real, random eras: an id is known only to the queue that issued it, in the era
 * it was issued in, by every process sharing the store; and what Redis keeps per visitor.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import {
  claimedPosition,
  MAX_POSITION,
  newEra,
  requestIdFor,
  verifiedPosition,
  visitorSlot,
} from '../../queue-core/store/request-ids.ts';
import type { EnqueueResult, QueueEntry, QueueStore } from '../../queue-core/types.ts';
import { parseRequestId } from '../../queue-core/validate.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';

const T0 = 1_700_000_000;
const skip = redisSkipReason();

function entryOf({ created: _, ...entry }: EnqueueResult): QueueEntry {
  return entry;
}

describe('request ids', () => {
  it('are UUIDv8 that carry their position, and verify only under their era and event', () => {
    const era = newEra();
    for (const position of [1, 2, 255, 65_536, 123_456_789, MAX_POSITION]) {
      const id = requestIdFor(era, 'sale', position);
      assert.equal(parseRequestId(id), id, 'a canonical UUID as the API accepts it');
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(claimedPosition(id), position);
      assert.equal(verifiedPosition(era, 'sale', id), position);
      assert.equal(verifiedPosition(era, 'sale', id.toUpperCase()), position, 'any letter case');
      assert.equal(verifiedPosition(newEra(), 'sale', id), null, 'another era');
      assert.equal(verifiedPosition(era, 'other', id), null, 'another event');
    }
    const id = requestIdFor(era, 'sale', 7);
    // Every character of the MAC counts: change any one and the id is refused.
    for (let at = 20; at < id.length; at++) {
      if (id[at] === '-') continue;
      const changed = `${id.slice(0, at)}${id[at] === '0' ? '1' : '0'}${id.slice(at + 1)}`;
      if (claimedPosition(changed) !== null)
        assert.equal(verifiedPosition(era, 'sale', changed), null, changed);
    }
    // Another position with the MAC of position 7.
    const moved = `00000000-0008${id.slice(13)}`;
    assert.equal(claimedPosition(moved), 8);
    assert.equal(verifiedPosition(era, 'sale', moved), null);
    assert.equal(claimedPosition(crypto.randomUUID()), null, 'a UUIDv4 names no position');
    assert.equal(claimedPosition(`00000000-0000${id.slice(13)}`), null, 'position 0');
  });

  it('spread visitor keys over the buckets as 16-character fields', () => {
    const buckets = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const { bucket, field } = visitorSlot(`vid:${i}`);
      assert.equal(field.length, 16);
      buckets.add(bucket);
    }
    assert.ok(buckets.size > 1800, `2000 keys in ${buckets.size} buckets`);
    assert.deepEqual(visitorSlot('vid:a'), visitorSlot('vid:a'));
  });
});

/** The same checks for every store, with its real (random) eras. */
function eraSuite(
  name: string,
  open: () => Promise<{ a: QueueStore; b: QueueStore; close(): Promise<void> }>,
) {
  describe(`${name}: eras`, { skip: name === 'memory' ? false : skip }, () => {
    let stores: Awaited<ReturnType<typeof open>>;
    before(async () => {
      stores = await open();
    });
    after(() => stores?.close());

    it('forgets every request id of a queue once it is reset, even one naming a position held again', async () => {
      const { a, b } = stores;
      const event = `reset-${name}`;
      const first = await a.enqueue(event, { visitorKey: 'vid:1', now: T0 });
      assert.deepEqual(await b.getEntry(event, first.requestId), entryOf(first));
      await a.reset(event);
      const again = await a.enqueue(event, { visitorKey: 'vid:2', now: T0 + 5 });
      assert.equal(again.position, first.position, 'the position is handed out again');
      assert.notEqual(again.requestId, first.requestId, 'under another id');
      for (const store of [a, b]) {
        assert.equal(await store.getEntry(event, first.requestId), null, 'the old id is unknown');
        assert.equal((await store.getEntry(event, again.requestId))?.entryTime, T0 + 5);
      }
      await a.incrementServingCounter(event, 1, T0 + 6);
      const input = { now: T0 + 6, validitySeconds: 60, issuer: 'i', expirySeconds: 60 };
      assert.deepEqual(await b.issueToken(event, { ...input, requestId: first.requestId }), {
        kind: 'unknown',
      });
      assert.deepEqual(await b.positionExpiry(event, first.requestId, T0 + 6, 60), { kind: 'unknown' });
      assert.equal((await b.issueToken(event, { ...input, requestId: again.requestId })).kind, 'issued');
    });

    it('answers polls with maxAgeMs from what the process read, but every unknown id from the store as of now', async () => {
      const { a, b } = stores;
      const event = `index-${name}`;
      const fresh = { maxAgeMs: 60_000 };
      // Three entry seconds, so the entry times come from different changes.
      const first: EnqueueResult[] = [];
      for (let i = 0; i < 6; i++)
        first.push(await a.enqueue(event, { visitorKey: `vid:${i}`, now: T0 + (i >> 1) }));
      for (const entry of first)
        assert.deepEqual(await b.getEntry(event, entry.requestId, fresh), entryOf(entry));
      // Places handed out after b read the event: beyond what it read, so asked of the store.
      const later = await a.enqueue(event, { visitorKey: 'vid:later', now: T0 + 7 });
      assert.deepEqual(await b.getEntry(event, later.requestId, fresh), entryOf(later));
      const forged = requestIdFor(newEra(), event, 2);
      assert.equal(await b.getEntry(event, forged, fresh), null, 'an id of no era of this queue');
      // A reset elsewhere: new ids are found at once (b's index is of the old era) …
      await a.reset(event);
      const again = await a.enqueue(event, { visitorKey: 'vid:again', now: T0 + 9 });
      assert.deepEqual(await b.getEntry(event, again.requestId, fresh), entryOf(again));
      // … and the process that reset forgets the old ones at once, as does a read without maxAgeMs.
      assert.equal(await a.getEntry(event, first[1]!.requestId, fresh), null);
      assert.equal(await b.getEntry(event, first[1]!.requestId), null);
    });

    it('draws a new era after a reset made elsewhere, never the one a process remembers', async () => {
      const { a, b } = stores;
      const event = `stale-${name}`;
      const before = await b.enqueue(event, { now: T0 }); // b now knows the era
      await a.reset(event);
      const after = await b.enqueue(event, { now: T0 + 1 }); // b's remembered era is gone
      assert.equal(after.position, 1);
      assert.notEqual(after.requestId, before.requestId);
      assert.equal(await a.getEntry(event, before.requestId), null);
      assert.equal((await a.getEntry(event, after.requestId))?.position, 1);
    });

    it('answers a held place with the id it was first given, from any process', async () => {
      const { a, b } = stores;
      const event = `held-${name}`;
      const first = await a.enqueue(event, { visitorKey: 'vid:x', now: T0 });
      await a.enqueue(event, { visitorKey: 'vid:y', now: T0 + 1 });
      const repeat = await b.enqueue(event, { visitorKey: 'vid:x', now: T0 + 9 });
      assert.deepEqual(repeat, { ...first, created: false });
      const screened = await b.screenVisitor(event, { visitorKey: 'vid:x', nowMs: (T0 + 9) * 1000 });
      assert.deepEqual(screened, { kind: 'held', entry: entryOf(first) });
    });
  });
}

eraSuite('memory', async () => {
  const store = new MemoryStore();
  return { a: store, b: store, close: () => store.close() };
});

let server: RedisServer | undefined;
eraSuite('redis', async () => {
  server = await startRedis();
  const a = new RedisStore({ url: server.url });
  const b = new RedisStore({ url: server.url });
  return {
    a,
    b,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await server?.stop();
    },
  };
});

describe('redis: what a waiting visitor costs', { skip }, () => {
  it('keeps no key per visitor: visitor keys sit in small listpack buckets, and no request id is stored', async () => {
    const redis = await startRedis();
    const store = new RedisStore({ url: redis.url });
    const inspector = new Redis(redis.url);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 500; i++) {
        ids.push((await store.enqueue('lean', { visitorKey: `vid:${i}`, now: T0 + (i >> 7) })).requestId);
      }
      const keys = (await inspector.keys('*')).sort();
      const buckets = keys.filter((key) => key.startsWith('ar:{lean}:v:'));
      assert.deepEqual(
        keys.filter((key) => !key.startsWith('ar:{lean}:v:')),
        ['ar:{lean}:c', 'ar:{lean}:t'],
        'the counters and the entry-time changes, nothing per visitor',
      );
      assert.ok(buckets.length > 400, `${buckets.length} buckets`);
      for (const bucket of buckets.slice(0, 20)) {
        assert.equal(await inspector.object('ENCODING', bucket), 'listpack');
      }
      assert.equal(await inspector.zcard('ar:{lean}:t'), 4, 'one entry-time change a second');
      assert.equal((await store.getEntry('lean', ids[300]!))?.position, 301);
    } finally {
      inspector.disconnect();
      await store.close();
      await redis.stop();
    }
  });
});
