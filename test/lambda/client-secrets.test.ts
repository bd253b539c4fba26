/**
 * Confidential OIDC clients as the CDK stack deploys them: the clients in ANTEROOM_CONFIG_JSON
 * carry no `client_secret`; ANTEROOM_OIDC_CLIENT_SECRET_ARNS maps each confidential client to a
 * Secrets Manager secret holding its secret as a plain string (`infra/lib/constructs/app-secrets.ts`).
 * Secrets Manager is a fake client here: AWS is unreachable from the test machine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../provider/config/server-config.ts';
import { loadLambdaSettings } from '../../provider/lambda/env.ts';
import { SecretReader, type SecretsManagerLike } from '../../provider/lambda/secrets.ts';
import { parseOidcClients } from '../../provider/oidc/clients.ts';

function fakeSecrets(values: Record<string, string>) {
  const reads: string[] = [];
  const reader = new SecretReader({
    async send(command: GetSecretValueCommand) {
      const id = command.input.SecretId ?? '';
      reads.push(id);
      const value = values[id];
      if (value === undefined)
        throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
      return { SecretString: value, $metadata: {} };
    },
  } as unknown as SecretsManagerLike);
  return { reader, reads };
}

const SHOP_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ClientSecretshop-AbCdEf';
const SHOP_SECRET = 'Generated0by0Secrets0Manager0without0punctuation0000000000000064';

function env(clients: unknown[], arns: Record<string, string> | string) {
  return {
    ANTEROOM_CONFIG_JSON: JSON.stringify({
      events: [{ id: 'sale' }],
      adminKeys: ['admin-key-nLM9sWDBhLpTC7hvBT22AP'],
      oidc: { clients },
    }),
    ANTEROOM_KEYS_FILE: '/tmp/anteroom-client-secrets-test-keys.json',
    ANTEROOM_OIDC_CLIENT_SECRET_ARNS: typeof arns === 'string' ? arns : JSON.stringify(arns),
  };
}

const SHOP = { client_id: 'shop', redirect_uris: ['https://shop.example/cb'], event_id: 'sale' };
const SPA = { client_id: 'spa', redirect_uris: ['https://spa.example/cb'], event_id: 'sale' };

describe('ANTEROOM_OIDC_CLIENT_SECRET_ARNS', () => {
  test("each mapped client gets its secret's plain string; the others stay public", async () => {
    const secrets = fakeSecrets({ [SHOP_ARN]: SHOP_SECRET });
    const settings = await loadLambdaSettings(env([SHOP, SPA], { shop: SHOP_ARN }), secrets.reader);
    const clients = parseOidcClients(settings.config.oidc.clients);
    assert.equal(clients.find((client) => client.clientId === 'shop')?.clientSecret, SHOP_SECRET);
    assert.equal(clients.find((client) => client.clientId === 'spa')?.clientSecret, undefined);
    assert.deepEqual(secrets.reads, [SHOP_ARN], 'read once');
  });

  test('ids that name no configured client fail start-up, naming them, before any secret is read', async () => {
    const secrets = fakeSecrets({ [SHOP_ARN]: SHOP_SECRET });
    await assert.rejects(
      loadLambdaSettings(env([SHOP], { shop: SHOP_ARN, shp: 'arn:x', 'old-rp': 'arn:y' }), secrets.reader),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.field === 'ANTEROOM_OIDC_CLIENT_SECRET_ARNS' &&
        error.message.includes('"shp", "old-rp"') &&
        !error.message.includes('"shop"'),
    );
    assert.deepEqual(secrets.reads, []);
  });

  test('malformed maps, a secret also in the configuration, and an empty secret are refused', async () => {
    const secrets = fakeSecrets({ [SHOP_ARN]: SHOP_SECRET, 'arn:empty': '' });
    const refused = (error: unknown) =>
      error instanceof ConfigError &&
      error.field === 'ANTEROOM_OIDC_CLIENT_SECRET_ARNS' &&
      !error.message.includes(SHOP_SECRET);
    await assert.rejects(loadLambdaSettings(env([SHOP], '{"shop": '), secrets.reader), refused);
    await assert.rejects(loadLambdaSettings(env([SHOP], '["shop"]'), secrets.reader), refused);
    await assert.rejects(loadLambdaSettings(env([SHOP], { shop: 7 } as never), secrets.reader), refused);
    await assert.rejects(
      loadLambdaSettings(env([{ ...SHOP, client_secret: SHOP_SECRET }], { shop: SHOP_ARN }), secrets.reader),
      (error: unknown) => refused(error) && (error as Error).message.includes('"shop"'),
    );
    await assert.rejects(loadLambdaSettings(env([SHOP], { shop: 'arn:empty' }), secrets.reader), refused);
  });

  test('unset or empty: the configuration is used as it is', async () => {
    const secrets = fakeSecrets({});
    const settings = await loadLambdaSettings(env([SPA], ''), secrets.reader);
    assert.deepEqual(settings.config.oidc.clients, [SPA]);
    assert.deepEqual(secrets.reads, []);
  });
});
