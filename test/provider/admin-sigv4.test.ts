/**
 * The admin API accepts AWS SigV4 signatures (service `execute-api`) by the key pairs of
 * `adminSigV4Keys`, checked as API Gateway checks an IAM-authorized API, so the AWS solution's
 * control panel and `awscurl` scripts work unchanged. Requests are signed by two independent
 * signers (aws4fetch, the control panel's; the AWS SDK's `@smithy/signature-v4`) and sent to a
 * real listener.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AwsClient } from 'aws4fetch';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import {
  type Credentials,
  SIGV4_PREFLIGHT_HEADERS,
  type Signed,
  send,
  signWithAws4fetch,
  signWithSmithy,
} from './sigv4-signers.ts';
import { buildTestApp, type TestApp } from './support.ts';

const OPERATOR: Credentials = {
  accessKeyId: 'AKIAANTEROOMOPERATOR',
  secretAccessKey: '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',
};
const EU_ONLY: Credentials = {
  accessKeyId: 'AKIAANTEROOMEUONLY01',
  secretAccessKey: 'Jp3Wx8Kd1Rm6Tq0Zs5Lv9Bn2Hc7Gf4Ya1Ue8Oi3N',
};

type Signer = (credentials: Credentials, options: Parameters<typeof signWithSmithy>[1]) => Promise<Signed>;
const SIGNERS: Array<[string, Signer]> = [
  ['aws4fetch', signWithAws4fetch],
  ['@smithy/signature-v4', signWithSmithy],
];

describe('admin API: AWS SigV4 signatures', () => {
  let t: TestApp;
  let server: Server;
  let base: string;

  const auditedReasons = async () =>
    (await t.deps.store.listAudit(1000))
      .filter((entry) => entry.action === 'admin_auth_failed')
      .map((entry) => (entry.after as { reason: string }).reason);

  before(async () => {
    t = await buildTestApp(new MemoryStore(), {
      adminSigV4Keys: [OPERATOR, { ...EU_ONLY, regions: ['eu-west-1'] }],
      // Every negative below comes from this one client: no throttling in this file.
      limits: { enqueuePerClientPerMinute: 0, adminFailuresPerClientPerMinute: 0 },
    });
    server = createServer(t.adminHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    t.deps.room.close();
  });
  beforeEach(async () => {
    await t.deps.room.reset('main', 'test');
  });

  describe('the control panel’s calls, signed by aws4fetch as the panel signs them', () => {
    // The panel's own code: `new AwsClient({…, service: 'execute-api', region})`, then
    // `aws.fetch(url, {method: 'GET'})` or `aws.fetch(url, {method: 'POST', headers: {},
    // body: JSON.stringify(body)})` — so POST bodies go out as text/plain;charset=UTF-8.
    const panel = () =>
      new AwsClient({ ...OPERATOR, service: 'execute-api', region: 'us-east-1', retries: 0 });

    it('POST /increment_serving_counter with a text/plain JSON body moves the counter', async () => {
      const response = await panel().fetch(`${base}/increment_serving_counter`, {
        method: 'POST',
        headers: {},
        body: JSON.stringify({ event_id: 'main', increment_by: 100 }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { serving_num: 100 });
    });

    it('GET /num_active_tokens and GET /expired_tokens answer the panel’s keys', async () => {
      const active = await panel().fetch(`${base}/num_active_tokens?event_id=main`, { method: 'GET' });
      assert.equal(active.status, 200);
      assert.deepEqual(await active.json(), { active_tokens: 0 });
      const expired = await panel().fetch(`${base}/expired_tokens?event_id=main`, { method: 'GET' });
      assert.equal(expired.status, 200);
      assert.deepEqual(await expired.json(), []);
    });

    it('POST /reset_initial_state resets the event and is audited under the access key id', async () => {
      await t.deps.room.incrementServingCounter('main', 7, 'test');
      const response = await panel().fetch(`${base}/reset_initial_state`, {
        method: 'POST',
        headers: {},
        body: JSON.stringify({ event_id: 'main' }),
      });
      assert.equal(response.status, 200);
      assert.equal(typeof ((await response.json()) as { message: unknown }).message, 'string');
      assert.equal(await t.deps.store.getServingCounter('main'), 0);
      const [latest] = await t.deps.store.listAudit(1);
      assert.equal(latest?.actor, `sigv4:${OPERATOR.accessKeyId}`);
      assert.equal(latest?.action, 'reset_initial_state');
    });

    it('answers the preflight a browser sends before a signed call, without credentials', async () => {
      const response = await fetch(`${base}/increment_serving_counter`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://d111111abcdef8.cloudfront.net',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': SIGV4_PREFLIGHT_HEADERS.join(','),
        },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
      for (const header of SIGV4_PREFLIGHT_HEADERS) assert.ok(allowed.includes(header), header);
      assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    });

    it('refuses temporary credentials (a session token) with a message that says why', async () => {
      const temporary = new AwsClient({
        ...OPERATOR,
        sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
        service: 'execute-api',
        region: 'us-east-1',
        retries: 0,
      });
      const response = await temporary.fetch(`${base}/num_active_tokens?event_id=main`, { method: 'GET' });
      assert.equal(response.status, 401);
      const body = (await response.json()) as { error: string; code: string };
      assert.equal(body.code, 'unauthorized');
      assert.match(body.error, /temporary credentials \(X-Amz-Security-Token\)/);
      assert.deepEqual((await auditedReasons()).slice(0, 1), ['temporary_credentials']);
    });

    it('refuses a presigned URL', async () => {
      const signed = await signWithAws4fetch(OPERATOR, {
        method: 'GET',
        url: `${base}/num_active_tokens?event_id=main`,
        signQuery: true,
      });
      const answer = await send(signed);
      assert.equal(answer.status, 401);
      assert.deepEqual((await auditedReasons()).slice(0, 1), ['query_signature']);
    });
  });

  for (const [name, sign] of SIGNERS) {
    describe(`signed by ${name}`, () => {
      const increment = (by: number, extra: Partial<Parameters<Signer>[1]> = {}, who = OPERATOR) =>
        sign(who, {
          method: 'POST',
          url: `${base}/increment_serving_counter`,
          body: JSON.stringify({ event_id: 'main', increment_by: by }),
          headers: { 'content-type': 'application/json' },
          ...extra,
        });
      const refused = async (signed: Signed, reason: string) => {
        const answer = await send(signed);
        assert.equal(answer.status, 401, JSON.stringify(answer.body));
        assert.equal((answer.body as { code: string }).code, 'unauthorized');
        assert.deepEqual((await auditedReasons()).slice(0, 1), [reason]);
        assert.equal(await t.deps.store.getServingCounter('main'), 0, 'nothing changed');
        return answer;
      };

      it('accepts a signed POST and a signed GET with a query needing encoding', async () => {
        const answer = await send(await increment(3));
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(answer.body, { serving_num: 3 });
        const listed = await send(
          await sign(OPERATOR, {
            method: 'GET',
            url: `${base}/expired_tokens?event_id=main&limit=5&note=a%20b*c'd`,
          }),
        );
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        assert.deepEqual(listed.body, { items: [], next_cursor: null });
      });

      it('accepts an X-Amz-Content-Sha256 that matches the body, and refuses one that does not', async () => {
        const body = JSON.stringify({ event_id: 'main', increment_by: 2 });
        const hash = createHash('sha256').update(body).digest('hex');
        const good = await increment(2, { body, headers: { 'x-amz-content-sha256': hash } });
        assert.equal((await send(good)).status, 200);
        await t.deps.room.reset('main', 'test');
        const other = createHash('sha256').update('{}').digest('hex');
        await refused(
          await increment(2, { body, headers: { 'x-amz-content-sha256': other } }),
          'payload_hash_mismatch',
        );
      });

      it('refuses a wrong secret', async () => {
        await refused(
          await increment(1, {}, { ...OPERATOR, secretAccessKey: `${OPERATOR.secretAccessKey}x` }),
          'signature_mismatch',
        );
      });

      it('refuses an unknown access key id with the same answer as a wrong signature', async () => {
        const stranger = await refused(
          await increment(1, {}, { ...OPERATOR, accessKeyId: 'AKIANOBODYKNOWSTHIS' }),
          'unknown_access_key',
        );
        const wrong = await refused(
          await increment(1, {}, { ...OPERATOR, secretAccessKey: 'x'.repeat(40) }),
          'signature_mismatch',
        );
        assert.deepEqual(stranger.body, wrong.body);
      });

      it('refuses a body changed after signing', async () => {
        const signed = await increment(1);
        // The SDK's signer also sends the body's hash (X-Amz-Content-Sha256); aws4fetch does not.
        const reason = signed.headers['x-amz-content-sha256']
          ? 'payload_hash_mismatch'
          : 'signature_mismatch';
        const body = JSON.stringify({ event_id: 'main', increment_by: 1000 });
        await refused({ ...signed, body }, reason);
      });

      it('refuses a changed path and a changed query', async () => {
        const signed = await sign(OPERATOR, {
          method: 'GET',
          url: `${base}/num_active_tokens?event_id=main`,
        });
        await refused({ ...signed, url: `${base}/expired_tokens?event_id=main` }, 'signature_mismatch');
        await refused({ ...signed, url: `${base}/num_active_tokens?event_id=noexp` }, 'signature_mismatch');
        await refused(
          { ...signed, url: `${base}/num_active_tokens?event_id=main&limit=1` },
          'signature_mismatch',
        );
      });

      it('refuses a changed method and a changed signed header', async () => {
        const signed = await increment(1);
        await refused({ ...signed, method: 'PUT' }, 'signature_mismatch');
        const get = await sign(OPERATOR, { method: 'GET', url: `${base}/num_active_tokens?event_id=main` });
        const port = new URL(base).port;
        await refused(
          { ...get, headers: { ...get.headers, host: `localhost:${port}` } },
          'signature_mismatch',
        );
      });

      it('refuses a date more than 5 minutes old or ahead, and accepts one 4 minutes old', async () => {
        const now = Date.now();
        await refused(await increment(1, { date: new Date(now - 6 * 60_000) }), 'signature_expired');
        await refused(await increment(1, { date: new Date(now + 6 * 60_000) }), 'signature_expired');
        assert.equal((await send(await increment(1, { date: new Date(now - 4 * 60_000) }))).status, 200);
      });

      it('refuses an x-amz-* header added after signing, which the signature should have covered', async () => {
        const signed = await increment(1);
        await refused(
          { ...signed, headers: { ...signed.headers, 'x-amz-target': 'AnteroomAdmin.Reset' } },
          'unsigned_header',
        );
      });

      it('refuses a signature whose SignedHeaders leave out x-amz-date or host', async () => {
        const signed = await increment(1);
        const auth = signed.headers.authorization ?? '';
        const list = /SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '';
        for (const dropped of ['x-amz-date', 'host']) {
          const fewer = list
            .split(';')
            .filter((name) => name !== dropped)
            .join(';');
          const headers = { ...signed.headers, authorization: auth.replace(list, fewer) };
          await refused({ ...signed, headers }, 'unsigned_header');
        }
      });

      it('refuses a signature for another service, and a credential date unlike X-Amz-Date', async () => {
        await refused(await increment(1, { service: 's3' }), 'credential_scope');
        const signed = await increment(1);
        const auth = signed.headers.authorization ?? '';
        const headers = { ...signed.headers, authorization: auth.replace(/\/(\d{8})\//, '/19990101/') };
        await refused({ ...signed, headers }, 'credential_scope');
      });

      it('holds a key to its regions', async () => {
        await refused(await increment(1, { region: 'us-east-1' }, EU_ONLY), 'region_not_allowed');
        assert.equal((await send(await increment(1, { region: 'eu-west-1' }, EU_ONLY))).status, 200);
      });
    });
  }

  it('refuses a malformed signature and never logs or audits a secret or a signature', async () => {
    const signed = await signWithSmithy(OPERATOR, {
      method: 'POST',
      url: `${base}/increment_serving_counter`,
      body: '{"event_id":"main","increment_by":1}',
    });
    const auth = signed.headers.authorization ?? '';
    const garbled = await send({
      ...signed,
      headers: { ...signed.headers, authorization: auth.replace('Signature=', 'Signature=zz') },
    });
    assert.equal(garbled.status, 401);
    assert.deepEqual((await auditedReasons()).slice(0, 1), ['malformed_signature']);
    const wrong = await signWithSmithy(
      { ...OPERATOR, secretAccessKey: 'y'.repeat(40) },
      {
        method: 'GET',
        url: `${base}/num_active_tokens?event_id=main`,
      },
    );
    await send(wrong);
    const trail = JSON.stringify(await t.deps.store.listAudit(1000));
    const signature = /Signature=([0-9a-f]+)/.exec(wrong.headers.authorization ?? '')?.[1] ?? '';
    assert.ok(signature.length === 64);
    for (const secret of [OPERATOR.secretAccessKey, 'y'.repeat(40), signature])
      assert.ok(!trail.includes(secret));
    const entry = (await t.deps.store.listAudit(1))[0];
    assert.equal(entry?.actor, 'client:127.0.0.1');
    assert.deepEqual(entry?.after, {
      reason: 'signature_mismatch',
      scheme: 'sigv4',
      method: 'GET',
      path: '/num_active_tokens',
      access_key_id: OPERATOR.accessKeyId,
    });
  });
});
