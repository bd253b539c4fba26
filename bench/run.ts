/**
 * `npm run bench [-- name …]`: runs the benchmarks one after another, each in its own process
 * (default: every `bench/*.ts` but this runner, in name order; a new bench file is picked up
 * without touching this list). Each prints its figures as ratios against a baseline measured in
 * the same run; none asserts anything. The exit code is 1 when a bench failed to run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const BENCHES = readdirSync(new URL('./', import.meta.url))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'run.ts')
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !BENCHES.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : BENCHES) {
  console.log(`\n=== bench/${name}.ts`);
  const run = spawnSync(process.execPath, [new URL(`./${name}.ts`, import.meta.url).pathname], {
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exitCode = 1;
}
