/**
 * The adaptive inlet in the proving ground (issue 20): Anteroom's real apps on loopback in
 * front of an HTTP origin whose latency grows with the sessions it serves, a crowd joining
 * faster than the origin can take, on a controlled clock. The runs are deterministic (seeded,
 * no wall-clock waits): the figures below are the same on any machine. bench/adaptive-inlet.ts
 * runs the full-size version and the comparison with fixed inlets.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  admittedShare,
  intervalsToBackOff,
  overshoot,
  peakRate,
  reachedShare,
  secondsAboveTarget,
} from '../support/proving-ground/figures.ts';
import { type ProvingGroundResult, runProvingGround } from '../support/proving-ground/run.ts';

/** 60 sessions of 20 s on average at the 150 ms target: 180 admissions a minute. */
const CAPACITY = 60;
const SESSION_SECONDS = 20;
const CAPACITY_PER_MINUTE = (60 * CAPACITY) / SESSION_SECONDS;
const ORIGIN = {
  capacity: CAPACITY,
  baseLatencyMs: 50,
  latencyTargetMs: 150,
  sessionSeconds: SESSION_SECONDS,
  arrivalsPerMinute: CAPACITY_PER_MINUTE * 1.5,
};
const ADAPTIVE = {
  type: 'adaptive',
  minPerMinute: 10,
  maxPerMinute: CAPACITY_PER_MINUTE * 4,
  startPerMinute: 60,
  intervalSeconds: 10,
  target: { latencyMs: 150, errorRate: 0.01 },
};

describe('proving ground: the capacity halves and recovers (prometheus signal)', () => {
  // 0–300 s full capacity, 300–600 s half, 600–900 s full again.
  let run: ProvingGroundResult;
  before(async () => {
    run = await runProvingGround({
      ...ORIGIN,
      inlet: ADAPTIVE,
      signal: 'prometheus',
      durationSeconds: 900,
      capacitySchedule: [
        { at: 300, capacity: CAPACITY / 2 },
        { at: 600, capacity: CAPACITY },
      ],
    });
  });

  it('every visitor’s request succeeded and every admitted visitor got a session', () => {
    assert.equal(run.failures, 0);
    assert.equal(run.sessions, run.admitted);
    assert.ok(run.admitted > 1000);
  });

  it('settles within ±20 % of the origin’s capacity', () => {
    const settled = admittedShare(run.rows, { from: 150, to: 300 });
    assert.ok(settled >= 0.8 && settled <= 1.2, `admitted ${settled.toFixed(2)} of capacity`);
    const halved = admittedShare(run.rows, { from: 450, to: 600 });
    assert.ok(halved >= 0.8 && halved <= 1.2, `half capacity: admitted ${halved.toFixed(2)} of it`);
  });

  it('overshoots by at most 20 %: rate and sessions', () => {
    const { rate, load } = overshoot(run.rows, { from: 0, to: 300 });
    assert.ok(rate <= 1.2, `rate peaked at ${rate.toFixed(2)} of capacity`);
    assert.ok(load <= 1.2, `sessions peaked at ${load.toFixed(2)} of capacity`);
  });

  it('backs off within two intervals when the capacity halves, and climbs back when it recovers', () => {
    const intervals = intervalsToBackOff(run, 300, 600);
    assert.ok(intervals !== null && intervals <= 2, `backed off after ${intervals} intervals`);
    const rateAtRecovery = run.rows.find((row) => row.t === 600)!.ratePerMinute;
    assert.ok(rateAtRecovery < CAPACITY_PER_MINUTE * 0.6);
    assert.notEqual(reachedShare(run.rows, 600, 0.8), null, 'the rate came back to 80 % of capacity');
  });

  it('keeps the origin within its target most of the time: under 10 % of the run above it', () => {
    const above = secondsAboveTarget(run);
    assert.ok(above < 90, `${above} s above target`);
  });

  it('never leaves [minPerMinute, maxPerMinute]', () => {
    for (const row of run.rows) {
      assert.ok(row.ratePerMinute >= ADAPTIVE.minPerMinute && row.ratePerMinute <= ADAPTIVE.maxPerMinute);
    }
  });
});

describe('proving ground: a flapping, then missing signal never lets the rate run away', () => {
  // Normal to 200 s; the monitoring flaps (3× the target, then a fifth of it) to 350 s; it is
  // down (503) to 420 s; normal again to 540 s.
  let run: ProvingGroundResult;
  before(async () => {
    run = await runProvingGround({
      ...ORIGIN,
      inlet: ADAPTIVE,
      signal: 'prometheus',
      durationSeconds: 540,
      signalFaults: [
        { from: 200, to: 350, kind: 'flap' },
        { from: 350, to: 420, kind: 'down' },
      ],
    });
  });

  it('flapping: the rate never rises above where it was, and ends lower', () => {
    const start = run.rows.find((row) => row.t === 200)!.ratePerMinute;
    const peak = peakRate(run.rows, { from: 200, to: 350 });
    assert.ok(peak <= start * 1.03 + 1e-9, `peaked at ${peak} from ${start}`);
    assert.ok(run.rows.find((row) => row.t === 349)!.ratePerMinute < start * 0.8);
  });

  it('missing: falls to the minimum within three intervals and stays there', () => {
    const atMin = run.rows.filter((row) => row.t >= 380 && row.t < 420);
    for (const row of atMin) {
      assert.equal(row.ratePerMinute, ADAPTIVE.minPerMinute, `t=${row.t}`);
      assert.equal(row.reason, 'signal_missing');
    }
  });

  it('comes back when the signal does', () => {
    assert.ok(run.rows.at(-1)!.ratePerMinute > ADAPTIVE.minPerMinute * 2);
  });
});
