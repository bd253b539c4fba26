/**
 * Admin credentials in the configuration: a weak key is refused at start with an error naming
 * the field (never repeating the key); SigV4 key pairs from the file and the environment.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { estimateSecretBits, MIN_SECRET_BITS } from '../../provider/config/key-strength.ts';
import { ConfigError, loadConfig } from '../../provider/config/server-config.ts';

const STRONG = 'Zq4vT8xN2pLk9sWd7Rb3Hm6Jc1Fy5Ge0';
const SECRET = 'v8Qm1Zr4Xk0Pw7Ls2Nd9Hf3Jt6Yb5Cg8Ve1Ua4Ri';

function refused(options: Parameters<typeof loadConfig>[0], field: string, secret?: string): ConfigError {
  let caught: unknown;
  try {
    loadConfig(options);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${field}, got ${String(caught)}`);
  assert.equal(caught.field, field);
  assert.ok(caught.message.includes(field), caught.message);
  if (secret !== undefined) assert.ok(!caught.message.includes(secret), 'the error repeats the secret');
  return caught;
}

describe('admin key strength', () => {
  it('refuses patterns, repeats and short keys, whatever their length', () => {
    for (const weak of [
      'aaaaaaaaaaaaaaaa',
      'a'.repeat(64),
      'abcdefghijklmnopqrstuvwxyz0123456789',
      'passwordpasswordpasswordpassword',
      'abXyZ9abXyZ9abXyZ9abXyZ9abXyZ9abXyZ9',
      'Password1234567890123456',
      '0123456789abcdef0123456789abcdef',
    ]) {
      assert.ok(estimateSecretBits(weak) < MIN_SECRET_BITS, weak);
    }
  });

  it('accepts random keys: generated ones, 32 hex digits, openssl rand -base64 16 or 32', () => {
    for (let i = 0; i < 2000; i += 1) {
      for (const key of [
        randomBytes(24).toString('base64url'),
        randomBytes(16).toString('hex'),
        randomBytes(16).toString('base64'),
        randomBytes(32).toString('base64'),
      ]) {
        assert.ok(estimateSecretBits(key) >= MIN_SECRET_BITS, key);
      }
    }
  });

  it('refuses a weak configured key at start, naming the field and not the key', () => {
    const error = refused(
      { raw: { adminKeys: [STRONG, 'aaaaaaaaaaaaaaaa'] }, env: {} },
      'adminKeys[1]',
      'aaaaaaaaaaaaaaaa',
    );
    assert.match(error.message, /too weak: about \d+ bits of entropy, at least 128 needed/);
    refused(
      { raw: {}, env: { ANTEROOM_ADMIN_KEY: `${STRONG},admin-admin-admin-admin` } },
      'ANTEROOM_ADMIN_KEY[1]',
      'admin-admin-admin-admin',
    );
    refused({ raw: { adminKeys: ['short'] }, env: {} }, 'adminKeys[0]', 'short');
  });

  it('generates a key that passes the rule when none is configured', () => {
    const config = loadConfig({ raw: {}, env: {} });
    assert.equal(config.generatedAdminKey, true);
    assert.ok(estimateSecretBits(config.adminKeys[0] as string) >= MIN_SECRET_BITS);
  });
});

describe('adminSigV4Keys', () => {
  it('reads key pairs with optional regions from the file, none by default', () => {
    assert.deepEqual(loadConfig({ raw: {}, env: {} }).adminSigV4Keys, []);
    const config = loadConfig({
      raw: {
        adminSigV4Keys: [
          { accessKeyId: 'AKIAOPERATOR', secretAccessKey: SECRET },
          { accessKeyId: 'AKIAINLET', secretAccessKey: STRONG, regions: ['eu-west-1', 'eu-central-1'] },
        ],
      },
      env: {},
    });
    assert.deepEqual(config.adminSigV4Keys, [
      { accessKeyId: 'AKIAOPERATOR', secretAccessKey: SECRET, regions: null },
      { accessKeyId: 'AKIAINLET', secretAccessKey: STRONG, regions: ['eu-west-1', 'eu-central-1'] },
    ]);
  });

  it('reads ANTEROOM_ADMIN_SIGV4_KEYS as id:secret,id:secret (a secret may hold / and +), over the file', () => {
    const config = loadConfig({
      raw: { adminSigV4Keys: [{ accessKeyId: 'FROMFILE', secretAccessKey: SECRET }] },
      env: { ANTEROOM_ADMIN_SIGV4_KEYS: `AKIAONE:${SECRET}/+x, AKIATWO:${STRONG}` },
    });
    assert.deepEqual(config.adminSigV4Keys, [
      { accessKeyId: 'AKIAONE', secretAccessKey: `${SECRET}/+x`, regions: null },
      { accessKeyId: 'AKIATWO', secretAccessKey: STRONG, regions: null },
    ]);
  });

  it('refuses weak secrets, bad ids, duplicates, unknown keys and bad regions, naming the field', () => {
    const pair = (extra: Record<string, unknown>) => ({
      raw: { adminSigV4Keys: [{ accessKeyId: 'AKIAOPERATOR', secretAccessKey: SECRET, ...extra }] },
      env: {},
    });
    refused(
      pair({ secretAccessKey: 'secretsecretsecretsecret' }),
      'adminSigV4Keys[0].secretAccessKey',
      'secretsecretsecretsecret',
    );
    refused(pair({ accessKeyId: 'AKIA/OPERATOR' }), 'adminSigV4Keys[0].accessKeyId');
    refused(pair({ regions: [] }), 'adminSigV4Keys[0].regions');
    refused(pair({ regions: ['EU West'] }), 'adminSigV4Keys[0].regions[0]');
    refused(pair({ sessionToken: 'x' }), 'adminSigV4Keys[0].sessionToken');
    refused(
      {
        raw: {
          adminSigV4Keys: [
            { accessKeyId: 'AKIAOPERATOR', secretAccessKey: SECRET },
            { accessKeyId: 'AKIAOPERATOR', secretAccessKey: STRONG },
          ],
        },
        env: {},
      },
      'adminSigV4Keys[1].accessKeyId',
    );
    refused({ raw: { adminSigV4Keys: {} }, env: {} }, 'adminSigV4Keys');
    refused({ raw: {}, env: { ANTEROOM_ADMIN_SIGV4_KEYS: SECRET } }, 'ANTEROOM_ADMIN_SIGV4_KEYS[0]', SECRET);
    refused(
      { raw: {}, env: { ANTEROOM_ADMIN_SIGV4_KEYS: 'AKIAONE:hunter2hunter2hunter2' } },
      'ANTEROOM_ADMIN_SIGV4_KEYS[0].secretAccessKey',
      'hunter2hunter2hunter2',
    );
  });
});
