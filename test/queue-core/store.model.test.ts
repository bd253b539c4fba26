/**
 * Model-based test: random command sequences run against the memory store (the model)
 * and the Redis store; every answer must be identical. Each run uses a fresh event id
 * and its own controlled clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AnteroomError } from '../../queue-core/errors.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { contractEra, rid } from './store-contract.ts';

const skip = redisSkipReason();
const RUNS = 1000;

interface Model {
  eventId: string;
  now: number;
  /** Request ids handed out so far (commands pick among them). */
  ids: string[];
}

interface Real {
  memory: MemoryStore;
  redis: RedisStore;
}

/** An answer or the code of the error, so failures are compared too. */
async function settle(work: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await work };
  } catch (error) {
    return { error: error instanceof AnteroomError ? error.code : String(error) };
  }
}

function pick(model: Model, index: number): string {
  return model.ids.length === 0 ? rid(model.eventId, 0xfffff) : model.ids[index % model.ids.length]!;
}

/** One store operation, run on both stores with the same arguments. */
class StoreCommand implements fc.AsyncCommand<Model, Real> {
  readonly label: string;
  readonly apply: (store: QueueStore, model: Model) => Promise<unknown>;
  readonly update: ((model: Model, result: unknown) => void) | undefined;

  constructor(
    label: string,
    apply: (store: QueueStore, model: Model) => Promise<unknown>,
    update?: (model: Model, result: unknown) => void,
  ) {
    this.label = label;
    this.apply = apply;
    this.update = update;
  }

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const expected = await settle(this.apply(real.memory, model));
    const actual = await settle(this.apply(real.redis, model));
    assert.deepEqual(actual, expected, `${this.label} at t=${model.now}`);
    this.update?.(model, expected);
  }

  toString(): string {
    return this.label;
  }
}

const enqueueCommand = fc.option(fc.constantFrom('k1', 'k2', 'k3', ''), { nil: undefined }).map(
  (visitorKey) =>
    new StoreCommand(
      `enqueue(${visitorKey ?? '-'})`,
      (store, m) => store.enqueue(m.eventId, { visitorKey, now: m.now }),
      (m, result) => {
        const outcome = result as { ok?: { created: boolean; requestId: string } };
        if (outcome.ok?.created) m.ids.push(outcome.ok.requestId);
      },
    ),
);

// Steps whose sums land exactly on the expiry periods (30, 90) test the strict boundaries;
// a step back is another process whose clock is a second behind.
const tickCommand = fc.constantFrom(-1, 0, 1, 29, 30, 31, 60, 89, 90).map(
  (seconds) =>
    new StoreCommand(
      `tick(${seconds})`,
      async () => null,
      (m) => {
        m.now += seconds;
      },
    ),
);

const incrementCommand = fc
  .integer({ min: -2, max: 4 })
  .map(
    (by) =>
      new StoreCommand(`increment(${by})`, (store, m) => store.incrementServingCounter(m.eventId, by, m.now)),
  );

// Operator-sized moves: |by| up to 10^9, the API's bound.
const bigIncrementCommand = fc
  .constantFrom(1_000_000_000, -1_000_000_000)
  .map(
    (by) =>
      new StoreCommand(`increment(${by})`, (store, m) => store.incrementServingCounter(m.eventId, by, m.now)),
  );

// Few tick numbers, so repeated and older ticks (refused) are as common as new ones; steps
// up to 10 often reach the queue counter, where a tick stops.
const advanceOnTickCommand = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -2, max: 10 }))
  .map(
    ([tick, by]) =>
      new StoreCommand(`advanceOnTick(${tick}, ${by})`, (store, m) =>
        store.advanceOnTick(m.eventId, tick, by, m.now),
      ),
  );

const issueCommand = fc
  .record({
    index: fc.nat(),
    expiry: fc.constantFrom(null, 30, 90),
    maxActive: fc.constantFrom(undefined, 1, 2),
    validity: fc.integer({ min: 10, max: 200 }),
  })
  .map(
    ({ index, expiry, maxActive, validity }) =>
      new StoreCommand(
        `issue(#${index}, expiry ${expiry}, max ${maxActive}, valid ${validity})`,
        (store, m) =>
          store.issueToken(m.eventId, {
            requestId: pick(m, index),
            now: m.now,
            validitySeconds: validity,
            issuer: 'https://rooms.example:443/oidc',
            expirySeconds: expiry,
            maxActive,
          }),
      ),
  );

// Absent visitors (API.md section 6): presence at the enqueue and by touches, the inlets' walk
// with small work bounds (so a bound cuts walks short often), the sweep and the presence reads.
const presenceRule = (m: Model, window: number, work: number) => ({ absentBefore: m.now - window, work });

const enqueuePresentCommand = fc.constant(
  new StoreCommand(
    'enqueue(present)',
    (store, m) => store.enqueue(m.eventId, { now: m.now, present: true }),
    (m, result) => {
      const outcome = result as { ok?: { created: boolean; requestId: string } };
      if (outcome.ok?.created) m.ids.push(outcome.ok.requestId);
    },
  ),
);

const touchCommand = fc
  .tuple(fc.subarray([1, 2, 3, 4, 5, 6, 7]), fc.constantFrom(null, 30, 90))
  .map(
    ([positions, expiry]) =>
      new StoreCommand(`touch(${positions.join(',')}, expiry ${expiry})`, (store, m) =>
        store.touchPresence(m.eventId, positions, m.now, expiry),
      ),
  );

const presentAdvanceCommand = fc
  .tuple(
    fc.constantFrom('tick', 'increment', 'adaptive'),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 5 }),
    fc.constantFrom(30, 60),
    fc.integer({ min: 1, max: 6 }),
  )
  .map(
    ([kind, tick, by, window, work]) =>
      new StoreCommand(`present ${kind}(${tick}, ${by}, window ${window}, work ${work})`, (store, m) => {
        const rule = presenceRule(m, window, work);
        if (kind === 'tick') return store.advanceOnTick(m.eventId, tick, by, m.now, rule);
        if (kind === 'increment') return store.incrementServingCounter(m.eventId, by, m.now, rule);
        return store.advanceInlet(m.eventId, tick - 1, '{}', by, m.now, rule);
      }),
  );

const sweepCommand = fc
  .tuple(fc.constantFrom(30, 60), fc.integer({ min: 1, max: 6 }))
  .map(
    ([window, work]) =>
      new StoreCommand(`sweepPresence(window ${window}, work ${work})`, (store, m) =>
        store.sweepPresence(m.eventId, presenceRule(m, window, work)),
      ),
  );

const presenceReadCommand = fc
  .tuple(fc.nat(), fc.constantFrom(null, 30, 90), fc.constantFrom(undefined, 2))
  .map(
    ([index, expiry, maxActive]) =>
      new StoreCommand(`presence reads(#${index}, expiry ${expiry})`, async (store, m) => ({
        expiry: await store.positionExpiry(m.eventId, pick(m, index), m.now, expiry, true),
        issue: await store.issueToken(m.eventId, {
          requestId: pick(m, index),
          now: m.now,
          validitySeconds: 100,
          issuer: 'https://rooms.example:443/oidc',
          expirySeconds: expiry,
          maxActive,
          presence: true,
        }),
      })),
  );

const presenceExpireCommand = fc
  .tuple(fc.constantFrom(0, 30, 90), fc.boolean())
  .map(
    ([expiry, autoAdvance]) =>
      new StoreCommand(`expirePositions(${expiry}, ${autoAdvance}, presence)`, (store, m) =>
        store.expirePositions(m.eventId, m.now, expiry, autoAdvance, true),
      ),
  );

/** Uniform choice among these: the state-building commands appear more than once. */
const commands = [
  enqueuePresentCommand,
  touchCommand,
  touchCommand,
  presentAdvanceCommand,
  presentAdvanceCommand,
  sweepCommand,
  presenceReadCommand,
  presenceExpireCommand,
  enqueueCommand,
  enqueueCommand,
  tickCommand,
  tickCommand,
  incrementCommand,
  bigIncrementCommand,
  advanceOnTickCommand,
  issueCommand,
  issueCommand,
  fc
    .tuple(fc.nat(), fc.constantFrom('completed', 'abandoned') as fc.Arbitrary<'completed' | 'abandoned'>)
    .map(
      ([index, status]) =>
        new StoreCommand(`updateSession(#${index}, ${status})`, (store, m) =>
          store.updateSession(m.eventId, pick(m, index), status),
        ),
    ),
  fc
    .tuple(fc.nat(), fc.constantFrom(null, 30, 90))
    .map(
      ([index, expiry]) =>
        new StoreCommand(`positionExpiry(#${index}, ${expiry})`, (store, m) =>
          store.positionExpiry(m.eventId, pick(m, index), m.now, expiry),
        ),
    ),
  fc
    .tuple(fc.constantFrom(0, 30, 90), fc.boolean())
    .map(
      ([expiry, autoAdvance]) =>
        new StoreCommand(`expirePositions(${expiry}, ${autoAdvance})`, (store, m) =>
          store.expirePositions(m.eventId, m.now, expiry, autoAdvance),
        ),
    ),
  fc.nat().map(
    (index) =>
      new StoreCommand(`read(#${index})`, async (store, m) => {
        const requestId = pick(m, index);
        return {
          entry: await store.getEntry(m.eventId, requestId),
          session: await store.getSession(m.eventId, requestId),
          counters: await store.getCounters(m.eventId),
          serving: await store.getServingCounter(m.eventId),
          waiting: await store.waitingCount(m.eventId),
          active: await store.activeCount(m.eventId, m.now),
        };
      }),
  ),
  fc
    .integer({ min: 1, max: 6 })
    .map(
      (limit) =>
        new StoreCommand(`servingHistory(${limit})`, (store, m) => store.servingHistory(m.eventId, limit)),
    ),
  fc.integer({ min: 1, max: 3 }).map(
    (limit) =>
      new StoreCommand(`expiredSessions(${limit})`, async (store, m) => {
        const pages = [];
        let cursor: string | undefined;
        do {
          const page = await store.expiredSessions(m.eventId, m.now, { limit, cursor });
          pages.push(page);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return pages;
      }),
  ),
  fc.constant(new StoreCommand('reset', (store, m) => store.reset(m.eventId))),
];

describe('memory store vs redis store (model-based)', { skip }, () => {
  let server: RedisServer;
  let redis: RedisStore;
  before(async () => {
    server = await startRedis();
    redis = new RedisStore({ url: server.url, keyPrefix: 'model:', newEra: contractEra });
  });
  after(async () => {
    await redis?.close();
    await server?.stop();
  });

  it(`gives identical answers over ${RUNS} random command sequences`, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 24, size: 'max' }), async (sequence) => {
        run++;
        const eventId = `model-${run}`;
        // Every run starts with two queued visitors, so most commands reach a known id.
        // Every fourth run starts with the serving counter past 10^14, where numbers no
        // longer fit Lua's default 14-digit number-to-text conversion.
        const startServing = run % 4 === 0 ? 123_456_789_012_345 : 0;
        const setup = async () => {
          const model: Model = { eventId, now: 1_700_000_000, ids: [rid(eventId, 1), rid(eventId, 2)] };
          const real: Real = { memory: new MemoryStore({ newEra: contractEra }), redis };
          for (const store of [real.memory, real.redis]) {
            for (const _ of model.ids) await store.enqueue(eventId, { now: model.now });
            await store.incrementServingCounter(eventId, startServing, model.now - 1);
          }
          return { model, real };
        };
        try {
          await fc.asyncModelRun(setup, sequence);
        } finally {
          await redis.reset(eventId);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(run >= RUNS, 'every run executed');
  });
});
