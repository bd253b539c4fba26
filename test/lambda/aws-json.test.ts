/**
 * The Lambda functions' own signed calls to AWS (Secrets Manager, EventBridge), made without the
 * AWS SDK: the signature against AWS's published SigV4 examples, and the requests and answers
 * against a local HTTP server standing in for the endpoints (AWS is unreachable from the tests).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeIdleConnections } from '../../authorizer/http-client.ts';
import { createSigV4Verifier, SIGV4_SERVICE } from '../../provider/http/sigv4.ts';
import { AwsServiceError } from '../../provider/lambda/aws-json.ts';
import { directEventBridge, PutEventsCommand } from '../../provider/lambda/events.ts';
import {
  directBatchRead,
  directSecretsManager,
  SecretPrefetch,
  SecretReader,
} from '../../provider/lambda/secrets.ts';
import { signRequest } from '../../provider/lambda/sigv4.ts';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '../../queue-core/signing-keys/secrets-manager.ts';
import {
  type AwsJsonEndpoint,
  type ReceivedCall,
  startAwsJsonEndpoint,
} from '../support/aws-json-endpoint.ts';

describe('SigV4 signature', () => {
  // The AWS Signature Version 4 test suite's `get-vanilla` and `post-vanilla` examples.
  const example = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const request = (method: string) => ({
    method,
    host: 'example.amazonaws.com',
    url: '/',
    headers: {},
    body: '',
    service: 'service',
    region: 'us-east-1',
    date: new Date(Date.UTC(2015, 7, 30, 12, 36, 0)),
  });

  it('matches the published examples', () => {
    const scope =
      'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date';
    assert.equal(
      signRequest(request('GET'), example).authorization,
      `AWS4-HMAC-SHA256 ${scope}, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    );
    assert.equal(
      signRequest(request('POST'), example).authorization,
      `AWS4-HMAC-SHA256 ${scope}, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
    );
  });

  it('is what the admin API’s verifier accepts', () => {
    const body = '{"event_id":"sale","increment_by":1}';
    const headers = signRequest(
      {
        method: 'POST',
        host: 'admin.example.com',
        url: '/increment_serving_counter',
        headers: { 'content-type': 'application/json' },
        body,
        service: SIGV4_SERVICE,
        region: 'eu-west-1',
      },
      example,
    );
    const verify = createSigV4Verifier([{ ...example, regions: null }]);
    const request = { method: 'POST', url: '/increment_serving_counter', headers, body: Buffer.from(body) };
    assert.deepEqual(verify(request), { ok: true, accessKeyId: 'AKIDEXAMPLE' });
    assert.equal(verify({ ...request, body: Buffer.from(`${body} `) }).ok, false);
  });

  it('signs the session token and every header it sends', () => {
    const headers = signRequest(
      { ...request('POST'), headers: { 'X-Amz-Target': 'a.B' } },
      { ...example, sessionToken: 'token' },
    );
    assert.equal(headers['x-amz-security-token'], 'token');
    assert.match(headers.authorization!, /SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target,/);
  });
});

describe('calls to AWS JSON APIs', () => {
  let endpoint: AwsJsonEndpoint;
  let env: Record<string, string>;
  let received: ReceivedCall[] = [];
  /** What the endpoint answers next (status, body); then 200 with the default. */
  let answers: [number, unknown][] = [];

  before(async () => {
    endpoint = await startAwsJsonEndpoint({
      contentType: 'application/x-amz-json-1.1',
      fallback: (body) => ({ SecretString: `value of ${body.SecretId}` }),
    });
    ({ received, answers } = endpoint);
    env = {
      ...endpoint.credentials,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint.url,
    };
  });
  after(() => endpoint.close());

  it('reads a secret with one signed GetSecretValue', async () => {
    received.length = 0;
    assert.equal(await new SecretReader(undefined, env).read('anteroom/keys'), 'value of anteroom/keys');
    assert.equal(received.length, 1);
    const [{ headers, body }] = received as [ReceivedCall];
    assert.deepEqual(body, { SecretId: 'anteroom/keys' });
    assert.equal(headers['x-amz-target'], 'secretsmanager.GetSecretValue');
    assert.equal(headers['content-type'], 'application/x-amz-json-1.1');
    assert.equal(headers['x-amz-security-token'], 'session');
    assert.match(
      String(headers.authorization),
      /Credential=AKIDTEST\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/,
    );
  });

  it('writes a secret with PutSecretValue (key rotations)', async () => {
    received.length = 0;
    answers.push([200, { ARN: 'arn', VersionId: 'v2' }]);
    await directSecretsManager(env).send(
      new PutSecretValueCommand({ SecretId: 'k', SecretString: '{"keys":[]}' }),
    );
    assert.equal(received[0]?.headers['x-amz-target'], 'secretsmanager.PutSecretValue');
    assert.deepEqual(received[0]?.body, { SecretId: 'k', SecretString: '{"keys":[]}' });
  });

  it('reports an AWS error by its type, and does not retry it', async () => {
    received.length = 0;
    answers.push([
      400,
      { __type: 'com.amazonaws.secretsmanager#ResourceNotFoundException', message: 'no such secret' },
    ]);
    await assert.rejects(new SecretReader(undefined, env).read('missing'), (error) => {
      assert.ok(error instanceof AwsServiceError);
      assert.equal(error.name, 'ResourceNotFoundException');
      assert.equal(error.message, 'no such secret');
      return true;
    });
    assert.equal(received.length, 1);
  });

  it('retries throttling and server errors, three attempts in all', async () => {
    received.length = 0;
    answers.push([400, { __type: 'ThrottlingException', message: 'Rate exceeded' }], [500, {}]);
    assert.equal(await new SecretReader(undefined, env).read('busy'), 'value of busy');
    assert.equal(received.length, 3);
    answers.push([503, {}], [503, {}], [503, {}]);
    await assert.rejects(new SecretReader(undefined, env).read('down'), { status: 503 });
  });

  it('sends EventBridge entries with PutEvents, times in epoch seconds', async () => {
    received.length = 0;
    answers.push([
      200,
      { FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'InternalFailure' }] },
    ]);
    const entry = {
      Source: 'anteroom',
      DetailType: 'token_generated',
      Detail: '{"event_id":"sale"}',
      EventBusName: 'bus',
      Time: new Date(1_700_000_000_500),
    };
    const output = await directEventBridge(env).send(new PutEventsCommand({ Entries: [entry, entry] }));
    assert.equal(output.FailedEntryCount, 1);
    assert.equal(output.Entries?.[1]?.ErrorCode, 'InternalFailure');
    assert.equal(received[0]?.headers['x-amz-target'], 'AWSEvents.PutEvents');
    assert.match(String(received[0]?.headers.authorization), /\/eu-west-1\/events\/aws4_request/);
    assert.deepEqual((received[0]!.body.Entries as unknown[])[0], { ...entry, Time: 1_700_000_000.5 });
  });

  it('reads a cold start’s secrets in one BatchGetSecretValue, each taken once', async () => {
    received.length = 0;
    answers.push([
      200,
      {
        SecretValues: [
          { ARN: 'arn:redis', Name: 'redis', SecretString: '{"password":"p"}' },
          { ARN: 'arn:keys-full', Name: 'keys', SecretString: 'the keys' },
        ],
        Errors: [{ SecretId: 'arn:gone', ErrorCode: 'ResourceNotFoundException' }],
      },
    ]);
    const prefetch = new SecretPrefetch(
      directSecretsManager(env),
      SecretPrefetch.idsOf({
        ANTEROOM_REDIS_AUTH_SECRET_ARN: 'arn:redis',
        ANTEROOM_KEYS_SECRET_ARN: 'keys',
        ANTEROOM_ORIGIN_SECRET_ARN: 'arn:gone',
        ANTEROOM_OIDC_CLIENT_SECRET_ARNS: '{"site":"arn:redis"}',
      }),
      directBatchRead(env),
    );
    answers.push([400, { __type: 'ResourceNotFoundException', message: 'no such secret' }]);
    const reader = new SecretReader(undefined, env, prefetch);
    assert.equal(await reader.read('arn:redis'), '{"password":"p"}');
    // One batch of the three distinct ids, then the one it did not return asked for on its own.
    assert.equal(received[0]?.headers['x-amz-target'], 'secretsmanager.BatchGetSecretValue');
    assert.deepEqual(received[0]?.body, { SecretIdList: ['arn:redis', 'keys', 'arn:gone'] });
    // The key ring reads through the client: it gets the batch's answer too (matched by name).
    const keys = await reader.secretsManager.send(new GetSecretValueCommand({ SecretId: 'keys' }));
    assert.equal(keys.SecretString, 'the keys');
    await assert.rejects(reader.read('arn:gone'), { name: 'ResourceNotFoundException' });
    assert.equal(received.length, 2);
    assert.equal(received[1]?.headers['x-amz-target'], 'secretsmanager.GetSecretValue');
    // Taken once: a later read (a key reload) asks again.
    assert.equal(await reader.read('keys'), 'value of keys');
    assert.equal(received.length, 3);
  });

  it('reads each secret on its own when the batch is refused', async () => {
    received.length = 0;
    answers.push([400, { __type: 'AccessDeniedException', message: 'not allowed' }]);
    const prefetch = new SecretPrefetch(directSecretsManager(env), ['a', 'b'], directBatchRead(env));
    const reader = new SecretReader(undefined, env, prefetch);
    assert.deepEqual(await Promise.all([reader.read('a'), reader.read('b')]), ['value of a', 'value of b']);
    assert.deepEqual(
      received.map((call) => call.headers['x-amz-target']),
      [
        'secretsmanager.BatchGetSecretValue',
        'secretsmanager.GetSecretValue',
        'secretsmanager.GetSecretValue',
      ],
    );
  });

  it('keeps one connection for consecutive calls, as Node’s https agent did', async () => {
    closeIdleConnections();
    let connections = 0;
    const count = () => {
      connections += 1;
    };
    endpoint.server.on('connection', count);
    const reader = new SecretReader(undefined, env);
    assert.equal(await reader.read('one'), 'value of one');
    assert.equal(await reader.read('two'), 'value of two');
    await directEventBridge(env).send(new PutEventsCommand({ Entries: [] }));
    endpoint.server.off('connection', count);
    assert.equal(connections, 1);
  });

  it('refuses to sign without credentials or region', async () => {
    await assert.rejects(
      new SecretReader(undefined, { ...env, AWS_ACCESS_KEY_ID: '' }).read('x'),
      /AWS_ACCESS_KEY_ID/,
    );
    await assert.rejects(new SecretReader(undefined, { ...env, AWS_REGION: '' }).read('x'), /AWS_REGION/);
  });
});
