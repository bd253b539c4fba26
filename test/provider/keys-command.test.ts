/**
 * Key rotation for operators: `anteroom keys list|rotate|remove`, and a running server that
 * picks up a rotation made elsewhere on its key source.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../provider/config.ts';
import { keysCommand } from '../../provider/keys-command.ts';
import { startServer } from '../../provider/server.ts';
import { loadKeyRing } from '../../queue-core/keys.ts';

const directory = mkdtempSync(join(tmpdir(), 'anteroom-keys-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function configWith(path: string) {
  return loadConfig({
    raw: {
      listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: ['keys-test-key-0123456789'],
      keys: { type: 'file', path },
      events: [{ id: 'main' }],
    },
    env: {},
  });
}

async function run(config: ReturnType<typeof configWith>, ...args: string[]) {
  let output = '';
  const code = await keysCommand(config, args, (text) => {
    output += text;
  });
  return { code, output };
}

describe('anteroom keys', () => {
  it('lists, rotates and removes keys, printing no key material', async () => {
    const path = join(directory, 'cli.json');
    const config = configWith(path);
    const listed = await run(config, 'list');
    assert.equal(listed.code, 0);
    const ring = await loadKeyRing(config.keys);
    const [es256, rs256] = [ring.signingKey().kid, ring.signingKey('RS256').kid];
    assert.match(listed.output, new RegExp(`${es256}\\s+ES256\\s+active\\s+\\S+\\s+signing`));
    assert.match(listed.output, new RegExp(`${rs256}\\s+RS256\\s+active\\s+\\S+\\s+signing`));

    const rotated = await run(config, 'rotate');
    assert.equal(rotated.code, 0);
    const after = await loadKeyRing(config.keys);
    const fresh = after.summary()[0]!;
    assert.equal(fresh.alg, 'ES256');
    assert.notEqual(fresh.kid, es256);
    assert.match(rotated.output, new RegExp(`rotated: ${fresh.kid} \\(ES256\\) signs from `));
    // The old key is retired but still signs until every process publishes the new one.
    assert.match(rotated.output, new RegExp(`${es256}\\s+ES256\\s+retired\\s+\\S+\\s+signing`));

    const early = await run(config, 'remove', es256);
    assert.equal(early.code, 1);
    assert.match(early.output, /still signs/);
    assert.equal((await run(config, 'remove', rs256)).code, 1, 'an active key is never removed');

    for (const output of [listed.output, rotated.output, early.output]) {
      const text = output.toLowerCase();
      for (const secret of after.toDocument().keys.map((key) => (key as { d?: string }).d ?? '')) {
        assert.ok(!text.includes(secret.toLowerCase()), 'no private key material');
      }
    }
  });

  it('refuses a bad command line with the usage (exit 2)', async () => {
    const config = configWith(join(directory, 'usage.json'));
    for (const args of [[], ['bogus'], ['remove'], ['list', 'extra'], ['remove', 'a', 'b']]) {
      const result = await run(config, ...args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.output, /^Usage: anteroom keys/);
    }
  });
});

describe('a running server and a rotation made elsewhere', () => {
  it('publishes the new key after its next reload', async () => {
    const path = join(directory, 'server.json');
    const config = configWith(path);
    await loadKeyRing(config.keys);
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const server = await startServer(config, { logger, keyReloadMs: 50 });
    try {
      const kids = async () =>
        (
          (await (await fetch(`${server.publicListenUrl}/.well-known/jwks.json`)).json()) as {
            keys: { kid: string }[];
          }
        ).keys.map((key) => key.kid);
      const before = await kids();
      assert.equal((await run(config, 'rotate')).code, 0);
      const rotated = (await loadKeyRing(config.keys)).summary()[0]!.kid;
      assert.ok(!before.includes(rotated));
      let now = before;
      for (let attempt = 0; attempt < 100 && !now.includes(rotated); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        now = await kids();
      }
      assert.ok(now.includes(rotated), 'the rotated key is published without a restart');
      // Tokens are still signed with the key every process already published.
      const token = await fetch(`${server.publicListenUrl}/public_key?event_id=main`);
      assert.equal(((await token.json()) as { kid: string }).kid, server.deps.keys.signingKey().kid);
      assert.notEqual(server.deps.keys.signingKey().kid, rotated);
      assert.ok(lines.some((line) => line.msg === 'signing keys reloaded'));

      // An unreadable source: the server keeps its keys, and says so once.
      writeFileSync(path, 'not json');
      const warnings = () => lines.filter((line) => line.msg.startsWith('could not reload the signing keys'));
      for (let attempt = 0; attempt < 100 && warnings().length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Several more reloads fail meanwhile; none of them logs again.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok((await kids()).includes(rotated));
      assert.equal(warnings().length, 1);
    } finally {
      await server.close();
    }
  });
});
