/**
 * Secrets in logs. A Redis error used to be logged with the failed command's arguments (ioredis
 * hangs them on the error): the visitor cookie, the idempotency key, the request id and the
 * client address went into the log of a 503. A generated admin key was written into the JSON
 * log. Reproduced on a real `anteroom serve` over a Redis that answers the enqueue with an error,
 * and on the real command.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type HostileTarget, startHostileTarget, TARGET_EVENT } from '../support/hostile-target.ts';
import { captureLogText, type LogLine, testLogger } from '../support/logs.ts';
import { freePort, redisSkipReason } from '../support/redis.ts';

const BIN = fileURLToPath(new URL('../../bin/anteroom.js', import.meta.url));

describe('a Redis error during an enqueue', { skip: redisSkipReason() }, () => {
  let target: HostileTarget;
  const lines: LogLine[] = [];
  before(async () => {
    target = await startHostileTarget({
      raw: { limits: { trustProxy: 1 } },
      logger: testLogger({ lines }),
    });
  });
  after(() => target?.close());

  it('is logged without the command arguments: no cookie, idempotency key, request id or address', async () => {
    const client = '203.0.113.77';
    // A visitor cookie the server signed (a made-up one would be ignored, not sent to Redis).
    const issued = await fetch(`${target.base}/assign_queue_num`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': client },
      body: JSON.stringify({ event_id: TARGET_EVENT }),
    });
    await issued.arrayBuffer();
    const visitorId = (issued.headers.getSetCookie().find((line) => line.startsWith('anteroom_vid=')) ?? '')
      .split(';')[0]!
      .slice('anteroom_vid='.length);
    assert.match(visitorId, /^[0-9a-f]{32}\./);
    // The event's counters are not a hash any more: the enqueue script fails with WRONGTYPE.
    await target.inspector.set(`ar:{${TARGET_EVENT}}:c`, 'not a hash');
    const idempotencyKey = 'd3b07384-d113-4ec4-9a5e-2f8c1b7a6e90';
    const variants: Record<string, string>[] = [
      { Cookie: `anteroom_vid=${visitorId}` },
      { 'Idempotency-Key': idempotencyKey },
    ];
    for (const headers of variants) {
      const answer = await fetch(`${target.base}/assign_queue_num`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': client, ...headers },
        body: JSON.stringify({ event_id: TARGET_EVENT }),
      });
      assert.equal(answer.status, 503);
      await answer.arrayBuffer();
    }
    const outage = lines.filter((line) => line.msg?.startsWith('store unavailable'));
    assert.ok(outage.length >= 1, 'the outage is logged');
    const text = JSON.stringify(lines);
    assert.match(text, /WRONGTYPE/, 'the error itself is kept');
    for (const secret of [visitorId, visitorId.split('.')[0]!, idempotencyKey, client]) {
      assert.equal(text.includes(secret), false, `${secret} is not in the log`);
    }
    assert.doesNotMatch(
      text,
      /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/,
      'no request id',
    );
  });
});

describe('anteroom serve without an admin key', () => {
  it('shows the key it generated once on standard error, and never in the log', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anteroom-admin-key-'));
    const [port, adminPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', String(port), '--admin-port', String(adminPort)],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOST: '127.0.0.1',
          ANTEROOM_PUBLIC_URL: `http://localhost:${port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`did not start: ${stdout}${stderr}`)), 50_000);
        // The two pipes arrive in either order: started once both lines are in, whichever is last.
        const started = () => {
          if (stdout.includes('Anteroom is running') && stderr.includes('Admin key')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          started();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          started();
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stdout}${stderr}`)));
      });
      const key = /Admin key[^:]*: (\S+)/.exec(stderr)?.[1] ?? '';
      assert.ok(key.length >= 22, stderr);
      assert.equal(stderr.split(key).length - 1, 1, 'shown once');
      assert.equal(stdout.includes(key), false, 'not in the JSON log');
      const admin = await fetch(`http://127.0.0.1:${adminPort}/events`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      assert.equal(admin.status, 200, 'the key shown is the one the admin API takes');
    } finally {
      captureLogText(stdout);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
