/**
 * The gate's configuration: defaults, refusals that name the field, and the edge function's
 * `anteroom-edge.json` with secrets named in Secrets Manager (read through a stand-in here:
 * Secrets Manager cannot be reached from the test machine).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadEdgeConfig } from '../../../authorizer/gate/edge-config.ts';
import { createGate, type GateConfig } from '../../../authorizer/gate.ts';

const VALID: GateConfig = {
  issuer: 'https://queue.example.com/oidc',
  clientId: 'shop',
  clientSecret: 'shop-secret-0123456789abcdef',
  cookieSecret: 'x'.repeat(32),
};

function refusal(config: Record<string, unknown>): string {
  try {
    createGate(config as unknown as GateConfig);
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'invalid_gate_config');
    return (error as { field: string }).field;
  }
  assert.fail('the configuration was accepted');
}

describe('gate configuration', () => {
  it('applies the documented defaults', () => {
    const { config } = createGate(VALID);
    assert.equal(config.callbackPath, '/_anteroom/callback');
    assert.equal(config.signOutPath, '/_anteroom/sign-out');
    assert.deepEqual(config.protect, ['/']);
    assert.deepEqual(config.publicPaths, []);
    assert.equal(config.baseUrl, undefined);
    assert.equal(config.recheckMs, 0);
  });

  it('refuses bad settings, naming the field', () => {
    assert.equal(refusal({ ...VALID, cookieSecret: 'x'.repeat(31) }), 'cookieSecret');
    assert.equal(refusal({ ...VALID, issuer: 'http://queue.example.com/oidc' }), 'issuer');
    assert.equal(refusal({ ...VALID, issuer: 'not a url' }), 'issuer');
    assert.equal(refusal({ ...VALID, clientId: '' }), 'clientId');
    assert.equal(refusal({ ...VALID, clientSecret: undefined }), 'clientSecret');
    assert.equal(refusal({ ...VALID, baseUrl: 'https://shop.example.com/?x=1' }), 'baseUrl');
    assert.equal(refusal({ ...VALID, callbackPath: 'callback' }), 'callbackPath');
    assert.equal(refusal({ ...VALID, callbackPath: '//evil.example/cb' }), 'callbackPath');
    assert.equal(refusal({ ...VALID, protect: '/shop' }), 'protect');
    assert.equal(refusal({ ...VALID, publicPaths: ['/assets', 'img'] }), 'publicPaths[1]');
    assert.equal(refusal({ ...VALID, recheckSeconds: -1 }), 'recheckSeconds');
    assert.equal(refusal({ ...VALID, signOutPath: '/_anteroom/callback' }), 'signOutPath');
    assert.equal(refusal({ ...VALID, cookieSecrt: 'typo' }), 'cookieSecrt');
  });

  it('accepts plain http for a provider and a site on this machine only', () => {
    const local = createGate({
      ...VALID,
      issuer: 'http://127.0.0.1:8080/oidc/',
      baseUrl: 'http://localhost:3000/',
    });
    assert.equal(local.config.issuer, 'http://127.0.0.1:8080/oidc');
    assert.equal(local.config.baseUrl, 'http://localhost:3000');
  });
});

describe('anteroom-edge.json', () => {
  function file(content: unknown): URL {
    const path = join(mkdtempSync(join(tmpdir(), 'anteroom-edge-')), 'anteroom-edge.json');
    writeFileSync(path, JSON.stringify(content));
    return pathToFileURL(path);
  }

  it('reads the settings as they are', async () => {
    assert.deepEqual(await loadEdgeConfig(file(VALID)), VALID);
  });

  it('reads the secrets named in Secrets Manager, in the region given', async () => {
    const { clientSecret: _c, cookieSecret: _k, ...rest } = VALID;
    const reads: string[] = [];
    const config = await loadEdgeConfig(
      file({
        ...rest,
        secretsManager: { region: 'us-east-1', clientSecret: 'arn:client', cookieSecret: 'arn:cookie' },
      }),
      async (region, secretId) => {
        reads.push(`${region} ${secretId}`);
        return secretId === 'arn:client' ? 'client-secret-from-sm-0123' : 'c'.repeat(40);
      },
    );
    assert.deepEqual(reads.sort(), ['us-east-1 arn:client', 'us-east-1 arn:cookie']);
    assert.equal(config.clientSecret, 'client-secret-from-sm-0123');
    assert.equal(config.cookieSecret, 'c'.repeat(40));
    assert.equal((config as unknown as Record<string, unknown>)['secretsManager'], undefined);
    createGate(config);
  });

  it('refuses a secret given twice, an unknown reference or an unreadable file', async () => {
    const read = async () => 'unused';
    await assert.rejects(
      loadEdgeConfig(
        file({ ...VALID, secretsManager: { region: 'us-east-1', clientSecret: 'arn:x' } }),
        read,
      ),
      { field: 'clientSecret' },
    );
    await assert.rejects(
      loadEdgeConfig(file({ ...VALID, secretsManager: { region: 'us-east-1', apiKey: 'arn:x' } }), read),
      {
        field: 'secretsManager.apiKey',
      },
    );
    await assert.rejects(loadEdgeConfig(new URL('file:///nonexistent/anteroom-edge.json')), {
      field: 'config',
    });
  });
});
