import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type AdaptiveState,
  accrue,
  controlDue,
  controlStep,
  cutFraction,
  initialAdaptiveState,
} from '../../queue-core/adaptive-inlet.ts';
import type { AdaptiveInlet, OriginHealth } from '../../queue-core/types.ts';

const T0 = 1_767_225_600;
const INLET: AdaptiveInlet = {
  type: 'adaptive',
  minPerMinute: 10,
  maxPerMinute: 1000,
  startPerMinute: 100,
  intervalSeconds: 10,
  target: { latencyMs: 200, errorRate: 0.01 },
  signal: { type: 'push' },
};

const sample = (at: number, latencyMs: number, errorRate = 0): OriginHealth => ({ latencyMs, errorRate, at });
const below = (at: number) => sample(at, 50);
const near = (at: number) => sample(at, 180);
const above = (at: number, latencyMs = 210) => sample(at, latencyMs);

/** Run steps at every interval boundary from T0 with the readings given (null: none). */
function steps(readings: ((at: number) => OriginHealth | null)[], inlet = INLET): AdaptiveState[] {
  let state = initialAdaptiveState(inlet, T0);
  const states: AdaptiveState[] = [];
  readings.forEach((reading, index) => {
    const now = T0 + index * inlet.intervalSeconds;
    state = controlStep(inlet, state, reading(now), now);
    states.push(state);
  });
  return states;
}

describe('adaptive controller: one step', () => {
  it('starts at startPerMinute, or at minPerMinute without one', () => {
    assert.equal(initialAdaptiveState(INLET, T0).rate, 100);
    assert.equal(initialAdaptiveState({ ...INLET, startPerMinute: undefined }, T0).rate, 10);
    assert.equal(initialAdaptiveState(INLET, T0).reason, 'starting');
  });

  it('falls at once when the latency is above target, and further the further above', () => {
    const [slightly] = steps([(at) => above(at, 210)]);
    const [far] = steps([(at) => above(at, 400)]);
    assert.equal(slightly!.reason, 'above_target');
    assert.ok(slightly!.rate < 100 && slightly!.rate >= 80, `slightly above: ${slightly!.rate}`);
    assert.equal(far!.rate, 50);
  });

  it('falls when only the error rate is above target', () => {
    const [state] = steps([(at) => sample(at, 50, 0.02)]);
    assert.equal(state!.reason, 'above_target');
    assert.equal(state!.rate, 50);
  });

  it('an error target of 0 is exceeded by any error', () => {
    const [state] = steps([(at) => sample(at, 50, 0.001)], {
      ...INLET,
      target: { latencyMs: 200, errorRate: 0 },
    });
    assert.equal(state!.reason, 'above_target');
  });

  it('holds near the target and rises slowly below it', () => {
    const [held] = steps([near]);
    assert.equal(held!.reason, 'near_target');
    assert.equal(held!.rate, 100);
    const [rose] = steps([below]);
    assert.equal(rose!.reason, 'below_target');
    assert.ok(rose!.rate > 100 && rose!.rate <= 110, `rose to ${rose!.rate}`);
  });

  it('rises by 3 % an interval; by 10 % far below target, below it before, and not climbing', () => {
    const rise = (states: AdaptiveState[], i: number) =>
      states[i]!.rate / (i === 0 ? 100 : states[i - 1]!.rate);
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
    // First reading: nothing to compare with, 3 %. Then far below twice in a row: 10 %.
    const calm = steps([below, below, below]);
    assert.ok(close(rise(calm, 0), 1.03) && close(rise(calm, 1), 1.1) && close(rise(calm, 2), 1.1));
    // Climbing (the load of the last rises still arriving): 3 %.
    const climbing = steps([(at) => sample(at, 50), (at) => sample(at, 60), (at) => sample(at, 61)]);
    assert.ok(close(rise(climbing, 1), 1.03) && close(rise(climbing, 2), 1.1));
    // Just above target: the next reading below rises 3 %, the one after 10 %.
    const afterCut = steps([below, above, below, below]);
    assert.ok(close(rise(afterCut, 2), 1.03) && close(rise(afterCut, 3), 1.1));
    // Between half the target and the hold band: 3 % however long it lasts.
    const half = steps([(at) => sample(at, 120), (at) => sample(at, 120), (at) => sample(at, 120)]);
    assert.ok([0, 1, 2].every((i) => close(rise(half, i), 1.03)));
  });

  it('waits up to three intervals for a cut to take effect, unless the signal gets worse', () => {
    const same = steps([above, above, above, above]);
    assert.deepEqual(
      same.map((s) => s.reason),
      ['above_target', 'waiting_for_effect', 'waiting_for_effect', 'above_target'],
    );
    assert.equal(same[1]!.rate, same[0]!.rate);
    assert.ok(same[3]!.rate < same[2]!.rate);
    const worse = steps([(at) => above(at, 210), (at) => above(at, 260)]);
    assert.deepEqual(
      worse.map((s) => s.reason),
      ['above_target', 'above_target'],
    );
  });

  it('never leaves [min, max]', () => {
    const low = steps(Array.from({ length: 30 }, () => (at: number) => above(at, 10_000)));
    assert.equal(low.at(-1)!.rate, INLET.minPerMinute);
    const high = steps(Array.from({ length: 200 }, () => below));
    assert.equal(high.at(-1)!.rate, INLET.maxPerMinute);
    assert.equal(high.at(-1)!.reason, 'at_max');
  });

  it('a rate of 0 can rise', () => {
    const inlet = { ...INLET, minPerMinute: 0, startPerMinute: 0 };
    const [state] = steps([below], inlet);
    assert.equal(state!.rate, 1);
  });

  it('clamps a state written under other bounds (a live settings change)', () => {
    const state = { ...initialAdaptiveState(INLET, T0), rate: 5000 };
    const next = controlStep(INLET, state, near(T0), T0);
    assert.equal(next.rate, INLET.maxPerMinute);
  });

  it('cutFraction: 10 % just above target, 50 % from 1.5× on', () => {
    assert.equal(cutFraction(1.0001) > 0.0999, true);
    assert.ok(Math.abs(cutFraction(1.25) - 0.3) < 1e-9);
    assert.equal(cutFraction(1.5), 0.5);
    assert.equal(cutFraction(40), 0.5);
  });
});

describe('adaptive controller: a missing signal', () => {
  it('holds for two intervals without a reading, then falls to the minimum', () => {
    const states = steps([below, () => null, () => null, () => null]);
    assert.deepEqual(
      states.map((s) => s.reason),
      ['below_target', 'signal_stale', 'signal_stale', 'signal_missing'],
    );
    assert.equal(states[1]!.rate, states[0]!.rate);
    assert.equal(states[3]!.rate, INLET.minPerMinute);
  });

  it('never acts twice on the same reading (a push that stopped)', () => {
    const pushedOnce = below(T0);
    const states = steps([() => pushedOnce, () => pushedOnce, () => pushedOnce, () => pushedOnce]);
    assert.deepEqual(
      states.map((s) => s.reason),
      ['below_target', 'signal_stale', 'signal_stale', 'signal_missing'],
    );
  });

  it('ignores a reading older than three intervals', () => {
    const [state] = steps([() => below(T0 - 31)]);
    assert.equal(state!.reason, 'starting');
    assert.equal(state!.rate, 100);
  });

  it('counts intervals nobody stepped as missing: a long gap resumes from the minimum', () => {
    let state = controlStep(INLET, initialAdaptiveState(INLET, T0), below(T0), T0);
    assert.ok(state.rate > 100);
    const later = T0 + 45;
    state = controlStep(INLET, state, below(later), later);
    assert.equal(state.reason, 'below_target');
    assert.equal(state.rate, INLET.minPerMinute + 1, 'from the minimum, one step up');
  });

  it('a short gap (a restart) continues where it was', () => {
    let state = controlStep(INLET, initialAdaptiveState(INLET, T0), below(T0), T0);
    const before = state.rate;
    state = controlStep(INLET, state, below(T0 + 20), T0 + 20);
    assert.ok(state.rate > before);
  });

  it('after the signal comes back, rises from the minimum', () => {
    const states = steps([above, () => null, () => null, () => null, below]);
    assert.equal(states[3]!.rate, INLET.minPerMinute);
    assert.equal(states[4]!.reason, 'below_target');
    assert.ok(Math.abs(states[4]!.rate - 11) < 1e-9, `${states[4]!.rate}`);
  });
});

describe('adaptive controller: properties', () => {
  const reading = fc.oneof(
    fc.constant(null),
    fc.record({
      latencyMs: fc.oneof(fc.double({ min: 0, max: 100_000, noNaN: true }), fc.constant(200)),
      errorRate: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(0)),
    }),
  );
  const bounds = fc
    .record({ min: fc.integer({ min: 0, max: 5000 }), span: fc.integer({ min: 0, max: 5000 }) })
    .map(({ min, span }) => ({ min, max: Math.max(1, min + span) }));

  it('the rate stays within [min, max] whatever the readings and the timing', () => {
    fc.assert(
      fc.property(
        bounds,
        fc.array(fc.tuple(reading, fc.integer({ min: 1, max: 100 })), { maxLength: 60 }),
        ({ min, max }, sequence) => {
          const inlet: AdaptiveInlet = {
            ...INLET,
            minPerMinute: min,
            maxPerMinute: max,
            startPerMinute: min,
          };
          let state = initialAdaptiveState(inlet, T0);
          let now = T0;
          for (const [value, gap] of sequence) {
            now += gap;
            state = controlStep(inlet, state, value === null ? null : { ...value, at: now }, now);
            assert.ok(state.rate >= min && state.rate <= max, `rate ${state.rate} outside [${min}, ${max}]`);
            const { admit } = accrue(inlet, state, now + 1);
            assert.ok(admit >= 0 && admit <= Math.ceil((max * inlet.intervalSeconds) / 60) + 1);
          }
        },
      ),
    );
  });

  it('a flapping signal drives the rate down, never up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 1000 }),
        fc.double({ min: 1.01, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 0.79, noNaN: true }),
        fc.boolean(),
        (start, high, low, firstAbove) => {
          const inlet = { ...INLET, startPerMinute: start };
          const readings = Array.from(
            { length: 60 },
            (_, i) => (at: number) =>
              sample(at, ((i % 2 === 0) === firstAbove ? high : low) * inlet.target.latencyMs),
          );
          const states = steps(readings, inlet);
          const peak = Math.max(...states.map((s) => s.rate));
          assert.ok(peak <= start * 1.03 + 1e-9, `peak ${peak} from ${start}`);
          assert.ok(states.at(-1)!.rate < start, `ended at ${states.at(-1)!.rate} from ${start}`);
        },
      ),
    );
  });
});

describe('adaptive controller: admissions between steps', () => {
  it('admits exactly the rate over a minute, second by second, carrying fractions', () => {
    let state: AdaptiveState = { ...initialAdaptiveState(INLET, T0), rate: 90 };
    let admitted = 0;
    for (let t = T0 + 1; t <= T0 + 60; t++) {
      const result = accrue(INLET, state, t);
      admitted += result.admit;
      assert.ok(result.admit <= 2);
      state = result.state;
    }
    assert.equal(admitted, 90);
  });

  it('the same second is never admitted twice', () => {
    const state: AdaptiveState = { ...initialAdaptiveState(INLET, T0), rate: 600 };
    const first = accrue(INLET, state, T0 + 1);
    assert.equal(first.admit, 10);
    assert.equal(accrue(INLET, first.state, T0 + 1).admit, 0);
    assert.equal(accrue(INLET, first.state, T0).admit, 0);
  });

  it('after a gap, admits at most one interval’s worth', () => {
    const state: AdaptiveState = { ...initialAdaptiveState(INLET, T0), rate: 600 };
    assert.equal(accrue(INLET, state, T0 + 3600).admit, 100);
  });

  it('a step is due once per interval', () => {
    const fresh = initialAdaptiveState(INLET, T0);
    assert.equal(controlDue(INLET, fresh, T0), true);
    const stepped = controlStep(INLET, fresh, below(T0), T0);
    assert.equal(controlDue(INLET, stepped, T0 + 9), false);
    assert.equal(controlDue(INLET, stepped, T0 + 10), true);
  });
});
