/**
 * A test reporter that prints, after the run, how long each suite took: the time of every test
 * file, summed by the folder under test/ it belongs to (queue-core, provider, lambda, browser…).
 * Files run two at a time, so the sums add up to more than the wall-clock time of the run.
 */
import { relative, sep } from 'node:path';

interface TestEvent {
  type: string;
  data: { nesting?: number; file?: string; details?: { duration_ms?: number } };
}

function suiteOf(file: string): string {
  const parts = relative(process.cwd(), file).split(sep);
  return parts[0] === 'test' && parts.length > 2 ? (parts[1] as string) : parts.slice(0, -1).join('/') || '.';
}

export default async function* suiteTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const files = new Map<string, number>();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || file === undefined) continue;
    files.set(file, (files.get(file) ?? 0) + (details?.duration_ms ?? 0));
  }
  const suites = new Map<string, { ms: number; files: number }>();
  for (const [file, ms] of files) {
    const suite = suites.get(suiteOf(file)) ?? { ms: 0, files: 0 };
    suite.ms += ms;
    suite.files += 1;
    suites.set(suiteOf(file), suite);
  }
  const rows = [...suites].sort((a, b) => b[1].ms - a[1].ms);
  yield "\nsuite times (time in each suite's tests, summed over its files; files run two at a time):\n";
  for (const [name, { ms, files: count }] of rows) {
    yield `  ${name.padEnd(14)} ${(ms / 1000).toFixed(1).padStart(7)} s  ${String(count).padStart(3)} files\n`;
  }
}
