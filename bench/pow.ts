/**
 * Entry challenge benchmark: `node bench/pow.ts` (or `npm run bench -- pow`).
 *
 * How fast a visitor's browser solves the proof of work (API.md section 6), so an operator can
 * choose a difficulty. Measured in one run:
 *   (a) Node's native SHA-256 (`node:crypto`) on `<prefix>:<nonce>` strings — the baseline, what
 *       a bot without a browser gets on this machine's CPU;
 *   (b) the waiting page's own solver (`provider/pages/assets/pow-worker.js`) run by Node;
 *   (c) the same solver in a Web Worker in Chromium (Debian's, through playwright-core): a
 *       desktop on this machine's CPU;
 *   (c') the same solver on the page's main thread, and (d) there with Chromium's CPU throttling
 *       (DevTools protocol `Emulation.setCPUThrottlingRate`, rate 4 and 6: DevTools' mid-tier
 *       and low-end mobile presets) — a phone-class CPU emulated, not a phone. The throttling
 *       slows the main thread only, not workers, hence (d) there; (c) ≈ (c') shows the two alike.
 * Prints hashes per second and each ratio to (a), then the expected and 95th-percentile solve
 * time per difficulty (2^d attempts on average; the number of attempts is geometric, so 5% of
 * visitors need 3× the mean or more). Not a test: nothing here fails on a number.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';
import { chromium } from 'playwright-core';

const SECONDS = Number(process.env.SECONDS ?? 3);
const WORKER_SOURCE = readFileSync(
  new URL('../provider/pages/assets/pow-worker.js', import.meta.url),
  'utf8',
);
/** A prefix of the length the server issues (54 characters, base64url). */
const PREFIX = randomBytes(40).toString('base64url');
/** Never reached in the measured time: the solver runs until stopped. */
const UNREACHABLE = 60;
const THROTTLES = [4, 6];
const DIFFICULTIES = [8, 12, 16, 18, 20, 22, 24];

function nodeNative(): number {
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < SECONDS * 1000) {
    for (let i = 0; i < 10_000; i++)
      createHash('sha256')
        .update(`${PREFIX}:${count + i}`)
        .digest();
    count += 10_000;
  }
  return count / ((performance.now() - start) / 1000);
}

/** The page's worker, run by Node in a context whose postMessage stops it after `SECONDS`. */
function nodeWorkerSolver(): number {
  let tried = 0;
  const start = performance.now();
  const stop = new Error('stop');
  const context = vm.createContext({
    TextEncoder,
    self: {
      addEventListener: (_type: string, listener: (message: { data: unknown }) => void) => {
        context['listener'] = listener;
      },
    },
    postMessage: (message: { tried: number }) => {
      tried = message.tried;
      if (performance.now() - start > SECONDS * 1000) throw stop;
    },
  });
  vm.runInContext(WORKER_SOURCE, context);
  try {
    (context['listener'] as (message: { data: unknown }) => void)({
      data: { prefix: PREFIX, difficulty: UNREACHABLE },
    });
  } catch (error) {
    if (error !== stop) throw error;
  }
  return tried / ((performance.now() - start) / 1000);
}

/**
 * Hashes per second in Chromium: the worker, and the same solver on the page's main thread with
 * the CPU throttled `rate` times (1: none). Chromium's throttling (`Emulation.setCPUThrottlingRate`)
 * slows the page's main thread only, not its workers, so the phone-class figures run the
 * solver's code there; (c) against (c') shows a worker and the main thread run it alike.
 */
async function chromiumRates(rates: number[]): Promise<{ worker: number; mainThread: number[] }> {
  const server = createServer((req, res) => {
    if (req.url === '/pow-worker.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(WORKER_SOURCE);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>pow bench</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const options = { seconds: SECONDS, prefix: PREFIX, difficulty: UNREACHABLE, source: WORKER_SOURCE };
  try {
    const page = await browser.newPage();
    await page.goto(base);
    const worker = await page.evaluate(
      ({ seconds, prefix, difficulty }) =>
        new Promise<number>((resolve) => {
          const solver = new Worker('/pow-worker.js');
          let first: { at: number; tried: number } | null = null;
          solver.onmessage = (message) => {
            const now = performance.now();
            // The first report starts the clock (the worker's start-up and warm-up excluded).
            if (first === null) {
              first = { at: now, tried: message.data.tried };
              return;
            }
            if (now - first.at >= seconds * 1000) {
              solver.terminate();
              resolve((message.data.tried - first.tried) / ((now - first.at) / 1000));
            }
          };
          solver.postMessage({ prefix, difficulty });
        }),
      options,
    );
    await page.close();
    const mainThread: number[] = [];
    for (const rate of rates) {
      const throttled = await browser.newPage();
      const session = await throttled.context().newCDPSession(throttled);
      await throttled.goto(base);
      await session.send('Emulation.setCPUThrottlingRate', { rate });
      mainThread.push(
        await throttled.evaluate(({ seconds, prefix, difficulty, source }) => {
          // The worker's code with its two globals supplied by the page.
          let listener: ((message: { data: unknown }) => void) | null = null;
          let first: { at: number; tried: number } | null = null;
          let result = 0;
          const stop = new Error('stop');
          const shimSelf = { addEventListener: (_type: string, fn: typeof listener) => (listener = fn) };
          const post = (message: { tried: number }) => {
            const now = performance.now();
            if (first === null) first = { at: now, tried: message.tried };
            else if (now - first.at >= seconds * 1000) {
              result = (message.tried - first.tried) / ((now - first.at) / 1000);
              throw stop;
            }
          };
          new Function('self', 'postMessage', source)(shimSelf, post);
          try {
            (listener as unknown as (message: { data: unknown }) => void)({ data: { prefix, difficulty } });
          } catch (error) {
            if (error !== stop) throw error;
          }
          return result;
        }, options),
      );
      await throttled.close();
    }
    return { worker, mainThread };
  } finally {
    await browser.close();
    server.close();
  }
}

function format(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${(seconds / 60).toFixed(1)} min`;
}

const native = nodeNative();
const solverInNode = nodeWorkerSolver();
const { worker: desktop, mainThread } = await chromiumRates([1, ...THROTTLES]);
const phones = mainThread.slice(1);
const rows: Array<[string, number]> = [
  ['(a) Node, node:crypto (baseline)', native],
  ['(b) Node, the page solver', solverInNode],
  ['(c) Chromium, Web Worker, this CPU', desktop],
  ["(c') Chromium, main thread, this CPU", mainThread[0] ?? 0],
  ...THROTTLES.map((rate, i): [string, number] => [
    `(d) Chromium, main thread, CPU throttled ${rate}x`,
    phones[i] ?? 0,
  ]),
];
console.log(`proof of work: hashes per second (${SECONDS} s each, prefix of ${PREFIX.length} characters)`);
for (const [label, perSecond] of rows) {
  console.log(
    `  ${label.padEnd(50)} ${Math.round(perSecond).toLocaleString('en').padStart(12)}/s  x${(perSecond / native).toFixed(2)}`,
  );
}
console.log('\nsolve time per difficulty: mean (95th percentile = 3x the mean)');
const columns = [
  ['Node bot (a)', native],
  ['desktop (c)', desktop],
  ...THROTTLES.map((rate, i) => [`phone-class ${rate}x (d)`, phones[i] ?? 0]),
] as Array<[string, number]>;
console.log(`  ${'bits'.padEnd(6)}${columns.map(([label]) => label.padStart(24)).join('')}`);
for (const bits of DIFFICULTIES) {
  const cells = columns.map(([, perSecond]) => {
    const mean = 2 ** bits / perSecond;
    return `${format(mean)} (${format(3 * mean)})`.padStart(24);
  });
  console.log(`  ${String(bits).padEnd(6)}${cells.join('')}`);
}
