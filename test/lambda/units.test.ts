/**
 * The pure parts of the Lambda handlers: the environment (what the CDK stack sets) becomes the
 * same configuration as `anteroom serve` with secrets resolved; stage prefixes and path encoding
 * of both payload formats; response encoding; who counts as an IAM-verified admin caller.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../provider/config/server-config.ts';
import { loadLambdaSettings } from '../../provider/lambda/env.ts';
import { isBinaryResponse } from '../../provider/lambda/http.ts';
import { iamCaller } from '../../provider/lambda/iam-admin.ts';
import { SecretReader, type SecretsManagerLike } from '../../provider/lambda/secrets.ts';
import { encodeDecodedPath, externalBase, stripStage } from '../../provider/lambda/stage.ts';
import type { HttpApiEvent, RestApiEvent } from '../../provider/lambda/types.ts';

function secrets(values: Record<string, string>): SecretReader {
  return new SecretReader({
    async send(command: GetSecretValueCommand) {
      const value = values[command.input.SecretId ?? ''];
      if (value === undefined) throw new Error('ResourceNotFoundException');
      return { SecretString: value, $metadata: {} };
    },
  } as unknown as SecretsManagerLike);
}

const BASE = {
  ANTEROOM_CONFIG_JSON: JSON.stringify({
    events: [{ id: 'sale' }],
    adminKeys: ['admin-key-nLM9sWDBhLpTC7hvBT22AP'],
  }),
  ANTEROOM_KEYS_FILE: '/tmp/anteroom-env-test-keys.json',
};

describe('Lambda environment → configuration', () => {
  test('Redis host, port, TLS and AUTH token secret make the store URL', async () => {
    const settings = await loadLambdaSettings(
      {
        ...BASE,
        ANTEROOM_REDIS_HOST: 'master.anteroom.abc123.euw1.cache.amazonaws.com',
        ANTEROOM_REDIS_PORT: '6380',
        ANTEROOM_REDIS_TLS: 'true',
        ANTEROOM_REDIS_AUTH_SECRET_ARN: 'arn:redis',
      },
      secrets({ 'arn:redis': 'p@ss/word' }),
    );
    assert.deepEqual(settings.config.store, {
      type: 'redis',
      url: 'rediss://:p%40ss%2Fword@master.anteroom.abc123.euw1.cache.amazonaws.com:6380',
      keyPrefix: undefined,
      cluster: undefined,
    });
  });

  test('ElastiCache Serverless: ANTEROOM_REDIS_CLUSTER makes a cluster store', async () => {
    const settings = await loadLambdaSettings(
      {
        ...BASE,
        ANTEROOM_REDIS_HOST: 'anteroom-abc123.serverless.euw1.cache.amazonaws.com',
        ANTEROOM_REDIS_TLS: 'true',
        ANTEROOM_REDIS_CLUSTER: 'true',
      },
      secrets({}),
    );
    assert.deepEqual(settings.config.store, {
      type: 'redis',
      url: 'rediss://anteroom-abc123.serverless.euw1.cache.amazonaws.com:6379',
      keyPrefix: undefined,
      cluster: true,
    });
  });

  test('the keys secret wins over a keys file; the bus, table and origin secret are read', async () => {
    const settings = await loadLambdaSettings(
      {
        ...BASE,
        ANTEROOM_KEYS_SECRET_ARN: 'arn:keys',
        ANTEROOM_EVENT_BUS: 'anteroom-bus',
        ANTEROOM_OIDC_TABLE: 'anteroom-oidc',
        ANTEROOM_ORIGIN_SECRET_ARN: 'arn:origin',
        ANTEROOM_PUBLIC_URL: 'https://d111.cloudfront.net',
      },
      secrets({ 'arn:origin': '  origin-secret-value \n' }),
    );
    assert.equal(settings.config.keys.type, 'secrets-manager');
    assert.equal((settings.config.keys as { secretId: string }).secretId, 'arn:keys');
    assert.equal(settings.eventBus, 'anteroom-bus');
    assert.equal(settings.oidcTable, 'anteroom-oidc');
    assert.equal(settings.originSecret, 'origin-secret-value');
    assert.equal(settings.config.publicUrl, 'https://d111.cloudfront.net');
    assert.equal(settings.config.keys.algorithm, undefined, 'ES256, the default');
  });

  test('ANTEROOM_KEYS_ALGORITHM picks the admission tokens’ algorithm (RS256, as the AWS solution signed)', async () => {
    const env = { ...BASE, ANTEROOM_KEYS_SECRET_ARN: 'arn:keys' };
    const rs256 = await loadLambdaSettings({ ...env, ANTEROOM_KEYS_ALGORITHM: 'RS256' }, secrets({}));
    assert.deepEqual(rs256.config.keys, {
      type: 'secrets-manager',
      secretId: 'arn:keys',
      region: undefined,
      algorithm: 'RS256',
    });
    await assert.rejects(
      loadLambdaSettings({ ...env, ANTEROOM_KEYS_ALGORITHM: 'HS256' }, secrets({})),
      (error: unknown) => error instanceof ConfigError && error.field === 'ANTEROOM_KEYS_ALGORITHM',
    );
  });

  test('the address of the first request is the public URL only when none is configured', async () => {
    const hint = { derivedPublicUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/api' };
    const derived = await loadLambdaSettings(BASE, secrets({}), hint);
    assert.equal(derived.config.publicUrl, hint.derivedPublicUrl);
    const configured = await loadLambdaSettings(
      {
        ...BASE,
        ANTEROOM_CONFIG_JSON: JSON.stringify({
          publicUrl: 'https://queue.example.com',
          events: [{ id: 'sale' }],
        }),
      },
      secrets({}),
      hint,
    );
    assert.equal(configured.config.publicUrl, 'https://queue.example.com');
  });

  test('bad input fails naming the variable, never echoing a secret', async () => {
    await assert.rejects(
      loadLambdaSettings({ ...BASE, ANTEROOM_CONFIG_JSON: '{"events": [' }, secrets({})),
      (error: unknown) => error instanceof ConfigError && error.field === 'ANTEROOM_CONFIG_JSON',
    );
    await assert.rejects(
      loadLambdaSettings({ ...BASE, ANTEROOM_REDIS_HOST: 'redis', ANTEROOM_REDIS_PORT: 'six' }, secrets({})),
      (error: unknown) => error instanceof ConfigError && error.field === 'ANTEROOM_REDIS_PORT',
    );
    await assert.rejects(
      loadLambdaSettings({ ...BASE, ANTEROOM_ORIGIN_SECRET: '   ' }, secrets({})),
      (error: unknown) => error instanceof ConfigError && error.field === 'ANTEROOM_ORIGIN_SECRET',
    );
    await assert.rejects(
      loadLambdaSettings(
        { ...BASE, ANTEROOM_COOKIE_KEYS_SECRET_ARN: 'arn:cookies' },
        secrets({ 'arn:cookies': '["very-secret-cookie-key", ' }),
      ),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.field === 'ANTEROOM_COOKIE_KEYS_SECRET_ARN' &&
        !error.message.includes('very-secret'),
    );
  });
});

describe('stage prefixes', () => {
  const rest = (path: string, contextPath: string) =>
    ({
      path,
      requestContext: { path: contextPath, stage: 'prod', domainName: 'api.example.com' },
    }) as RestApiEvent;
  const http = (rawPath: string, stage: string) =>
    ({
      version: '2.0',
      rawPath,
      headers: {},
      requestContext: { stage, domainName: 'abc.execute-api.eu-west-1.amazonaws.com' },
    }) as unknown as HttpApiEvent;

  test('REST: the prefix is what requestContext.path has beyond event.path', () => {
    assert.equal(stripStage(rest('/status', '/prod/status')).stagePrefix, '/prod');
    assert.equal(stripStage(rest('/', '/prod/')).stagePrefix, '/prod');
    assert.equal(stripStage(rest('/', '/prod')).stagePrefix, '/prod');
    assert.equal(stripStage(rest('/', '/')).stagePrefix, '');
    // A custom domain with a base-path mapping `queue` → stage `prod`.
    assert.equal(stripStage(rest('/status', '/queue/status')).stagePrefix, '/queue');
    // A custom domain with an empty mapping: no prefix.
    assert.equal(stripStage(rest('/status', '/status')).stagePrefix, '');
    assert.equal((stripStage(rest('/status', '/prod/status')).event as RestApiEvent).path, '/status');
  });

  test('HTTP API: a named stage is removed from rawPath, $default has none', () => {
    const staged = stripStage(http('/api/oidc/auth', 'api'));
    assert.equal(staged.stagePrefix, '/api');
    assert.equal((staged.event as HttpApiEvent).rawPath, '/oidc/auth');
    assert.equal((stripStage(http('/api', 'api')).event as HttpApiEvent).rawPath, '/');
    assert.equal(stripStage(http('/apis/x', 'api')).stagePrefix, '');
    assert.equal(stripStage(http('/status', '$default')).stagePrefix, '');
  });

  test('HTTP API paths arrive decoded and are re-encoded; encoded paths stay as they are', () => {
    assert.equal(encodeDecodedPath('/events/a b?c#d/100%/é'), '/events/a%20b%3Fc%23d/100%25/%C3%A9');
    assert.equal(encodeDecodedPath('/events/a%20b/stream'), '/events/a%20b/stream');
    assert.equal(encodeDecodedPath("/oidc/auth/x-_.~!$&'()*+,;=:@"), "/oidc/auth/x-_.~!$&'()*+,;=:@");
    const staged = stripStage(http('/api/events/a b/stream', 'api'));
    assert.equal((staged.event as HttpApiEvent).rawPath, '/events/a%20b/stream');
  });

  test('generated URLs use the public URL when set, else the API address and prefix', () => {
    const event = http('/api/status', 'api');
    assert.deepEqual(externalBase(event, '/api', null), {
      protocol: 'https:',
      host: 'abc.execute-api.eu-west-1.amazonaws.com',
      prefix: '/api',
    });
    assert.deepEqual(externalBase(event, '/api', 'https://d111.cloudfront.net'), {
      protocol: 'https:',
      host: 'd111.cloudfront.net',
      prefix: '',
    });
  });
});

describe('response encoding and IAM callers', () => {
  test('compressed and non-text bodies go back base64-encoded', () => {
    assert.equal(isBinaryResponse({ 'content-type': 'image/png' }), true);
    assert.equal(isBinaryResponse({ 'content-type': 'font/woff2' }), true);
    assert.equal(isBinaryResponse({ 'content-type': 'application/json', 'content-encoding': 'gzip' }), true);
    assert.equal(isBinaryResponse({ 'content-type': 'application/json; charset=utf-8' }), false);
    assert.equal(isBinaryResponse({ 'content-type': 'text/html; charset=utf-8' }), false);
    assert.equal(isBinaryResponse({ 'content-type': 'image/svg+xml' }), false);
    assert.equal(isBinaryResponse({}), false);
  });

  test('only an identity API Gateway verified counts as an IAM caller', () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/operator/alice';
    const rest = (userArn: string | null) =>
      ({ requestContext: { identity: { sourceIp: '10.0.0.1', userArn } } }) as unknown as RestApiEvent;
    const http = (iam: object | undefined) =>
      ({
        version: '2.0',
        requestContext: { authorizer: iam ? { iam } : undefined },
      }) as unknown as HttpApiEvent;
    assert.equal(iamCaller(rest(arn)), arn);
    assert.equal(iamCaller(rest(null)), null);
    assert.equal(iamCaller(http({ userArn: arn, accountId: '123456789012' })), arn);
    assert.equal(iamCaller(http(undefined)), null);
  });
});
