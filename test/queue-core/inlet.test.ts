import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseEvent } from '../../queue-core/event-settings.ts';
import {
  type MaxSizeState,
  maxSizeDecision,
  periodicDecision,
  runInletTick,
} from '../../queue-core/inlet.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import type { EventSettings, PeriodicInlet } from '../../queue-core/types.ts';

const T = 1_767_225_600;

describe('periodicDecision', () => {
  const every60: PeriodicInlet = { type: 'periodic', incrementBy: 10, intervalSeconds: 60 };
  const windowed: PeriodicInlet = { ...every60, startTime: 1000, endTime: 1300 };
  const cases: [string, PeriodicInlet, number, { tick: number; incrementBy: number } | null][] = [
    ['epoch-aligned tick 0', every60, 59, { tick: 0, incrementBy: 10 }],
    ['next tick at the boundary', every60, 60, { tick: 1, incrementBy: 10 }],
    ['large now', every60, T, { tick: Math.floor(T / 60), incrementBy: 10 }],
    ['before startTime', windowed, 999, null],
    ['at startTime', windowed, 1000, { tick: 0, incrementBy: 10 }],
    ['ticks counted from startTime', windowed, 1125, { tick: 2, incrementBy: 10 }],
    ['last second before endTime', windowed, 1299, { tick: 4, incrementBy: 10 }],
    ['at endTime', windowed, 1300, null],
    ['after endTime', windowed, 5000, null],
  ];
  for (const [name, inlet, now, expected] of cases) {
    it(name, () => assert.deepEqual(periodicDecision(inlet, now), expected));
  }
});

describe('maxSizeDecision', () => {
  const base: MaxSizeState = { maxActive: 10, active: 0, serving: 0, queue: 0, tokens: 0, expired: 0 };
  const cases: [string, Partial<MaxSizeState>, number][] = [
    ['empty queue: nothing to admit', {}, 0],
    ['fills the free places', { queue: 50 }, 10],
    ['never past the end of the queue', { queue: 4 }, 4],
    ['served but unclaimed positions hold their places', { queue: 50, serving: 10 }, 0],
    ['claimed places stay taken while active', { queue: 50, serving: 10, tokens: 10, active: 10 }, 0],
    ['completed/abandoned sessions free places', { queue: 50, serving: 10, tokens: 10, active: 6 }, 4],
    ['expired positions free places', { queue: 50, serving: 10, tokens: 7, expired: 3, active: 7 }, 3],
    ['mixed: 2 outstanding, 5 active', { queue: 50, serving: 10, tokens: 8, active: 5 }, 3],
    [
      'over the limit (limit lowered live): never negative',
      { queue: 50, serving: 20, tokens: 20, active: 15 },
      0,
    ],
    ['serving ahead of the queue: no advance', { queue: 5, serving: 9, tokens: 5, active: 0 }, 0],
    ['limited by the rest of the queue', { queue: 12, serving: 9, tokens: 5, active: 0 }, 3],
    // After a store lost an era: positions 1..30 are of that era, counted expired (nobody claims them).
    [
      'a lost era: its positions are passed without room, then the free places',
      { queue: 50, expired: 30, lostBelow: 30, active: 4 },
      36,
    ],
    [
      'a lost era, sessions held: only its positions passed',
      { queue: 50, expired: 30, lostBelow: 30, active: 10 },
      30,
    ],
    [
      'a lost era already passed: free places only',
      { queue: 50, serving: 30, expired: 30, lostBelow: 30 },
      10,
    ],
  ];
  for (const [name, overrides, expected] of cases) {
    it(name, () => assert.equal(maxSizeDecision({ ...base, ...overrides }), expected));
  }
});

function event(raw: Record<string, unknown>): EventSettings {
  return parseEvent({ id: 'sale', ...raw });
}

async function enqueue(store: MemoryStore, count: number, now: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    ids.push((await store.enqueue('sale', { now })).requestId);
  }
  return ids;
}

describe('runInletTick', () => {
  it('advances once per periodic tick however often it is called', async () => {
    const store = new MemoryStore();
    const periodic = event({
      inlet: { type: 'periodic', incrementBy: 5, intervalSeconds: 60, startTime: T },
    });
    await enqueue(store, 20, T);
    const results = [];
    for (let call = 0; call < 3; call++)
      results.push(await runInletTick(store, periodic, T + 10, `p${call}`));
    assert.deepEqual(results, [
      { acted: true, incrementBy: 5 },
      { acted: false, incrementBy: 0 },
      { acted: false, incrementBy: 0 },
    ]);
    assert.equal(await store.getServingCounter('sale'), 5);

    // Concurrent callers on the next tick: still one advance.
    await Promise.all([1, 2, 3].map((call) => runInletTick(store, periodic, T + 61, `q${call}`)));
    assert.equal(await store.getServingCounter('sale'), 10);
    assert.equal((await runInletTick(store, periodic, T - 1, 'early')).acted, false);
  });

  it('keeps ticking, never twice in one slot, after its interval or start time changes live', async () => {
    const store = new MemoryStore();
    const periodic = (inlet: Record<string, unknown>) =>
      event({ inlet: { type: 'periodic', incrementBy: 1, ...inlet } });
    const every10 = periodic({ intervalSeconds: 10 });
    const every60 = periodic({ intervalSeconds: 60 });
    const later = periodic({ intervalSeconds: 60, startTime: T + 100 });
    await enqueue(store, 10, T);
    const steps: [EventSettings, number, boolean][] = [
      [every10, T, true],
      // the operator slows the inlet down: the next 60 s boundary ticks
      [every60, T + 30, false],
      [every60, T + 60, true],
      [every60, T + 61, false],
      // and speeds it up again: the 10 s slot that began with the last tick does not tick twice
      [every10, T + 65, false],
      [every10, T + 70, true],
      // a new start time in the future: its first tick runs
      [later, T + 99, false],
      [later, T + 100, true],
      [later, T + 159, false],
      [later, T + 160, true],
    ];
    for (const [settings, now, acted] of steps) {
      const result = await runInletTick(store, settings, now, 'p');
      assert.equal(result.acted, acted, `interval ${JSON.stringify(settings.inlet)} at T+${now - T}`);
    }
    assert.equal(await store.getServingCounter('sale'), 5);
  });

  it('admits only visitors actually queued, and reports the real movement', async () => {
    const store = new MemoryStore();
    const periodic = event({
      inlet: { type: 'periodic', incrementBy: 10, intervalSeconds: 60, startTime: T },
    });
    await enqueue(store, 3, T);
    assert.deepEqual(await runInletTick(store, periodic, T, 'p'), { acted: true, incrementBy: 3 });
    // An idle hour: every tick is taken, none moves the counter.
    for (let minute = 1; minute <= 60; minute++) {
      const result = await runInletTick(store, periodic, T + minute * 60, 'p');
      assert.deepEqual(result, { acted: true, incrementBy: 0 }, `idle minute ${minute}`);
    }
    assert.equal(await store.getServingCounter('sale'), 3);
    // Then a crowd of 25: ten a tick, as configured, not everybody at once.
    await enqueue(store, 25, T + 3630);
    const moves: number[] = [];
    for (let minute = 61; minute <= 64; minute++) {
      moves.push((await runInletTick(store, periodic, T + minute * 60, 'p')).incrementBy);
    }
    assert.deepEqual(moves, [10, 10, 5, 0]);
    assert.equal(await store.getServingCounter('sale'), 28);
  });

  it('does nothing for manual inlets and for events not in queue mode', async () => {
    const store = new MemoryStore();
    await enqueue(store, 3, T);
    const inlet = { type: 'periodic', incrementBy: 5, intervalSeconds: 60 };
    for (const settings of [
      event({}),
      event({ mode: 'closed', inlet }),
      event({ mode: 'passthrough', inlet }),
      event({ mode: 'closed', inlet: { type: 'max-size', maxActive: 5 } }),
    ]) {
      assert.deepEqual(await runInletTick(store, settings, T, 'p'), { acted: false, incrementBy: 0 });
    }
    assert.equal(await store.getServingCounter('sale'), 0);
  });

  it('lets only the lease holder steer a max-size event', async () => {
    const store = new MemoryStore();
    const maxSize = event({ inlet: { type: 'max-size', maxActive: 3 } });
    await enqueue(store, 10, T);
    assert.deepEqual(await runInletTick(store, maxSize, T, 'a'), { acted: true, incrementBy: 3 });
    assert.equal(await store.getServingCounter('sale'), 3);
    await store.incrementServingCounter('sale', -3, T); // make room so only the lease can say no
    assert.deepEqual(await runInletTick(store, maxSize, T, 'b'), { acted: false, incrementBy: 0 });
    assert.deepEqual(await runInletTick(store, maxSize, T, 'a'), { acted: true, incrementBy: 3 });
  });

  it('fills max-size places as sessions end, and never beyond them', async () => {
    const store = new MemoryStore();
    const maxSize = event({ inlet: { type: 'max-size', maxActive: 3 }, tokenValiditySeconds: 100 });
    const ids = await enqueue(store, 10, T);
    const issue = (index: number, now: number) =>
      store.issueToken('sale', {
        requestId: ids[index]!,
        now,
        validitySeconds: 100,
        issuer: 'https://queue.example.com',
        expirySeconds: null,
      });
    assert.equal((await runInletTick(store, maxSize, T, 'p')).incrementBy, 3);
    assert.equal((await runInletTick(store, maxSize, T, 'p')).incrementBy, 0, 'unclaimed places are held');
    await issue(0, T);
    await issue(1, T);
    assert.equal((await runInletTick(store, maxSize, T, 'p')).incrementBy, 0);
    await store.updateSession('sale', ids[0]!, 'completed');
    assert.equal((await runInletTick(store, maxSize, T, 'p')).incrementBy, 1);
    await store.updateSession('sale', ids[1]!, 'abandoned');
    assert.equal((await runInletTick(store, maxSize, T, 'p')).incrementBy, 1);
    await issue(2, T + 10);
    await issue(3, T + 10);
    await issue(4, T + 10);
    assert.equal(await store.activeCount('sale', T + 10), 3);
    assert.equal((await runInletTick(store, maxSize, T + 10, 'p')).incrementBy, 0);
    // Their tokens expire at T + 110: the places come back.
    assert.equal((await runInletTick(store, maxSize, T + 111, 'p')).incrementBy, 3);
  });

  it('never over-admits under max-size, whatever visitors and the clock do', async () => {
    const maxActive = 4;
    const action = fc.oneof(
      fc.record({ kind: fc.constant('enqueue' as const), count: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('tick' as const) }),
      fc.record({ kind: fc.constant('claim' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('end' as const), pick: fc.nat(), completed: fc.boolean() }),
      fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('expire' as const), autoAdvance: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 60 }), async (actions) => {
        const store = new MemoryStore();
        const settings = event({ inlet: { type: 'max-size', maxActive }, tokenValiditySeconds: 60 });
        const ids: string[] = [];
        const claimed: string[] = [];
        let now = T;
        for (const step of actions) {
          if (step.kind === 'enqueue') ids.push(...(await enqueue(store, step.count, now)));
          if (step.kind === 'tick') await runInletTick(store, settings, now, 'p');
          if (step.kind === 'wait') now += step.seconds;
          if (step.kind === 'expire') await store.expirePositions('sale', now, 30, step.autoAdvance);
          if (step.kind === 'claim' && ids.length > 0) {
            const requestId = ids[step.pick % ids.length]!;
            const outcome = await store.issueToken('sale', {
              requestId,
              now,
              validitySeconds: 60,
              issuer: 'https://queue.example.com',
              expirySeconds: 30,
            });
            if (outcome.kind === 'issued' && outcome.created) claimed.push(requestId);
          }
          if (step.kind === 'end' && claimed.length > 0) {
            const requestId = claimed[step.pick % claimed.length]!;
            await store.updateSession('sale', requestId, step.completed ? 'completed' : 'abandoned');
          }
          const active = await store.activeCount('sale', now);
          assert.ok(active <= maxActive, `${active} active sessions exceed ${maxActive}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('runInletTick with absent visitors (abandonAfterSeconds)', () => {
  const issue = (store: MemoryStore, requestId: string, now: number) =>
    store.issueToken('room', {
      requestId,
      now,
      validitySeconds: 600,
      issuer: 'https://queue.example',
      expirySeconds: null,
      maxActive: 2,
      presence: true,
    });

  it('max-size fills its places with present visitors only, counts the absent passed as nothing, never over maxActive', async () => {
    const store = new MemoryStore();
    const event: EventSettings = parseEvent({
      id: 'room',
      inlet: { type: 'max-size', maxActive: 2 },
      abandonAfterSeconds: 30,
      queuePositionExpirySeconds: null,
    });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await store.enqueue('room', { now: T, present: true })).requestId);
    await store.touchPresence('room', [2, 4, 6], T + 60, null); // 1, 3 and 5 left
    const first = await runInletTick(store, event, T + 60, 'a');
    assert.equal(first.incrementBy, 4, '1 and 3 passed uncounted, 2 and 4 let in');
    assert.equal((await issue(store, ids[1]!, T + 61)).kind, 'issued');
    assert.equal((await issue(store, ids[0]!, T + 61)).kind, 'not_yet', 'passed while absent');
    // One place active, one let in and unclaimed: full.
    assert.equal((await runInletTick(store, event, T + 62, 'a')).incrementBy, 0);
    await store.updateSession('room', ids[1]!, 'completed');
    // A place freed; the visitor at 1 came back: admitted first, ahead of 6.
    await store.touchPresence('room', [1], T + 63, null);
    assert.deepEqual((await runInletTick(store, event, T + 64, 'a')).incrementBy, 0);
    assert.equal((await issue(store, ids[0]!, T + 65)).kind, 'issued');
    assert.equal((await issue(store, ids[3]!, T + 65)).kind, 'issued');
    assert.equal(await store.activeCount('room', T + 65), 2);
    assert.equal((await issue(store, ids[5]!, T + 65)).kind, 'not_yet', 'no place left for 6');
  });
});
