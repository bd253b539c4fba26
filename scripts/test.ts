/**
 * The test command: every `*.test.ts` under test/, run by Node's own test runner.
 * Extra arguments select files or pass runner flags, e.g. `npm test -- test/queue-core`.
 * Afterwards `test/logs/scan.ts` reads every log line those tests made the code write and
 * fails on any secret in them (`test/support/logs.ts`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function collect(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => (name === 'node_modules' ? [] : collect(join(path, name))));
}

const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith('--'));
const paths = args.filter((arg) => !arg.startsWith('--'));
const files = (paths.length > 0 ? paths : ['test']).flatMap(collect);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Every log line the tests make the code write lands here; the scan then reads them all.
const capture = mkdtempSync(join(tmpdir(), 'anteroom-logs-'));
const env = { ...process.env, ANTEROOM_LOG_CAPTURE: capture };
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    // The usual report, then each suite's time (scripts/suite-times.ts).
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/suite-times.ts',
    '--test-reporter-destination=stdout',
    ...flags,
    ...files,
  ],
  { stdio: 'inherit', env },
);
const scan = spawnSync(process.execPath, ['--test', 'test/logs/scan.ts'], { stdio: 'inherit', env });
rmSync(capture, { recursive: true, force: true });
process.exit(result.status === 0 ? (scan.status ?? 1) : (result.status ?? 1));
