/**
 * The store contract's part for the entry checks of API.md section 6 (`screenVisitor`,
 * `linkVisitor`): the order of the checks, single use of a proof of work, one place per
 * identity across connections. Part of `storeContract` (every store runs it: memory, Redis,
 * Redis Cluster), never run alone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { QueueStore, ScreenInput, Screening } from '../../queue-core/types.ts';
import type { StoreUnderTest } from './store-contract.ts';

const T0 = 1_700_000_000;
const MS = 1_900_000_000_000;

let counter = 0;
function freshEvent(): string {
  counter++;
  return `en-${process.pid}-${counter}`;
}

/** The screening, or `rate_limited:<seconds>` when the budget refused. */
async function screen(
  store: QueueStore,
  eventId: string,
  input: Partial<ScreenInput> & { visitorKey: string },
): Promise<Screening | string> {
  try {
    return await store.screenVisitor(eventId, { nowMs: MS, ...input });
  } catch (error) {
    assert.ok(error instanceof AnteroomError && error.code === 'rate_limited', String(error));
    return `rate_limited:${error.retryAfter}`;
  }
}

const kind = (screening: Screening | string) => (typeof screening === 'string' ? screening : screening.kind);

export function entrySuites(name: string, subject: () => StoreUnderTest): void {
  describe(`${name}: screenVisitor`, () => {
    it('answers a held place before any check, and takes nothing for it', async () => {
      const { store } = subject();
      const event = freshEvent();
      const first = await store.enqueue(event, { visitorKey: 'vid:a', now: T0 });
      const rateLimit = { client: 'c', perMinute: 1, nowMs: MS };
      for (let i = 0; i < 3; i++) {
        const held = await screen(store, event, {
          visitorKey: 'vid:a',
          token: 'missing',
          challenge: 'invalid',
          rateLimit,
        });
        assert.deepEqual(held, {
          kind: 'held',
          entry: { requestId: first.requestId, eventId: event, position: 1, entryTime: T0 },
        });
      }
      // The budget of one a minute is still whole.
      assert.equal(
        kind(await screen(store, event, { visitorKey: 'vid:b', challenge: 'deferred', rateLimit })),
        'clear',
      );
    });

    it('checks in the order of API.md: token, rate limit, challenge', async () => {
      const { store } = subject();
      const event = freshEvent();
      const spent = { client: 'spent', perMinute: 1, nowMs: MS };
      assert.equal(kind(await screen(store, event, { visitorKey: 'vid:x', rateLimit: spent })), 'clear');
      // The budget is spent: a token refusal still comes first, the rate limit before the challenge.
      const order: Array<[Partial<ScreenInput>, string]> = [
        [{ token: 'missing', challenge: 'invalid' }, 'enqueue_token_required'],
        [{ token: 'invalid', challenge: 'invalid' }, 'enqueue_token_invalid'],
        [{ token: 'unavailable', challenge: 'invalid' }, 'enqueue_token_unavailable'],
        [{ token: { identity: 'id:new' }, challenge: 'invalid' }, 'rate_limited:60'],
        [{ challenge: 'invalid' }, 'rate_limited:60'],
        [{ challenge: 'deferred' }, 'rate_limited:60'],
      ];
      for (const [input, expected] of order) {
        assert.equal(
          kind(await screen(store, event, { visitorKey: 'vid:y', rateLimit: spent, ...input })),
          expected,
        );
      }
      // A fresh budget: the challenge decides.
      const fresh = (client: string) => ({ client, perMinute: 1, nowMs: MS });
      assert.equal(
        kind(
          await screen(store, event, { visitorKey: 'vid:y', challenge: 'missing', rateLimit: fresh('f1') }),
        ),
        'challenge_required',
      );
      assert.equal(
        kind(
          await screen(store, event, { visitorKey: 'vid:y', challenge: 'invalid', rateLimit: fresh('f2') }),
        ),
        'challenge_failed',
      );
      assert.equal(
        kind(
          await screen(store, event, { visitorKey: 'vid:y', challenge: 'deferred', rateLimit: fresh('f3') }),
        ),
        'clear',
      );
      assert.equal(kind(await screen(store, event, { visitorKey: 'vid:y' })), 'clear', 'nothing asked');
      // Nothing took a place.
      assert.equal((await store.getCounters(event)).queue, 0);
    });

    it('lets a visitor with no answer learn the challenge without spending the budget; a wrong answer spends it', async () => {
      const { store } = subject();
      const event = freshEvent();
      const rateLimit = { client: 'peek', perMinute: 1, nowMs: MS };
      for (let i = 0; i < 5; i++) {
        assert.equal(
          kind(await screen(store, event, { visitorKey: 'vid:p', challenge: 'missing', rateLimit })),
          'challenge_required',
        );
      }
      assert.equal(
        kind(await screen(store, event, { visitorKey: 'vid:p', challenge: 'invalid', rateLimit })),
        'challenge_failed',
      );
      assert.equal(
        kind(await screen(store, event, { visitorKey: 'vid:p', challenge: 'missing', rateLimit })),
        'rate_limited:60',
      );
    });

    it('spends a proof of work once, until it expires, per event', async () => {
      const { store, connect } = subject();
      const other = await connect();
      try {
        const event = freshEvent();
        const answer = { used: `prefix-${randomUUID()}`, forMs: 1000 };
        const results = await Promise.all(
          [store, other, store, other].map((client, i) =>
            screen(client, event, { visitorKey: `vid:${i}`, challenge: answer }),
          ),
        );
        assert.deepEqual(results.map(kind).sort(), [
          'challenge_failed',
          'challenge_failed',
          'challenge_failed',
          'clear',
        ]);
        assert.equal(
          kind(await screen(store, freshEvent(), { visitorKey: 'vid:0', challenge: answer })),
          'clear',
          'per event',
        );
        // Forgotten once it expires (the Redis store keeps it for `forMs` of real time).
        const short = { used: `short-${randomUUID()}`, forMs: 50 };
        assert.equal(kind(await screen(store, event, { visitorKey: 'vid:s', challenge: short })), 'clear');
        await new Promise((resolve) => setTimeout(resolve, 120));
        assert.equal(
          kind(await screen(store, event, { visitorKey: 'vid:s', challenge: short, nowMs: MS + 120 })),
          'clear',
        );
      } finally {
        if (other !== store) await other.close();
      }
    });

    it("gives an identity's place to every visitor key that brings the identity, and links it", async () => {
      const { store } = subject();
      const event = freshEvent();
      const cleared = await screen(store, event, { visitorKey: 'vid:one', token: { identity: 'id:alice' } });
      assert.equal(kind(cleared), 'clear');
      const place = await store.enqueue(event, { visitorKey: 'id:alice', now: T0 });
      await store.linkVisitor(event, 'vid:one', place.requestId);
      const entry = { requestId: place.requestId, eventId: event, position: 1, entryTime: T0 };
      // Another browser with the same identity: the same place, and its key now names it too.
      assert.deepEqual(
        await screen(store, event, { visitorKey: 'vid:two', token: { identity: 'id:alice' } }),
        {
          kind: 'held',
          entry,
        },
      );
      assert.deepEqual(await screen(store, event, { visitorKey: 'vid:two', token: 'missing' }), {
        kind: 'held',
        entry,
      });
      assert.deepEqual(await screen(store, event, { visitorKey: 'vid:one' }), { kind: 'held', entry });
      // A link never moves a key that already names a place.
      const bob = await store.enqueue(event, { visitorKey: 'id:bob', now: T0 });
      await store.linkVisitor(event, 'vid:one', bob.requestId);
      assert.deepEqual(await screen(store, event, { visitorKey: 'vid:one' }), { kind: 'held', entry });
    });
  });
}
