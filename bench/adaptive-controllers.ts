/**
 * Why the adaptive inlet's controller is what it is: the shipped controller against classic
 * AIMD, on the proving ground's origin model without HTTP (seconds of simulation, not minutes).
 *
 *   node bench/adaptive-controllers.ts [--chart docs/adaptive-controllers.svg]
 *
 * The plant is what makes a waiting room's control loop hard: a visitor admitted now loads the
 * origin for a whole session, so the origin's latency answers a change of rate only over one
 * session length (here 60 s and 180 s, against a 10 s controller interval). The capacity
 * halves from minute 15 to minute 25. Controllers:
 *   - shipped: queue-core/adaptive-inlet.ts (a rise of 3 % an interval, 10 % far below the
 *     target; a hold band from 0.8 of the target; a cut of 10–50 % by how far above, then up to
 *     three intervals for it to show);
 *   - AIMD: + (max − min) / 100 an interval below target, × 0.5 above (TCP Reno's rule);
 *   - eager: + 3 % an interval, × 0.7 at every reading above target (no hold band, no waiting).
 * Not a test: it asserts nothing.
 */
import { writeFileSync } from 'node:fs';
import { accrue, controlDue, controlStep, initialAdaptiveState } from '../queue-core/adaptive-inlet.ts';
import type { AdaptiveInlet, OriginHealth } from '../queue-core/types.ts';
import { OriginModel, seededRandom } from '../test/support/proving-ground/origin-model.ts';
import { timeSeriesSvg } from './svg-chart.ts';

const args = process.argv.slice(2);
const chartPath = args.includes('--chart') ? args[args.indexOf('--chart') + 1] : undefined;

const CAPACITY = 400;
const TARGET_MS = 150;
const DURATION = 2400;
const DIP = { from: 900, to: 1500 };

type Controller = (rate: number, reading: OriginHealth, inlet: AdaptiveInlet) => number;

const aimd: Controller = (rate, reading, inlet) =>
  reading.latencyMs > inlet.target.latencyMs || reading.errorRate > inlet.target.errorRate
    ? rate * 0.5
    : rate + (inlet.maxPerMinute - inlet.minPerMinute) / 100;

const eager: Controller = (rate, reading, inlet) =>
  reading.latencyMs > inlet.target.latencyMs || reading.errorRate > inlet.target.errorRate
    ? rate * 0.7
    : rate * 1.03;

interface Outcome {
  rates: [number, number][];
  latencies: [number, number][];
  admitted: number;
  secondsAbove: number;
  /** Admitted over capacity, at full capacity (second half before the dip) and in the dip. */
  settled: number;
  dip: number;
  peakLoad: number;
}

function simulate(sessionSeconds: number, controller: Controller | 'shipped'): Outcome {
  const capacityPerMinute = (60 * CAPACITY) / sessionSeconds;
  const inlet: AdaptiveInlet = {
    type: 'adaptive',
    minPerMinute: Math.round(capacityPerMinute / 20),
    maxPerMinute: capacityPerMinute * 4,
    startPerMinute: Math.round(capacityPerMinute / 3),
    intervalSeconds: 10,
    target: { latencyMs: TARGET_MS, errorRate: 0.01 },
    signal: { type: 'push' },
  };
  const model = new OriginModel({
    capacity: CAPACITY,
    baseLatencyMs: 50,
    latencyAtCapacityMs: TARGET_MS,
    seed: 5,
  });
  const random = seededRandom(9);
  let state = initialAdaptiveState(inlet, 0);
  const ends: number[] = [];
  const outcome: Outcome = {
    rates: [],
    latencies: [],
    admitted: 0,
    secondsAbove: 0,
    settled: 0,
    dip: 0,
    peakLoad: 0,
  };
  /** Admitted and the capacity's worth, in the settled window and in the dip's second half. */
  const windows = {
    settled: { from: DIP.from / 2, to: DIP.from, admitted: 0, capacity: 0 },
    dip: { from: (DIP.from + DIP.to) / 2, to: DIP.to, admitted: 0, capacity: 0 },
  };
  for (let t = 1; t <= DURATION; t++) {
    model.setCapacity(t >= DIP.from && t < DIP.to ? CAPACITY / 2 : CAPACITY);
    const accrued = accrue(inlet, state, t);
    state = accrued.state;
    outcome.admitted += accrued.admit;
    for (let i = 0; i < accrued.admit; i++) {
      // A token claimed 1–3 s after the turn; a session of the mean length ± 50 %.
      ends.push(t + 1 + Math.floor(random() * 3) + sessionSeconds * (0.5 + random()));
    }
    let active = 0;
    for (let i = ends.length - 1; i >= 0; i--) {
      if (ends[i]! <= t) ends.splice(i, 1);
      else active += 1;
    }
    const second = model.record(t, active);
    if (second.latencyMs > TARGET_MS || second.errorRate > 0.01) outcome.secondsAbove += 1;
    outcome.peakLoad = Math.max(outcome.peakLoad, t < DIP.from ? active / CAPACITY : 0);
    for (const window of Object.values(windows)) {
      if (t >= window.from && t < window.to) {
        window.admitted += accrued.admit;
        window.capacity += model.capacity / sessionSeconds;
      }
    }
    if (controlDue(inlet, state, t)) {
      const reading = { ...model.report()!, at: t };
      state =
        controller === 'shipped'
          ? controlStep(inlet, state, reading, t)
          : {
              ...state,
              controlledAt: t,
              rate: Math.min(
                inlet.maxPerMinute,
                Math.max(inlet.minPerMinute, controller(state.rate, reading, inlet)),
              ),
            };
      outcome.rates.push([t / 60, state.rate / capacityPerMinute]);
      outcome.latencies.push([t / 60, reading.latencyMs]);
    }
  }
  outcome.settled = windows.settled.admitted / windows.settled.capacity;
  outcome.dip = windows.dip.admitted / windows.dip.capacity;
  return outcome;
}

const controllers: [string, Controller | 'shipped', string][] = [
  ['shipped', 'shipped', '#2563eb'],
  ['AIMD (+1 % of range, ×0.5)', aimd, '#d97706'],
  ['eager (+3 %, ×0.7)', eager, '#059669'],
];
const pct = (value: number) => `${(value * 100).toFixed(0)} %`;
const results = new Map<string, Outcome>();
for (const session of [60, 180]) {
  console.log(
    `\nsessions of ${session} s (capacity ${Math.round((60 * CAPACITY) / session)}/min, halved minutes 15–25)`,
  );
  console.log(
    'controller'.padEnd(38),
    'settled'.padStart(8),
    'in dip'.padStart(8),
    'peak load'.padStart(10),
    'above target'.padStart(14),
    'admitted'.padStart(9),
  );
  for (const [name, controller] of controllers) {
    const outcome = simulate(session, controller);
    results.set(`${name}@${session}`, outcome);
    console.log(
      name.padEnd(38),
      pct(outcome.settled).padStart(8),
      pct(outcome.dip).padStart(8),
      pct(outcome.peakLoad).padStart(10),
      `${outcome.secondsAbove} s`.padStart(14),
      String(outcome.admitted).padStart(9),
    );
  }
}

if (chartPath) {
  const svg = timeSeriesSvg({
    title:
      'Controllers on the proving ground’s origin model: sessions of 60 s, capacity halved minutes 15–25',
    xLabel: 'minutes',
    panels: [
      {
        title: 'Admission rate / capacity rate',
        yMax: 2,
        series: [
          {
            label: 'capacity',
            color: '#111827',
            dashed: true,
            steps: true,
            points: [
              [0, 1],
              [DIP.from / 60, 0.5],
              [DIP.to / 60, 1],
              [DURATION / 60, 1],
            ],
          },
          ...controllers.map(([name, , color]) => ({
            label: name,
            color,
            points: results.get(`${name}@60`)!.rates,
          })),
        ],
      },
      {
        title: 'Origin p95 read (ms)',
        yMax: TARGET_MS * 4,
        series: [
          {
            label: 'target',
            color: '#dc2626',
            dashed: true,
            points: [
              [0, TARGET_MS],
              [DURATION / 60, TARGET_MS],
            ],
          },
          ...controllers.map(([name, , color]) => ({
            label: name,
            color,
            points: results.get(`${name}@60`)!.latencies,
          })),
        ],
      },
    ],
  });
  writeFileSync(chartPath, svg);
  process.stderr.write(`chart written to ${chartPath}\n`);
}
