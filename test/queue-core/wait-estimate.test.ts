import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionRate, estimateWait, estimateWaitSeconds } from '../../queue-core/wait-estimate.ts';

/** A counter advancing `by` every `every` seconds from `start` until `end` (inclusive). */
function steady(start: number, end: number, every: number, by: number, from = 0) {
  const rows = [];
  for (let time = start, serving = from; time <= end; time += every) {
    serving += by;
    rows.push({ serving, time });
  }
  return rows;
}

const T = 1_767_225_600;

describe('estimateWaitSeconds', () => {
  it('is unknown without enough history', () => {
    assert.equal(estimateWaitSeconds({ position: 100, serving: 10, history: [], now: T }), null);
    assert.equal(
      estimateWaitSeconds({
        position: 100,
        serving: 10,
        history: [{ serving: 10, time: T - 5 }],
        now: T,
      }),
      null,
    );
    const sameSecond = [
      { serving: 5, time: T - 5 },
      { serving: 10, time: T - 5 },
    ];
    assert.equal(estimateWaitSeconds({ position: 100, serving: 10, history: sameSecond, now: T }), null);
  });

  it('is 0 once the position is served, even without history', () => {
    assert.equal(estimateWaitSeconds({ position: 10, serving: 10, history: [], now: T }), 0);
    assert.equal(estimateWaitSeconds({ position: 3, serving: 10, history: [], now: T }), 0);
  });

  it('matches a steady rate (5 every 10 s = 0.5/s), at and between ticks', () => {
    const history = steady(T - 600, T, 10, 5);
    const serving = history.at(-1)!.serving;
    assert.equal(admissionRate(history, T), 0.5);
    assert.equal(estimateWaitSeconds({ position: serving + 100, serving, history, now: T }), 200);
    // Between two ticks the estimate does not dip.
    assert.equal(estimateWaitSeconds({ position: serving + 100, serving, history, now: T + 7 }), 200);
  });

  it('smooths a burst instead of jumping to it', () => {
    const history = steady(T - 600, T - 60, 60, 30); // 0.5/s for ten minutes
    const last = history.at(-1)!;
    history.push({ serving: last.serving + 600, time: T }); // one big manual push
    const rate = admissionRate(history, T)!;
    assert.ok(
      rate > 0.5 && rate < 10,
      `burst rate ${rate} should sit between the steady 0.5 and the burst's 10`,
    );
  });

  it('slows down after a pause and becomes unknown when the last advance is long ago', () => {
    const history = steady(T - 600, T, 10, 5);
    const serving = history.at(-1)!.serving;
    const steadyWait = estimateWaitSeconds({ position: serving + 100, serving, history, now: T })!;
    const pausedWait = estimateWaitSeconds({ position: serving + 100, serving, history, now: T + 300 })!;
    assert.ok(pausedWait > steadyWait, `after a 5-minute pause ${pausedWait} should exceed ${steadyWait}`);
    assert.equal(estimateWaitSeconds({ position: serving + 100, serving, history, now: T + 601 }), null);
  });

  it('follows a slow schedule whose interval exceeds the window', () => {
    // 300 admitted every 15 minutes = 1/3 per second.
    const history = steady(T - 3600, T - 600, 900, 300);
    const serving = history.at(-1)!.serving;
    const wait = estimateWaitSeconds({ position: serving + 300, serving, history, now: T - 300 });
    assert.equal(wait, 900);
  });

  it('is unknown when the counter made no progress', () => {
    const history = [
      { serving: 10, time: T - 100 },
      { serving: 10, time: T - 50 },
    ];
    assert.equal(estimateWaitSeconds({ position: 20, serving: 10, history, now: T }), null);
    const backwards = [
      { serving: 10, time: T - 100 },
      { serving: 4, time: T - 50 },
    ];
    assert.equal(estimateWaitSeconds({ position: 20, serving: 4, history: backwards, now: T }), null);
  });
});

describe('estimateWait: what the inlet knows', () => {
  const periodic = (extra: Record<string, number> = {}) => ({
    mode: 'queue' as const,
    inlet: { type: 'periodic' as const, incrementBy: 10, intervalSeconds: 30, startTime: 1_000, ...extra },
  });

  it('periodic: the time to the tick that reaches the position, without any history', () => {
    // Ticks at 1000, 1030, 1060, …; at 1010 the tick of 1000 has run: 25 ahead need 3 more ticks.
    const input = { position: 26, serving: 1, history: [], now: 1_010 };
    assert.equal(estimateWait(periodic(), input), 1_090 - 1_010);
    assert.equal(estimateWait(periodic(), { ...input, position: 11 }), 1_030 - 1_010);
    assert.equal(estimateWait(periodic(), { ...input, position: 1 }), 0);
  });

  it('periodic: a tick due this very second counts until the counter has moved in it', () => {
    const input = { position: 5, serving: 0, history: [{ serving: 0, time: 970 }], now: 1_030 };
    assert.equal(estimateWait(periodic(), input), 0, 'the tick of 1030 is about to run');
    assert.equal(
      estimateWait(periodic(), { ...input, history: [{ serving: 0, time: 1_030 }], position: 5 }),
      30,
      'moved in this second: the next tick is at 1060',
    );
  });

  it('periodic: before its start the first tick is the start; a reach past its end is unknown', () => {
    assert.equal(estimateWait(periodic(), { position: 15, serving: 0, history: [], now: 900 }), 130);
    assert.equal(
      estimateWait(periodic({ endTime: 1_060 }), { position: 25, serving: 0, history: [], now: 1_010 }),
      null,
    );
  });

  it('periodic while paused, or with something else moving the counter: the history decides', () => {
    const input = { position: 26, serving: 1, history: [], now: 1_010 };
    assert.equal(estimateWait({ ...periodic(), mode: 'closed' as const }, input), null);
    assert.equal(estimateWait({ ...periodic(), abandonAfterSeconds: 60 }, input), null);
    assert.equal(estimateWait({ ...periodic(), incrementServingOnExpiry: true }, input), null);
    assert.equal(estimateWait({ ...periodic(), abandonAfterSeconds: null }, input), 80);
  });

  it('max-size: free places mean no wait; the fill of the empty room is no pace', () => {
    const maxSize = { mode: 'queue' as const, inlet: { type: 'max-size' as const, maxActive: 10 } };
    assert.equal(estimateWait(maxSize, { position: 8, serving: 5, history: [], now: 100 }), 0);
    assert.equal(estimateWait(maxSize, { position: 12, serving: 5, history: [], now: 100 }), null);
    // Filled at 1 a second (0 → 10 in 10 s), then 1 every 10 s as sessions end.
    const history = [
      ...Array.from({ length: 10 }, (_, i) => ({ serving: i + 1, time: i })),
      { serving: 11, time: 20 },
      { serving: 12, time: 30 },
      { serving: 13, time: 40 },
    ];
    const wait = estimateWait(maxSize, { position: 23, serving: 13, history, now: 40 }) as number;
    // The pace from the end of the fill (10 at t = 9) on: about 1 every 10 s, 10 ahead.
    assert.equal(
      wait,
      estimateWaitSeconds({ position: 23, serving: 13, history: history.slice(9), now: 40 }),
    );
    assert.ok(wait >= 100 && wait <= 110, `${wait}`);
    assert.ok(
      (estimateWaitSeconds({ position: 23, serving: 13, history, now: 40 }) as number) < 100,
      'the fill counted in would promise less',
    );
  });
});
