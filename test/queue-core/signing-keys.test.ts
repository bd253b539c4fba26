import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, jwtVerify, SignJWT } from 'jose';
import { AnteroomError } from '../../queue-core/errors.ts';
import { createKeysDocument, type KeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KEY_PUBLISH_SECONDS, KeyRing, loadKeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import type { SecretsManagerLike } from '../../queue-core/signing-keys/secrets-manager.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const PUBLIC_MEMBERS = new Set(['kty', 'alg', 'kid', 'use', 'n', 'e', 'crv', 'x', 'y']);

let directory: string;
/** One generated document (ES256 + RS256) shared by the env and Secrets Manager tests. */
let document: KeysDocument;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'anteroom-keys-'));
  document = await createKeysDocument('ES256', 1_700_000_000);
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

function kidsOf(ring: KeyRing): string[] {
  return ring
    .toDocument()
    .keys.map((key) => `${key.alg}:${key.kid}:${key.status}`)
    .sort();
}

function assertPublicOnly(jwk: JWK): void {
  for (const member of Object.keys(jwk))
    assert.ok(PUBLIC_MEMBERS.has(member), `unexpected JWK member ${member}`);
  for (const member of PRIVATE_MEMBERS) assert.equal(member in jwk, false, `private member ${member} leaked`);
}

async function sign(ring: KeyRing, sub: string): Promise<string> {
  const { kid, alg, key } = ring.signingKey();
  return new SignJWT({ sub }).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
}

function assertKeysError(error: unknown, fragment: string): true {
  assert.ok(error instanceof AnteroomError);
  assert.equal(error.code, 'invalid_keys');
  assert.equal(error.expose, false);
  assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
  return true;
}

describe('file keys', () => {
  it('generates ES256 and RS256 keys on first start in a 0600 file and reuses them', async () => {
    const path = join(directory, 'nested', 'dir', 'keys.json');
    const notices: string[] = [];
    const first = await loadKeyRing({ type: 'file', path }, { onNotice: (message) => notices.push(message) });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /generated ES256 and RS256/);
    const stored = JSON.parse(await readFile(path, 'utf8')) as KeysDocument;
    assert.deepEqual(
      stored.keys.map((key) => [key.alg, key.status, key.use, typeof key.d]),
      [
        ['ES256', 'active', 'sig', 'string'],
        ['RS256', 'active', 'sig', 'string'],
      ],
    );

    const second = await loadKeyRing(
      { type: 'file', path },
      { onNotice: (message) => notices.push(message) },
    );
    assert.deepEqual(kidsOf(second), kidsOf(first));
    assert.equal(notices.length, 1, 'nothing generated on the second load');
    assert.equal(second.signingKey().kid, first.signingKey().kid);
  });

  it('uses the RFC 7638 thumbprint as kid', async () => {
    const ring = await loadKeyRing({ type: 'file', path: join(directory, 'thumb.json') });
    for (const jwk of ring.jwks().keys) assert.equal(jwk.kid, await calculateJwkThumbprint(jwk));
  });

  it('refuses a key that is not of its algorithm (a P-384 key as ES256, a 1024-bit RSA key)', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    const es = document.keys.find((key) => key.alg === 'ES256')!;
    const rs = document.keys.find((key) => key.alg === 'RS256')!;
    for (const [index, swapped] of [
      [0, { ...es, ...p384 }],
      [1, { ...rs, ...rsa1024 }],
    ] as const) {
      const keys = [es, rs].map((key, at) => (at === index ? swapped : key));
      await assert.rejects(KeyRing.fromDocument({ keys } as KeysDocument, { algorithm: 'ES256' }), (error) =>
        assertKeysError(error, `keys[${index}] is not a valid`),
      );
    }
  });

  it('gives two processes starting at once the same keys', async () => {
    const path = join(directory, 'race', 'keys.json');
    const [a, b] = await Promise.all([
      loadKeyRing({ type: 'file', path }),
      loadKeyRing({ type: 'file', path }),
    ]);
    assert.deepEqual(kidsOf(a), kidsOf(b));
  });

  it('adds a missing key to an existing file and keeps the present one', async () => {
    const path = join(directory, 'rsa-only.json');
    const rsaOnly = await loadKeyRing({ type: 'file', path, algorithm: 'RS256' });
    assert.deepEqual(rsaOnly.algorithms(), ['RS256']);
    const rsaKid = rsaOnly.signingKey('RS256').kid;
    const both = await loadKeyRing({ type: 'file', path, algorithm: 'ES256' });
    assert.equal(both.signingKey('RS256').kid, rsaKid);
    assert.equal(both.signingKey().alg, 'ES256');
    assert.equal(JSON.parse(await readFile(path, 'utf8')).keys.length, 2);
  });

  it('warns about a file other users can read, and rejects a malformed one without echoing it', async () => {
    const path = join(directory, 'loose.json');
    await writeFile(path, JSON.stringify(document));
    await chmod(path, 0o644);
    const notices: string[] = [];
    await loadKeyRing({ type: 'file', path }, { onNotice: (message) => notices.push(message) });
    assert.match(notices.join('\n'), /readable by other users/);

    const bad = join(directory, 'bad.json');
    const broken = { keys: [{ ...document.keys[0], alg: 'HS256' }] };
    await writeFile(bad, JSON.stringify(broken), { mode: 0o600 });
    await assert.rejects(loadKeyRing({ type: 'file', path: bad }), (error) =>
      assertKeysError(error, 'keys[0].alg'),
    );
    await writeFile(bad, '{"keys": [', { mode: 0o600 });
    await assert.rejects(loadKeyRing({ type: 'file', path: bad }), (error) =>
      assertKeysError(error, 'not valid JSON'),
    );
  });
});

describe('rotation', () => {
  it('publishes the new key at once, signs with it after KEY_PUBLISH_SECONDS, verifies the old until it is removed, and persists', async () => {
    const path = join(directory, 'rotate.json');
    let now = 1_800_000_000;
    const ring = await loadKeyRing({ type: 'file', path }, { now: () => now });
    const oldKid = ring.signingKey().kid;
    const rsaKid = ring.signingKey('RS256').kid;
    const oldToken = await sign(ring, 'before');

    now += 3600;
    await ring.rotate();
    const [newKey] = ring.summary();
    assert.equal(newKey?.status, 'active');
    assert.equal(newKey?.signing, false);
    const newKid = newKey!.kid;
    assert.notEqual(newKid, oldKid);
    // Other processes publish the new key only once they reload: the old one keeps signing.
    assert.ok(
      ring.jwks().keys.some((key) => key.kid === newKid),
      'published at once',
    );
    now += KEY_PUBLISH_SECONDS - 1;
    assert.equal(ring.signingKey().kid, oldKid);
    assert.equal(ring.publicJwk().kid, oldKid);
    now += 1;
    assert.equal(ring.signingKey().kid, newKid);
    assert.equal(ring.summary().find((key) => key.kid === oldKid)?.signing, false);
    const newToken = await sign(ring, 'after');
    const jwks = createLocalJWKSet(ring.jwks());
    assert.equal((await jwtVerify(oldToken, jwks)).protectedHeader.kid, oldKid);
    assert.equal((await jwtVerify(newToken, jwks)).protectedHeader.kid, newKid);
    assert.equal(ring.publicJwk().kid, newKid);
    assert.equal(ring.signingKey('RS256').kid, rsaKid, 'the OIDC key is not rotated with the admission key');

    const reloaded = await loadKeyRing({ type: 'file', path });
    assert.deepEqual(kidsOf(reloaded), kidsOf(ring), 'rotation is persisted');
    assert.equal(reloaded.toDocument().keys.find((key) => key.kid === oldKid)?.status, 'retired');

    assert.equal(await ring.removeRetired(newKid), false, 'an active key is not removed');
    assert.equal(await ring.removeRetired(oldKid), true);
    await assert.rejects(jwtVerify(oldToken, createLocalJWKSet(ring.jwks())), {
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    assert.equal(ring.verifyKey(oldKid), undefined);
    await reloaded.reload();
    assert.deepEqual(kidsOf(reloaded), kidsOf(ring), 'removal is persisted');
  });

  it("reload() picks up another process's rotation and says whether anything changed", async () => {
    const path = join(directory, 'reload.json');
    let now = 1_800_000_000;
    const clock = { now: () => now };
    const operator = await loadKeyRing({ type: 'file', path }, clock);
    const server = await loadKeyRing({ type: 'file', path }, clock);
    assert.equal(await server.reload(), false, 'nothing changed');
    now += 600;
    const oldKid = operator.signingKey().kid;
    await operator.rotate();
    const newKid = operator.summary()[0]!.kid;
    assert.equal(await server.reload(), true);
    assert.ok(server.verifyKey(newKid), 'the new key verifies everywhere at once');
    assert.equal(server.signingKey().kid, oldKid);
    assert.equal(await operator.removeRetired(oldKid), false, 'a retired key that still signs stays');
    now += KEY_PUBLISH_SECONDS;
    assert.equal(server.signingKey().kid, newKid);
    assert.equal(await server.reload(), false);
  });

  it('refuses to rotate keys held in the environment (read-only source)', async () => {
    const ring = await loadKeyRing({ type: 'env' }, { env: { ANTEROOM_KEYS: JSON.stringify(document) } });
    await assert.rejects(ring.rotate(), { code: 'keys_read_only' });
  });
});

describe('public and private key views', () => {
  it('never puts a private member in the JWKS or the public key', async () => {
    const ring = await loadKeyRing({ type: 'env' }, { env: { ANTEROOM_KEYS: JSON.stringify(document) } });
    const { keys } = ring.jwks();
    assert.equal(keys.length, 2);
    for (const jwk of keys) assertPublicOnly(jwk);
    assertPublicOnly(ring.publicJwk());
    assert.equal(ring.publicJwk().alg, 'ES256');
    assert.equal(ring.publicJwk().kid, ring.signingKey().kid);
    assert.equal(JSON.stringify(ring.jwks()).includes(String(document.keys[0]!.d)), false);
  });

  it('hands oidc-provider private JWKs, the RS256 key first, without our metadata', async () => {
    const ring = await loadKeyRing({ type: 'env' }, { env: { ANTEROOM_KEYS: JSON.stringify(document) } });
    const jwks = ring.oidcJwks();
    assert.deepEqual(
      jwks.map((jwk) => [jwk.alg, jwk.kty, typeof jwk.d, jwk.use]),
      [
        ['RS256', 'RSA', 'string', 'sig'],
        ['ES256', 'EC', 'string', 'sig'],
      ],
    );
    for (const jwk of jwks) {
      assert.equal('status' in jwk, false);
      assert.equal('createdAt' in jwk, false);
    }
  });
});

describe('env keys', () => {
  it('reads the document from ANTEROOM_KEYS or a named variable', async () => {
    const text = JSON.stringify(document);
    const ring = await loadKeyRing({ type: 'env' }, { env: { ANTEROOM_KEYS: text } });
    const named = await loadKeyRing({ type: 'env', variable: 'MY_KEYS' }, { env: { MY_KEYS: text } });
    const expected = document.keys.map((key) => `${key.alg}:${key.kid}:${key.status}`).sort();
    assert.deepEqual(kidsOf(ring), expected);
    assert.deepEqual(kidsOf(named), expected);
  });

  it('refuses an unset variable or a document without the needed keys (it cannot generate)', async () => {
    await assert.rejects(loadKeyRing({ type: 'env' }, { env: {} }), (error) =>
      assertKeysError(error, 'ANTEROOM_KEYS is not set'),
    );
    const esOnly = JSON.stringify({ keys: document.keys.filter((key) => key.alg === 'ES256') });
    await assert.rejects(loadKeyRing({ type: 'env' }, { env: { ANTEROOM_KEYS: esOnly } }), (error) =>
      assertKeysError(error, 'no active RS256 key'),
    );
  });
});

describe('Secrets Manager keys', () => {
  // AWS is unreachable from the test machine, so the Secrets Manager client is faked:
  // a stand-in that records the SDK command objects the ring sends and answers like AWS.
  function fakeSecretsManager(initial: string | undefined) {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    let secret = initial;
    const client = {
      async send(command: GetSecretValueCommand | PutSecretValueCommand) {
        const name = command.constructor.name;
        sent.push({ name, input: { ...command.input } });
        if (name === 'GetSecretValueCommand') return { SecretString: secret, $metadata: {} };
        secret = (command.input as { SecretString: string }).SecretString;
        return { $metadata: {} };
      },
    } as SecretsManagerLike;
    return { client, sent, current: () => secret };
  }

  it('reads the key document with GetSecretValue and writes rotations with PutSecretValue', async () => {
    const fake = fakeSecretsManager(JSON.stringify(document));
    const ring = await loadKeyRing(
      { type: 'secrets-manager', secretId: 'anteroom/keys', region: 'eu-west-1' },
      { secretsManager: fake.client },
    );
    assert.deepEqual(fake.sent, [{ name: 'GetSecretValueCommand', input: { SecretId: 'anteroom/keys' } }]);
    assert.equal(ring.signingKey().kid, document.keys.find((key) => key.alg === 'ES256')!.kid);

    await ring.rotate();
    assert.equal(fake.sent[1]?.name, 'PutSecretValueCommand');
    assert.equal(fake.sent[1]?.input['SecretId'], 'anteroom/keys');
    const written = JSON.parse(fake.current()!) as KeysDocument;
    assert.deepEqual(
      written.keys.map((key) => [key.alg, key.status]),
      [
        ['ES256', 'retired'],
        ['RS256', 'active'],
        ['ES256', 'active'],
      ],
    );
  });

  it('explains an empty secret instead of generating keys', async () => {
    const fake = fakeSecretsManager(undefined);
    await assert.rejects(
      loadKeyRing({ type: 'secrets-manager', secretId: 'anteroom/keys' }, { secretsManager: fake.client }),
      (error) => assertKeysError(error, 'secret anteroom/keys has no value'),
    );
  });
});
