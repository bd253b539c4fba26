import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionRate, estimateWaitSeconds } from '../../queue-core/wait-estimate.ts';

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
