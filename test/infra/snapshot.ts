/**
 * One normalised template snapshot. Normalising removes what changes without a change of meaning
 * (asset hashes, the bootstrap version rule), so a diff means the infrastructure changed.
 * `UPDATE_SNAPSHOTS=1` rewrites the file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Json } from './synth.ts';

const SNAPSHOT_DIR = fileURLToPath(new URL('./__snapshots__/', import.meta.url));
const BIOME = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));

export function normalise(template: Json): Json {
  const text = JSON.stringify(template)
    // Asset hashes (S3 keys, asset paths) change with the handler code, not with the infrastructure.
    .replace(/[0-9a-f]{64}/g, '<hash>');
  const copy = JSON.parse(text);
  delete copy.Parameters?.BootstrapVersion;
  delete copy.Rules;
  return copy;
}

export function expectSnapshot(name: string, template: Json): void {
  const path = `${SNAPSHOT_DIR}${name}.json`;
  const actual = `${JSON.stringify(normalise(template), null, 2)}\n`;
  if (process.env['UPDATE_SNAPSHOTS'] === '1') {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    writeFileSync(path, actual);
    // Keep `npm run lint` clean: the file is stored the way biome formats JSON.
    spawnSync(BIOME, ['format', '--write', path], { stdio: 'ignore' });
    return;
  }
  assert.ok(existsSync(path), `no snapshot at ${path}: run with UPDATE_SNAPSHOTS=1 to create it`);
  // Compared as data, so reformatting the file (biome format) is not a change.
  assert.deepEqual(
    JSON.parse(actual),
    JSON.parse(readFileSync(path, 'utf8')),
    `template differs from ${path} (UPDATE_SNAPSHOTS=1 to accept)`,
  );
}
