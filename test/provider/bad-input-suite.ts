/**
 * Hostile and sloppy input on every endpoint: missing, wrong-typed, oversized, unicode and
 * injection-shaped parameters answer a 4xx `{"error","code"}` with a stable snake_case code,
 * never a 5xx, and the app keeps serving afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { ADMIN_KEY, type TestApp } from './support.ts';

const AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };
const CODE = /^[a-z][a-z0-9_]*$/;

/** Values no required string parameter accepts. */
const BAD: unknown[] = [
  undefined,
  null,
  42,
  -1.5,
  true,
  [],
  ['main'],
  {},
  { $ne: null },
  '',
  ' ',
  'x'.repeat(5000),
  'év€nt-ünïcødé',
  '😀',
  "main' OR '1'='1",
  '"; DROP TABLE queue; --',
  '{main}',
  'main}:x{',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'main\u0000',
  'main\r\nX-Injected: 1',
  '%00',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, literally
  '${jndi:ldap://x}',
];

/** For GET: how a value travels in a query string. */
function queryString(params: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    // An array is sent as a repeated parameter (twice, so even a one-element array stays a list).
    const values = Array.isArray(value)
      ? [...(value.length ? value : ['']), ...(value.length ? value : [''])]
      : [value];
    for (const item of values) {
      const text = typeof item === 'string' ? item : JSON.stringify(item);
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function assertClientError(res: request.Response, label: string): void {
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${label}: status ${res.status} ${res.text.slice(0, 200)}`,
  );
  assert.deepEqual(Object.keys(res.body).sort(), ['code', 'error'], `${label}: ${res.text.slice(0, 200)}`);
  assert.match(res.body.code, CODE, label);
  assert.ok(!/at .*\.ts:\d+/.test(res.text), `${label}: no stack trace`);
}

export function badInputSuite(app: () => TestApp, realRequestId: () => string): void {
  describe('bad input on every endpoint', () => {
    const pub = () => request(app().publicHandler);
    const adm = () => request(app().adminHandler);

    it('public GET endpoints answer 4xx with a stable code', async () => {
      const id = realRequestId();
      for (const path of [
        '/queue_num',
        '/serving_num',
        '/waiting_num',
        '/public_key',
        '/queue_pos_expiry',
        '/status',
      ]) {
        for (const bad of BAD) {
          const label = `${path} event_id=${JSON.stringify(bad)?.slice(0, 40)}`;
          assertClientError(
            await pub().get(`${path}${queryString({ event_id: bad, request_id: id })}`),
            label,
          );
        }
      }
      for (const path of ['/queue_num', '/queue_pos_expiry', '/status']) {
        for (const bad of BAD) {
          const label = `${path} request_id=${JSON.stringify(bad)?.slice(0, 40)}`;
          assertClientError(
            await pub().get(`${path}${queryString({ event_id: 'main', request_id: bad })}`),
            label,
          );
        }
      }
      for (const bad of BAD.filter((value) => typeof value === 'string' && value !== '')) {
        const path = `/events/${encodeURIComponent(bad as string)}/stream${queryString({ request_id: id })}`;
        assertClientError(await pub().get(path), path.slice(0, 60));
        const wrongId = `/events/main/stream${queryString({ request_id: bad })}`;
        assertClientError(await pub().get(wrongId), wrongId.slice(0, 60));
      }
    });

    it('public POST endpoints answer 4xx with a stable code', async () => {
      const id = realRequestId();
      for (const bad of BAD) {
        const label = JSON.stringify(bad)?.slice(0, 40) ?? 'undefined';
        assertClientError(await pub().post('/assign_queue_num').send({ event_id: bad }), `assign ${label}`);
        assertClientError(
          await pub().post('/generate_token').send({ event_id: bad, request_id: id }),
          `generate_token event ${label}`,
        );
        assertClientError(
          await pub().post('/generate_token').send({ event_id: 'main', request_id: bad }),
          `generate_token request ${label}`,
        );
      }
      for (const raw of [
        '',
        'null',
        '[]',
        '"main"',
        '{',
        '{"event_id":"main"',
        '\u00ff\u00fe',
        'event_id=main',
      ]) {
        for (const path of ['/assign_queue_num', '/generate_token']) {
          const res = await pub().post(path).set('Content-Type', 'application/json').send(raw);
          assertClientError(res, `${path} body ${JSON.stringify(raw)}`);
        }
      }
    });

    it('admin endpoints answer 4xx with a stable code', async () => {
      const id = realRequestId();
      const post = (path: string, body: unknown) =>
        adm()
          .post(path)
          .set(AUTH)
          .send(body as object);
      for (const bad of BAD) {
        const label = JSON.stringify(bad)?.slice(0, 40) ?? 'undefined';
        assertClientError(await post('/generate_token', { event_id: bad, request_id: id }), `gen ${label}`);
        assertClientError(
          await post('/generate_token', { event_id: 'main', request_id: bad }),
          `gen id ${label}`,
        );
        assertClientError(
          await post('/increment_serving_counter', { event_id: bad, increment_by: 1 }),
          `inc ${label}`,
        );
        if (bad !== 42) {
          assertClientError(
            await post('/increment_serving_counter', { event_id: 'main', increment_by: bad }),
            `inc by ${label}`,
          );
        }
        assertClientError(
          await post('/update_session', { event_id: bad, request_id: id, status: 1 }),
          `upd ${label}`,
        );
        assertClientError(
          await post('/update_session', { event_id: 'main', request_id: id, status: bad }),
          `upd s ${label}`,
        );
        assertClientError(await post('/reset_initial_state', { event_id: bad }), `reset ${label}`);
        for (const path of ['/num_active_tokens', '/expired_tokens']) {
          assertClientError(
            await adm()
              .get(`${path}${queryString({ event_id: bad })}`)
              .set(AUTH),
            `${path} ${label}`,
          );
        }
        if (bad !== undefined && bad !== 42 && bad !== null && bad !== '') {
          assertClientError(
            await adm()
              .get(`/expired_tokens${queryString({ event_id: 'main', limit: bad })}`)
              .set(AUTH),
            `expired limit ${label}`,
          );
          assertClientError(
            await adm()
              .get(`/audit${queryString({ limit: bad })}`)
              .set(AUTH),
            `audit ${label}`,
          );
          assertClientError(
            await post('/generate_token', { event_id: 'main', request_id: id, validity_period: bad }),
            `gen validity ${label}`,
          );
          assertClientError(
            await post('/generate_token', { event_id: 'main', request_id: id, issuer: bad }),
            `gen issuer ${label}`,
          );
          assertClientError(
            await adm().put('/events/main').set(AUTH).send({ mode: bad }),
            `put mode ${label}`,
          );
          // An empty inlet patch is a valid no-op.
          if (JSON.stringify(bad) !== '{}')
            assertClientError(
              await adm()
                .put('/events/main')
                .set(AUTH)
                .send({ inlet: bad } as object),
              `put inlet ${label}`,
            );
        }
        if (typeof bad === 'string' && bad !== '') {
          assertClientError(
            await adm()
              .get(`/events/${encodeURIComponent(bad)}`)
              .set(AUTH),
            `get event ${label}`,
          );
          assertClientError(
            await adm()
              .put(`/events/${encodeURIComponent(bad)}`)
              .set(AUTH)
              .send({ mode: 'queue' }),
            `put event ${label}`,
          );
        }
      }
      assertClientError(await adm().put('/events/main').set(AUTH).send({ id: 'other' }), 'put id change');
      assertClientError(await adm().put('/events/main').set(AUTH).send([1]), 'put array');
      assertClientError(
        await adm().get('/expired_tokens?event_id=main&cursor=x').set(AUTH),
        'cursor without limit',
      );
    });

    it('answers 413 for an oversized body on every POST/PUT endpoint, and keeps serving', async () => {
      const big = JSON.stringify({ event_id: 'main', pad: 'é'.repeat(9000) });
      for (const path of ['/assign_queue_num', '/generate_token']) {
        const res = await pub().post(path).set('Content-Type', 'application/json').send(big);
        assert.equal(res.status, 413, path);
        assertClientError(res, path);
      }
      for (const path of [
        '/generate_token',
        '/increment_serving_counter',
        '/update_session',
        '/reset_initial_state',
      ]) {
        const res = await adm().post(path).set(AUTH).set('Content-Type', 'text/plain').send(big);
        assert.equal(res.status, 413, path);
      }
      assert.equal(
        (await adm().put('/events/main').set(AUTH).set('Content-Type', 'application/json').send(big)).status,
        413,
      );
      assert.deepEqual((await pub().get('/healthz').expect(200)).body, { ok: true });
      const after = await pub().post('/assign_queue_num').send({ event_id: 'main' }).expect(200);
      assert.equal(typeof after.body.queue_number, 'number');
      const settings = await adm().get('/events/main').set(AUTH).expect(200);
      assert.equal(settings.body.mode, 'queue', 'no bad PUT changed the event');
    });
  });
}
