/**
 * Waiting for an `anteroom serve` child process to say it runs: its lines are collected into
 * `output` (JSON log lines also go to the suite's log scan), and the promise settles when it
 * logs "Anteroom is running", exits, or stays silent past `timeoutMs` (then it is killed, so no
 * server outlives the test).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { captureLogText } from './logs.ts';

/**
 * A configuration file for `anteroom serve` children sharing one Redis: these events, a keys
 * file beside it (every child signs with the same keys), no per-client enqueue budget.
 */
export async function serveConfigFile(events: readonly Record<string, unknown>[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'anteroom-serve-'));
  const keysPath = join(dir, 'keys.json');
  writeFileSync(keysPath, JSON.stringify(await createKeysDocument('ES256')), { mode: 0o600 });
  const configPath = join(dir, 'anteroom.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      publicUrl: 'http://127.0.0.1',
      keys: { type: 'file', path: keysPath },
      limits: { enqueuePerClientPerMinute: 0 },
      events,
    }),
  );
  return configPath;
}

export function untilServing(child: ChildProcess, output: string[], timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not start: ${output.join('\n')}`));
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (line.startsWith('{')) captureLogText(line);
        if (line.includes('Anteroom is running')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${output.join('\n')}`));
    });
  });
}
