/**
 * Key rotation for operators: `anteroom keys list|rotate|remove`, and a running server that
 * picks up a rotation made elsewhere on its key source.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../provider/config/server-config.ts';
import { keysCommand } from '../../provider/server/keys-command.ts';
import { startServer } from '../../provider/server/server.ts';
import { loadKeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { testLogger } from '../support/logs.ts';

const directory = mkdtempSync(join(tmpdir(), 'anteroom-keys-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function configWith(path: string, oidcClients: unknown[] = []) {
  return loadConfig({
    raw: {
      listen: { port: 0, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: ['keys-test-key-AGfNLBkaYMXYrNeCEkJ32s'],
      keys: { type: 'file', path },
      events: [{ id: 'main' }],
      oidc: { clients: oidcClients },
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

    // `rotate oidc`: the RS256 key of ID tokens (and derived cookie keys), the admission key untouched.
    const oidc = await run(config, 'rotate', 'oidc');
    assert.equal(oidc.code, 0);
    const afterOidc = await loadKeyRing(config.keys);
    const freshRsa = afterOidc.summary()[0]!;
    assert.equal(freshRsa.alg, 'RS256');
    assert.match(oidc.output, new RegExp(`rotated: ${freshRsa.kid} \\(RS256\\) signs from `));
    assert.match(oidc.output, new RegExp(`${rs256}\\s+RS256\\s+retired\\s+\\S+\\s+signing`));
    assert.match(oidc.output, new RegExp(`${fresh.kid}\\s+ES256\\s+active`));

    const early = await run(config, 'remove', es256);
    assert.equal(early.code, 1);
    assert.match(early.output, /still signs/);
    assert.equal((await run(config, 'remove', freshRsa.kid)).code, 1, 'an active key is never removed');

    for (const output of [listed.output, rotated.output, oidc.output, early.output]) {
      const text = output.toLowerCase();
      for (const secret of afterOidc.toDocument().keys.map((key) => (key as { d?: string }).d ?? '')) {
        assert.ok(!text.includes(secret.toLowerCase()), 'no private key material');
      }
    }
  });

  it('refuses a bad command line with the usage (exit 2)', async () => {
    const config = configWith(join(directory, 'usage.json'));
    for (const args of [
      [],
      ['bogus'],
      ['remove'],
      ['list', 'extra'],
      ['remove', 'a', 'b'],
      ['rotate', 'es256'],
      ['rotate', 'oidc', 'x'],
    ]) {
      const result = await run(config, ...args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.output, /^Usage: anteroom keys/);
    }
  });
});

/** A server on a fresh key file that re-reads it every 50 ms, and its log lines. */
async function startReloadingServer(config: ReturnType<typeof configWith>) {
  await loadKeyRing(config.keys);
  const lines: { msg: string }[] = [];
  const logger = testLogger({ level: 'info', lines: lines });
  return { server: await startServer(config, { logger, keyReloadMs: 50 }), lines };
}

describe('a running server and a rotation made elsewhere', () => {
  it('publishes the new key after its next reload', async () => {
    const path = join(directory, 'server.json');
    const config = configWith(path);
    const { server, lines } = await startReloadingServer(config);
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

  it('rebuilds its OIDC provider with a rotated OIDC key, without a restart', async () => {
    const path = join(directory, 'oidc.json');
    const client = {
      client_id: 'rp',
      client_secret: 'rp-secret-0123456789abcdef0123456789',
      redirect_uris: ['https://rp.example.test/callback'],
      event_id: 'main',
    };
    const config = configWith(path, [client]);
    const { server, lines } = await startReloadingServer(config);
    try {
      const kids = async () =>
        (
          (await (await fetch(`${server.publicListenUrl}/oidc/jwks`)).json()) as { keys: { kid: string }[] }
        ).keys.map((key) => key.kid);
      const signing = (await kids())[0];
      assert.equal(signing, server.deps.keys.signingKey('RS256').kid);
      assert.equal((await run(config, 'rotate', 'oidc')).code, 0);
      const rotated = (await loadKeyRing(config.keys)).summary()[0]!;
      assert.equal(rotated.alg, 'RS256');
      let now = await kids();
      for (let attempt = 0; attempt < 100 && !now.includes(rotated.kid); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        now = await kids();
      }
      assert.ok(now.includes(rotated.kid), 'the rotated OIDC key is published without a restart');
      assert.equal(now[0], signing, 'the previous key signs until the publish delay has passed');
      assert.ok(lines.some((line) => line.msg === 'oidc provider rebuilt with the current keys'));
    } finally {
      await server.close();
    }
  });
});
