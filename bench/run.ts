/**
 * `npm run bench [-- name …]`: runs the benchmarks one after another, each in its own process
 * (default: all of them). Each prints its figures as ratios against a baseline measured in the
 * same run; none asserts anything.
 */
import { spawnSync } from 'node:child_process';

const BENCHES = ['lambda-cold', 'redis-memory', 'redis-join', 'server', 'authorizer', 'gate'] as const;

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(BENCHES as readonly string[]).includes(name));
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
