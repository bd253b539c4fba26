/**
 * The apps the HTTP suites test (test/provider/support.ts: memory store, controllable clock)
 * answer the same through `lambdaHandlerForApp` + the bridge as they do directly: what a
 * suite needs to run a second time "through Lambda". Each check compares the direct answer
 * with the answer through REST (v1) and HTTP API (v2) events behind a stage.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { lambdaHandlerForApp } from '../../provider/lambda/app-handler.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { ADMIN_KEY, buildTestApp, type TestApp } from '../provider/support.ts';
import { lambdaBridge } from '../support/lambda-bridge.ts';

describe('an existing app through the Lambda handler', () => {
  let t: TestApp;
  const servers: Server[] = [];
  const bridges: Record<string, { pub: Server; adm: Server }> = {};

  before(async () => {
    t = await buildTestApp(new MemoryStore());
    const pub = lambdaHandlerForApp(t.publicApp, t.deps, { kind: 'public' });
    const adm = lambdaHandlerForApp(t.adminApp, t.deps, { kind: 'admin' });
    for (const format of ['v1', 'v2'] as const) {
      const pair = {
        pub: lambdaBridge(pub, { format, stage: 'prod' }),
        adm: lambdaBridge(adm, { format }),
      };
      servers.push(pair.pub, pair.adm);
      bridges[format] = pair;
    }
  });
  after(async () => {
    for (const server of servers) server.close();
    t.deps.room.close();
    await t.deps.store.close();
  });

  for (const format of ['v1', 'v2'] as const) {
    test(`errors, CORS, headers and bodies survive ${format} events unchanged`, async () => {
      const { pub, adm } = bridges[format]!;

      // 400 unknown event: same status, same JSON, request id header.
      const direct = await request(t.publicHandler).get('/serving_num').query({ event_id: 'nope' });
      const viaLambda = await request(pub).get('/prod/serving_num').query({ event_id: 'nope' });
      assert.equal(viaLambda.status, direct.status);
      assert.deepEqual(viaLambda.body, direct.body);
      assert.ok(viaLambda.headers['x-request-id']);

      // CORS preflight.
      const preflight = await request(pub)
        .options('/prod/assign_queue_num')
        .set('Origin', 'https://shop.example')
        .set('Access-Control-Request-Method', 'POST');
      const directPreflight = await request(t.publicHandler)
        .options('/assign_queue_num')
        .set('Origin', 'https://shop.example')
        .set('Access-Control-Request-Method', 'POST');
      assert.equal(preflight.status, directPreflight.status);
      assert.equal(
        preflight.headers['access-control-allow-origin'],
        directPreflight.headers['access-control-allow-origin'],
      );

      // A JSON body sent as text/plain (the compatible control panel does that), and the
      // visitor cookies: Secure, because the public URL is https.
      const assigned = await request(pub)
        .post('/prod/assign_queue_num')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ event_id: 'noexp' }))
        .expect(200);
      const cookies = assigned.headers['set-cookie'] as unknown as string[];
      assert.equal(cookies.length, 2);
      assert.ok(cookies.every((cookie) => /; Secure/.test(cookie)));

      // Over 16 KiB: 413 as JSON.
      const big = await request(pub)
        .post('/prod/assign_queue_num')
        .send({ event_id: 'noexp', pad: 'x'.repeat(17 * 1024) });
      assert.equal(big.status, 413);
      assert.equal(big.body.code, 'payload_too_large');

      // Admin: 401 without the key, then the key works and the JWKS matches the direct one.
      await request(adm).get('/num_active_tokens').query({ event_id: 'noexp' }).expect(401);
      await request(adm)
        .get('/num_active_tokens')
        .query({ event_id: 'noexp' })
        .set('Authorization', `Bearer ${ADMIN_KEY}`)
        .expect(200, { active_tokens: 0 });
      const jwks = await request(pub).get('/prod/.well-known/jwks.json').expect(200);
      const directJwks = await request(t.publicHandler).get('/.well-known/jwks.json').expect(200);
      assert.deepEqual(jwks.body, directJwks.body);
    });
  }

  test('the dashboard behind an admin API stage puts the stage in front of its assets and API calls', async () => {
    const adm = lambdaHandlerForApp(t.adminApp, t.deps, { kind: 'admin' });
    for (const format of ['v1', 'v2'] as const) {
      const staged = lambdaBridge(adm, { format, stage: 'ops' });
      servers.push(staged);
      const page = await request(staged).get('/ops/').expect(200);
      assert.match(page.text, /data-api-base="\/ops"/);
      assert.match(page.text, /<script src="\/ops\/assets\/dashboard\.js" defer>/);
      await request(staged).get('/ops/assets/dashboard.js').expect(200);
      // And directly, without a stage, nothing is prefixed.
      const direct = await request(t.adminHandler).get('/').expect(200);
      assert.match(direct.text, /data-api-base=""/);
      assert.match(direct.text, /<script src="\/assets\/dashboard\.js" defer>/);
    }
  });
});
