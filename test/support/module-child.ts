/** An ES module's source run in a fresh Node process: its exit code and its trimmed stdout. */
import { spawn } from 'node:child_process';

export function runModule(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out: out.trim() }));
  });
}
