/**
 * The adaptive inlet against fixed periodic inlets, in the proving ground (issue 20), full size.
 *
 *   node bench/adaptive-inlet.ts [--quick] [--chart docs/adaptive-inlet.svg]
 *
 * Anteroom's real apps on loopback in front of the proving ground's HTTP origin (its p95
 * reaches the 150 ms target at `capacity` sessions), a crowd joining at 1.5× what the origin
 * can take, on a controlled clock (no run waits on the wall clock; every figure is the same on
 * any machine). The capacity halves for the middle part of the run and comes back. Runs, each
 * from an empty store:
 *   - the adaptive inlet reading the origin's Prometheus API, and again with pushed readings;
 *   - a periodic inlet at exactly the capacity: the best an operator could have guessed;
 *   - a periodic inlet at twice it: a guess 2× too high;
 *   - a periodic inlet at half of it: guessed for the dip;
 *   - the largest periodic rate (to 5 % of capacity) that keeps the origin above its target no
 *     longer than the adaptive inlet did: what a fixed inlet must give up to be as safe.
 * It prints visitors admitted (and the ratio to the perfect guess, measured in the same run),
 * the time the origin spent above its target, and the adaptive inlet's own figures: settling
 * error, overshoot, back-off, recovery. `--chart` writes the SVG of rate, latency and capacity
 * over time. Not a test: it asserts nothing.
 */
import { writeFileSync } from 'node:fs';
import {
  admittedShare,
  intervalsToBackOff,
  overshoot,
  reachedShare,
  secondsAboveTarget,
} from '../test/support/proving-ground/figures.ts';
import {
  type ProvingGroundOptions,
  type ProvingGroundResult,
  runProvingGround,
} from '../test/support/proving-ground/run.ts';
import { type Series, timeSeriesSvg } from './svg-chart.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const chartPath = args.includes('--chart') ? args[args.indexOf('--chart') + 1] : undefined;

/** Full size: 400 sessions of a minute (400 admissions a minute), 40 minutes. */
const SIZE = quick
  ? { capacity: 60, sessionSeconds: 20, duration: 900, dipFrom: 300, dipTo: 600 }
  : { capacity: 400, sessionSeconds: 60, duration: 2400, dipFrom: 900, dipTo: 1500 };
const CAPACITY_PER_MINUTE = (60 * SIZE.capacity) / SIZE.sessionSeconds;
const TARGET_MS = 150;

const base: Omit<ProvingGroundOptions, 'inlet'> = {
  capacity: SIZE.capacity,
  baseLatencyMs: 50,
  latencyTargetMs: TARGET_MS,
  sessionSeconds: SIZE.sessionSeconds,
  arrivalsPerMinute: CAPACITY_PER_MINUTE * 1.5,
  durationSeconds: SIZE.duration,
  capacitySchedule: [
    { at: SIZE.dipFrom, capacity: SIZE.capacity / 2 },
    { at: SIZE.dipTo, capacity: SIZE.capacity },
  ],
};

const adaptiveInlet = {
  type: 'adaptive',
  minPerMinute: Math.round(CAPACITY_PER_MINUTE / 20),
  maxPerMinute: CAPACITY_PER_MINUTE * 4,
  startPerMinute: Math.round(CAPACITY_PER_MINUTE / 3),
  intervalSeconds: 10,
  target: { latencyMs: TARGET_MS, errorRate: 0.01 },
};

/** A periodic inlet at `share` of the capacity rate: a tick every 6 s. */
function periodic(share: number) {
  return {
    type: 'periodic',
    intervalSeconds: 6,
    incrementBy: Math.max(1, Math.round((share * CAPACITY_PER_MINUTE * 6) / 60)),
  };
}

interface Row {
  name: string;
  result: ProvingGroundResult;
  seconds: number;
}

const rows: Row[] = [];
async function run(
  name: string,
  options: Partial<ProvingGroundOptions> & { inlet: Record<string, unknown> },
) {
  const started = Date.now();
  const result = await runProvingGround({ ...base, ...options });
  const row = { name, result, seconds: (Date.now() - started) / 1000 };
  rows.push(row);
  process.stderr.write(`  ${name}: ${result.admitted} admitted (${row.seconds.toFixed(0)} s)\n`);
  return result;
}

process.stderr.write(
  `proving ground: capacity ${SIZE.capacity} sessions of ${SIZE.sessionSeconds} s (${CAPACITY_PER_MINUTE} a minute), ` +
    `halved ${SIZE.dipFrom}–${SIZE.dipTo} s of ${SIZE.duration} s\n`,
);
const adaptive = await run('adaptive, prometheus signal', { inlet: adaptiveInlet, signal: 'prometheus' });
await run('adaptive, push signal', { inlet: adaptiveInlet, signal: 'push' });
const perfect = await run('fixed at the capacity (perfect guess)', { inlet: periodic(1) });
await run('fixed at 2× the capacity', { inlet: periodic(2) });
await run('fixed at half the capacity', { inlet: periodic(0.5) });

// The largest fixed share, to 5 %, no longer above target than the adaptive inlet.
const budget = secondsAboveTarget(adaptive);
let low = 0.05;
let high = 1;
let best: ProvingGroundResult | null = null;
while (high - low > 0.05 + 1e-9) {
  const share = Math.round(((low + high) / 2) * 20) / 20;
  const result = await run(`fixed at ${share.toFixed(2)}× (search)`, { inlet: periodic(share) });
  if (secondsAboveTarget(result) <= budget) {
    low = share;
    best = result;
  } else high = share;
}

// ---- report -----------------------------------------------------------------------------------

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
console.log(`\nvisitors admitted and time above the ${TARGET_MS} ms target (${SIZE.duration} s run)`);
console.log('run'.padEnd(42), 'admitted'.padStart(9), 'vs perfect'.padStart(11), 'above target'.padStart(20));
for (const row of rows) {
  const above = secondsAboveTarget(row.result);
  console.log(
    row.name.padEnd(42),
    String(row.result.admitted).padStart(9),
    (row.result.admitted / perfect.admitted).toFixed(2).padStart(11),
    `${above} s (${percent(above / SIZE.duration)})`.padStart(20),
  );
}
if (best) console.log(`safest fixed rate as safe as the adaptive inlet: ${best.admitted} admitted`);

const full = { from: SIZE.dipFrom / 2, to: SIZE.dipFrom };
const dip = { from: (SIZE.dipFrom + SIZE.dipTo) / 2, to: SIZE.dipTo };
const after = { from: SIZE.dipTo + (SIZE.duration - SIZE.dipTo) / 2, to: SIZE.duration + 1 };
console.log('\nthe adaptive inlet (prometheus signal)');
for (const [label, window] of [
  ['full capacity, second half', full],
  ['half capacity, second half', dip],
  ['recovered, second half', after],
] as const) {
  const share = admittedShare(adaptive.rows, window);
  console.log(`  settling: ${label}: admitted ${percent(share)} of capacity (error ${percent(share - 1)})`);
}
const peak = overshoot(adaptive.rows, { from: 0, to: SIZE.dipFrom });
console.log(
  `  overshoot before the dip: rate ${percent(peak.rate)} of capacity, sessions ${percent(peak.load)}`,
);
console.log(
  `  back-off after the capacity halved: ${intervalsToBackOff(adaptive, SIZE.dipFrom, SIZE.dipTo)} interval(s)`,
);
const firstUp = reachedShare(adaptive.rows, 0, 0.8);
const backUp = reachedShare(adaptive.rows, SIZE.dipTo, 0.8);
console.log(`  from the start rate to 80 % of capacity: ${firstUp ?? 'never'} s`);
console.log(`  back to 80 % after recovery: ${backUp === null ? 'never' : `${backUp - SIZE.dipTo} s`}`);
console.log(
  `  requests of the crowd that failed: ${rows.reduce((sum, row) => sum + row.result.failures, 0)}`,
);

// ---- chart ------------------------------------------------------------------------------------

if (chartPath) {
  const every = 10;
  const bucket = (
    result: ProvingGroundResult,
    pick: (row: ProvingGroundResult['rows'][number]) => number,
  ) => {
    const points: [number, number][] = [];
    for (let start = 0; start < result.rows.length; start += every) {
      const slice = result.rows.slice(start, start + every);
      points.push([
        slice[slice.length - 1]!.t / 60,
        slice.reduce((sum, row) => sum + pick(row), 0) / slice.length,
      ]);
    }
    return points;
  };
  const capacity: Series = {
    label: 'capacity (admissions/min)',
    color: '#111827',
    dashed: true,
    steps: true,
    points: adaptive.rows
      .filter((_row, i) => i % every === 0)
      .map((row) => [row.t / 60, row.capacityPerMinute]),
  };
  const svg = timeSeriesSvg({
    title: `Adaptive inlet in the proving ground: capacity ${CAPACITY_PER_MINUTE}/min, halved from minute ${SIZE.dipFrom / 60} to ${SIZE.dipTo / 60}`,
    xLabel: 'minutes',
    panels: [
      {
        title: 'Admission rate (a minute)',
        series: [
          capacity,
          { label: 'adaptive rate', color: '#2563eb', points: bucket(adaptive, (row) => row.ratePerMinute) },
          {
            label: 'fixed, perfect guess',
            color: '#9ca3af',
            points: bucket(perfect, (row) => row.ratePerMinute),
          },
        ],
      },
      {
        title: 'Origin p95 latency (ms), 10 s means',
        yMax: TARGET_MS * 4,
        series: [
          {
            label: 'target',
            color: '#dc2626',
            dashed: true,
            points: [
              [0, TARGET_MS],
              [SIZE.duration / 60, TARGET_MS],
            ],
          },
          { label: 'adaptive', color: '#2563eb', points: bucket(adaptive, (row) => row.latencyMs) },
          {
            label: 'fixed, perfect guess',
            color: '#9ca3af',
            points: bucket(perfect, (row) => row.latencyMs),
          },
        ],
      },
      {
        title: 'Sessions on the origin',
        series: [
          {
            label: 'capacity (sessions at the target)',
            color: '#111827',
            dashed: true,
            steps: true,
            points: capacity.points.map(([t, perMinute]) => [t, (perMinute * SIZE.sessionSeconds) / 60]),
          },
          { label: 'adaptive', color: '#2563eb', points: bucket(adaptive, (row) => row.active) },
          { label: 'fixed, perfect guess', color: '#9ca3af', points: bucket(perfect, (row) => row.active) },
        ],
      },
    ],
  });
  writeFileSync(chartPath, svg);
  process.stderr.write(`chart written to ${chartPath}\n`);
}
