/**
 * The HTTP contract of API.md §1 and §2, run once per store kind (memory, Redis) by the
 * `api.<store>.test.ts` files: every row with its success answer and its listed errors.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt, importJWK, jwtVerify } from 'jose';
import request from 'supertest';
import { openStreamCount } from '../../provider/api/status-stream.ts';
import type { QueueStore } from '../../queue-core/types.ts';
import { badInputSuite } from './bad-input-suite.ts';
import {
  ADMIN_KEY,
  buildTestApp,
  type LambdaFormat,
  PUBLIC_URL,
  type StoreKind,
  TEST_EVENTS,
  type TestApp,
} from './support.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NEVER_ISSUED = '00000000-0000-4000-8000-000000000000';
const AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };

/** `lambda`: run every request through the Lambda handlers as API Gateway events of that format. */
export function apiSuite(kind: StoreKind, options: { lambda?: LambdaFormat } = {}): void {
  const through = options.lambda ? `, through Lambda ${options.lambda}` : '';
  describe(`queue API over HTTP (${kind.name} store${through})`, { skip: kind.skip }, () => {
    let store: QueueStore;
    let t: TestApp;
    const pub = () => request(t.publicHandler);
    const adm = () => request(t.adminHandler);

    const enqueue = async (eventId = 'main') => {
      const res = await pub().post('/assign_queue_num').send({ event_id: eventId }).expect(200);
      return res.body as { api_request_id: string; queue_number: number };
    };
    const increment = (by: number, eventId = 'main') =>
      adm()
        .post('/increment_serving_counter')
        .set(AUTH)
        .send({ event_id: eventId, increment_by: by })
        .expect(200);
    const token = (requestId: string, eventId = 'main') =>
      pub().post('/generate_token').send({ event_id: eventId, request_id: requestId });

    before(async () => {
      store = await kind.create();
      t = await buildTestApp(store, {}, { lambda: options.lambda });
    });
    after(async () => {
      t.deps.room.close();
      await store.close();
      await kind.stop();
    });
    beforeEach(async () => {
      for (const event of TEST_EVENTS) await t.deps.room.reset(event.id, 'test');
    });

    describe('POST /assign_queue_num', () => {
      it('assigns positions 1, 2, … synchronously and never caches the answer', async () => {
        const first = await pub().post('/assign_queue_num').send({ event_id: 'main' }).expect(200);
        assert.match(first.body.api_request_id, UUID);
        assert.equal(first.body.queue_number, 1);
        assert.equal(first.headers['cache-control'], 'no-store');
        assert.equal(first.headers['access-control-allow-origin'], '*');
        assert.ok(first.headers['x-request-id']);
        const second = await enqueue();
        assert.equal(second.queue_number, 2);
        assert.notEqual(second.api_request_id, first.body.api_request_id);
      });

      it('sets an HttpOnly, SameSite=Lax, Secure visitor cookie and the per-event request cookie', async () => {
        const res = await pub().post('/assign_queue_num').send({ event_id: 'main' }).expect(200);
        const cookies = res.headers['set-cookie'] as unknown as string[];
        const visitor = cookies.find((c) => c.startsWith('anteroom_vid='));
        const perEvent = cookies.find((c) => c.startsWith('ar_rq_main='));
        assert.ok(
          visitor && /HttpOnly/.test(visitor) && /SameSite=Lax/.test(visitor) && /Secure/.test(visitor),
        );
        assert.ok(perEvent?.startsWith(`ar_rq_main=${res.body.api_request_id};`));
      });

      it('is idempotent per visitor cookie and per Idempotency-Key', async () => {
        const first = await pub().post('/assign_queue_num').send({ event_id: 'main' }).expect(200);
        const cookie = (first.headers['set-cookie'] as unknown as string[])
          .find((c) => c.startsWith('anteroom_vid='))!
          .split(';')[0]!;
        const again = await pub()
          .post('/assign_queue_num')
          .set('Cookie', cookie)
          .send({ event_id: 'main' })
          .expect(200);
        assert.deepEqual(again.body, first.body);

        const keyed = await pub()
          .post('/assign_queue_num')
          .set('Idempotency-Key', 'k-1-0123456789abcdefghijkl')
          .send({ event_id: 'main' });
        const keyedAgain = await pub()
          .post('/assign_queue_num')
          .set('Idempotency-Key', 'k-1-0123456789abcdefghijkl')
          .send({ event_id: 'main' });
        assert.deepEqual(keyedAgain.body, keyed.body);
        assert.equal(keyed.body.queue_number, 2);
        const other = await pub()
          .post('/assign_queue_num')
          .set('Idempotency-Key', 'k-2-0123456789abcdefghijkl')
          .send({ event_id: 'main' });
        assert.equal(other.body.queue_number, 3);
      });

      it('accepts a JSON body sent as text/plain', async () => {
        const res = await pub()
          .post('/assign_queue_num')
          .set('Content-Type', 'text/plain;charset=UTF-8')
          .send(JSON.stringify({ event_id: 'main' }))
          .expect(200);
        assert.equal(res.body.queue_number, 1);
      });

      it('answers 400 invalid_event_id for an unknown or missing event, 403 event_closed when closed', async () => {
        const unknown = await pub().post('/assign_queue_num').send({ event_id: 'nope' }).expect(400);
        assert.deepEqual(unknown.body, { error: 'Invalid event ID', code: 'invalid_event_id' });
        const missing = await pub().post('/assign_queue_num').send({}).expect(400);
        assert.equal(missing.body.code, 'invalid_event_id');
        const closed = await pub().post('/assign_queue_num').send({ event_id: 'shut' }).expect(403);
        assert.equal(closed.body.code, 'event_closed');
        // Nothing was used up by the refusals.
        assert.equal((await enqueue()).queue_number, 1);
      });

      it('answers 413 for a body over 16 KiB, 400 for malformed JSON or a non-object body', async () => {
        const big = await pub()
          .post('/assign_queue_num')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ event_id: 'main', pad: 'x'.repeat(17_000) }))
          .expect(413);
        assert.equal(big.body.code, 'payload_too_large');
        const bad = await pub()
          .post('/assign_queue_num')
          .set('Content-Type', 'application/json')
          .send('{"event_id":');
        assert.equal(bad.status, 400);
        assert.equal(bad.body.code, 'invalid_json');
        const list = await pub()
          .post('/assign_queue_num')
          .set('Content-Type', 'application/json')
          .send('["main"]');
        assert.equal(list.body.code, 'invalid_body');
        const xml = await pub().post('/assign_queue_num').set('Content-Type', 'application/xml').send('<a/>');
        assert.equal(xml.status, 415);
        assert.equal(xml.body.code, 'unsupported_media_type');
      });
    });

    describe('GET /queue_num', () => {
      it('answers the position, entry time, event id and status 1', async () => {
        const entry = await enqueue();
        const res = await pub()
          .get('/queue_num')
          .query({ event_id: 'main', request_id: entry.api_request_id })
          .expect(200);
        assert.deepEqual(res.body, {
          queue_number: 1,
          entry_time: t.clock.seconds,
          event_id: 'main',
          status: 1,
        });
      });

      it('answers 400 for a malformed request id or unknown event, 404 for one never issued', async () => {
        const entry = await enqueue();
        const malformed = await pub()
          .get('/queue_num')
          .query({ event_id: 'main', request_id: 'abc' })
          .expect(400);
        assert.equal(malformed.body.code, 'invalid_request_id');
        const unknownEvent = await pub()
          .get('/queue_num')
          .query({ event_id: 'other', request_id: entry.api_request_id })
          .expect(400);
        assert.equal(unknownEvent.body.code, 'invalid_event_id');
        const never = await pub()
          .get('/queue_num')
          .query({ event_id: 'main', request_id: NEVER_ISSUED })
          .expect(404);
        assert.deepEqual(never.body, { error: 'Request ID not found', code: 'request_not_found' });
        // The id belongs to another event there.
        await pub()
          .get('/queue_num')
          .query({ event_id: 'noexp', request_id: entry.api_request_id })
          .expect(404);
      });
    });

    describe('GET /serving_num and GET /waiting_num', () => {
      it('answer integers a CDN may cache for a second', async () => {
        await enqueue();
        await enqueue();
        const serving = await pub().get('/serving_num').query({ event_id: 'main' }).expect(200);
        assert.deepEqual(serving.body, { serving_counter: 0 });
        assert.equal(serving.headers['cache-control'], 'public, max-age=1');
        await increment(1);
        const moved = await pub().get('/serving_num').query({ event_id: 'main' }).expect(200);
        assert.deepEqual(moved.body, { serving_counter: 1 });
        const waiting = await pub().get('/waiting_num').query({ event_id: 'main' }).expect(200);
        assert.deepEqual(waiting.body, { waiting_num: 2 });
        assert.equal(waiting.headers['cache-control'], 'public, max-age=1');
      });

      it('answer 400 invalid_event_id for an unknown event', async () => {
        for (const path of ['/serving_num', '/waiting_num']) {
          const res = await pub().get(path).query({ event_id: 'nope' }).expect(400);
          assert.deepEqual(res.body, { error: 'Invalid event ID', code: 'invalid_event_id' });
        }
      });

      it('waiting_num = positions − tokens issued − positions expired', async () => {
        const a = await enqueue();
        await enqueue();
        await enqueue();
        await increment(1);
        await token(a.api_request_id).expect(200);
        t.clock.advance(2); // past the micro-cache
        const res = await pub().get('/waiting_num').query({ event_id: 'main' }).expect(200);
        assert.equal(res.body.waiting_num, 2);
      });
    });

    describe('POST /generate_token', () => {
      it('answers 202 not_yet before the turn, then the token set; re-issue keeps the claims', async () => {
        const entry = await enqueue();
        const early = await token(entry.api_request_id).expect(202);
        assert.equal(early.body.code, 'not_yet');
        assert.equal(typeof early.body.error, 'string');
        await increment(1);
        const res = await token(entry.api_request_id).expect(200);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.equal(res.body.token_type, 'Bearer');
        assert.equal(res.body.expires_in, 3600);
        for (const name of ['access_token', 'refresh_token', 'id_token'])
          assert.equal(typeof res.body[name], 'string');
        t.clock.advance(5);
        const again = await token(entry.api_request_id).expect(200);
        const first = decodeJwt(res.body.access_token);
        const second = decodeJwt(again.body.access_token);
        const { jti: jti1, ...claims1 } = first;
        const { jti: jti2, ...claims2 } = second;
        assert.deepEqual(claims2, claims1);
        assert.equal(claims1.iss, PUBLIC_URL);
      });

      it('ignores issuer and validity_period on the public API', async () => {
        const entry = await enqueue();
        await increment(1);
        const res = await pub()
          .post('/generate_token')
          .send({
            event_id: 'main',
            request_id: entry.api_request_id,
            issuer: 'https://evil.test',
            validity_period: 5,
          })
          .expect(200);
        const claims = decodeJwt(res.body.access_token);
        assert.equal(claims.iss, PUBLIC_URL);
        assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
      });

      it('answers 404 for a request id never issued, 400 for a malformed one or an unknown event', async () => {
        assert.equal((await token(NEVER_ISSUED).expect(404)).body.code, 'request_not_found');
        assert.equal((await token('not-a-uuid').expect(400)).body.code, 'invalid_request_id');
        assert.equal((await token(NEVER_ISSUED, 'nope').expect(400)).body.code, 'invalid_event_id');
      });

      it('answers 410 position_expired after the claim window and session_ended after update_session', async () => {
        const late = await enqueue();
        const ended = await enqueue();
        await increment(2);
        await token(ended.api_request_id).expect(200);
        await adm()
          .post('/update_session')
          .set(AUTH)
          .send({ event_id: 'main', request_id: ended.api_request_id, status: -1 })
          .expect(200);
        assert.equal((await token(ended.api_request_id).expect(410)).body.code, 'session_ended');
        t.clock.advance(901);
        assert.equal((await token(late.api_request_id).expect(410)).body.code, 'position_expired');
      });

      it('admits at once in a passthrough event; max-size admits no more than maxActive', async () => {
        const open = await enqueue('open');
        await token(open.api_request_id, 'open').expect(200);

        const a = await enqueue('max');
        const b = await enqueue('max');
        await increment(2, 'max');
        await token(a.api_request_id, 'max').expect(200);
        const full = await token(b.api_request_id, 'max').expect(202);
        assert.equal(full.body.code, 'not_yet');
        assert.equal(full.body.reason, 'full');
      });
    });

    describe('the AWS sample client sequence', () => {
      it('assign → queue_num → poll serving_num → generate_token, verified with /public_key', async () => {
        const assigned = await pub().post('/assign_queue_num').send({ event_id: 'main' }).expect(200);
        const requestId = assigned.body.api_request_id as string;
        const position = await pub()
          .get('/queue_num')
          .query({ event_id: 'main', request_id: requestId })
          .expect(200);
        const myPosition = Number.parseInt(String(position.body.queue_number), 10);
        let serving = 0;
        for (let poll = 0; poll < 3 && serving < myPosition; poll++) {
          const res = await pub().get('/serving_num').query({ event_id: 'main' }).expect(200);
          serving = Number.parseInt(String(res.body.serving_counter), 10);
          if (serving < myPosition) await increment(1);
          t.clock.ms += 1000; // let the micro-cache expire between polls
        }
        assert.ok(serving >= myPosition);
        const tokens = await token(requestId).expect(200);

        const jwk = (await pub().get('/public_key').query({ event_id: 'main' }).expect(200)).body;
        assert.ok(jwk.kty && jwk.alg && jwk.kid);
        assert.equal(jwk.d, undefined, 'no private member');
        const key = await importJWK(jwk, jwk.alg);
        const { payload, protectedHeader } = await jwtVerify(tokens.body.access_token, key, {
          issuer: PUBLIC_URL,
          audience: 'main',
          currentDate: new Date(t.clock.seconds * 1000),
        });
        assert.equal(protectedHeader.kid, jwk.kid);
        assert.equal(payload.sub, requestId);
        assert.equal(payload.queue_position, myPosition);
        assert.equal(payload.token_use, 'access');
        assert.equal(payload.nbf, payload.iat);
        assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
        assert.equal(typeof payload.jti, 'string');
      });
    });

    describe('GET /public_key and GET /.well-known/jwks.json', () => {
      it('publish the admission key as a bare JWK and inside the JWKS', async () => {
        const jwk = (await pub().get('/public_key').query({ event_id: 'main' }).expect(200)).body;
        const set = (await pub().get('/.well-known/jwks.json').expect(200)).body;
        assert.ok(set.keys.some((k: { kid: string }) => k.kid === jwk.kid));
        for (const k of set.keys) assert.equal(k.d, undefined);
        const bad = await pub().get('/public_key').query({ event_id: 'nope' }).expect(400);
        assert.equal(bad.body.code, 'invalid_event_id');
      });
    });

    describe('GET /queue_pos_expiry', () => {
      it('202 before the turn, seconds left once served, 202 after the claim, 410 once expired', async () => {
        const a = await enqueue();
        const b = await enqueue();
        const q = (id: string, event = 'main') =>
          pub().get('/queue_pos_expiry').query({ event_id: event, request_id: id });
        assert.equal((await q(a.api_request_id).expect(202)).body.code, 'not_yet');
        await increment(2);
        assert.deepEqual((await q(a.api_request_id).expect(200)).body, { expires_in: 900 });
        t.clock.advance(100);
        assert.deepEqual((await q(a.api_request_id).expect(200)).body, { expires_in: 800 });
        await token(a.api_request_id).expect(200);
        assert.equal((await q(a.api_request_id).expect(202)).body.code, 'claimed');
        t.clock.advance(801);
        assert.equal((await q(b.api_request_id).expect(410)).body.code, 'position_expired');
        assert.equal((await q(NEVER_ISSUED).expect(404)).body.code, 'request_not_found');
        assert.equal((await q('x').expect(400)).body.code, 'invalid_request_id');
        const off = await enqueue('noexp');
        assert.equal((await q(off.api_request_id, 'noexp').expect(202)).body.code, 'expiry_off');
      });
    });

    describe('GET /status', () => {
      it('answers everything a waiting page needs, private to the visitor', async () => {
        await enqueue();
        const me = await enqueue();
        await enqueue();
        const res = await pub()
          .get('/status')
          .query({ event_id: 'main', request_id: me.api_request_id })
          .expect(200);
        assert.equal(res.headers['cache-control'], 'private, max-age=1');
        assert.equal(res.body.queue_number, 2);
        assert.equal(res.body.serving_counter, 0);
        assert.equal(res.body.waiting_num, 3);
        assert.equal(res.body.ahead, 1);
        assert.equal(res.body.eligible, false);
        assert.equal(res.body.eta_seconds, null, 'unknown before the counter ever moved');
        assert.equal(res.body.expires_in, null);
        assert.equal(res.body.mode, 'queue');
        assert.equal(res.body.state, 'waiting');

        await increment(2);
        const served = await pub()
          .get('/status')
          .query({ event_id: 'main', request_id: me.api_request_id })
          .expect(200);
        assert.equal(served.body.eligible, true);
        assert.equal(served.body.ahead, 0);
        assert.equal(served.body.expires_in, 900);
        assert.equal(served.body.eta_seconds, 0);
        assert.equal(served.body.state, 'eligible');
      });

      it('estimates the wait once the counter has moved at a known pace', async () => {
        for (let i = 0; i < 12; i++) await enqueue();
        const last = (await enqueue()).api_request_id;
        await increment(2);
        t.clock.advance(10);
        await increment(2);
        t.clock.advance(10);
        await increment(2);
        t.clock.ms += 2000;
        const res = await pub().get('/status').query({ event_id: 'main', request_id: last }).expect(200);
        assert.equal(res.body.queue_number, 13);
        assert.equal(res.body.ahead, 6);
        assert.equal(typeof res.body.eta_seconds, 'number');
        assert.ok(res.body.eta_seconds > 0, `eta ${res.body.eta_seconds}`);
      });

      it('answers 400 and 404 like queue_num', async () => {
        await pub().get('/status').query({ event_id: 'main', request_id: NEVER_ISSUED }).expect(404);
        await pub().get('/status').query({ event_id: 'main' }).expect(400);
        await pub().get('/status').query({ event_id: 'nope', request_id: NEVER_ISSUED }).expect(400);
      });
    });

    describe('GET /events/{event_id}/stream', () => {
      let server: Server;
      let base: string;
      before(async () => {
        server = createServer(t.publicHandler);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      });
      after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      });

      const liveStream = options.lambda
        ? 'API Gateway buffers whole responses: on Lambda the stream answers one snapshot (test/lambda)'
        : false;
      it('sends headers at once, a status event on connect and another when the turn comes', {
        skip: liveStream,
      }, async () => {
        const me = await enqueue();
        const controller = new AbortController();
        const res = await fetch(`${base}/events/main/stream?request_id=${me.api_request_id}`, {
          signal: controller.signal,
        });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
        assert.equal(res.headers.get('x-accel-buffering'), 'no');
        assert.ok(res.headers.get('x-request-id'));
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        const nextEvent = async () => {
          for (;;) {
            const end = text.indexOf('\n\n', text.indexOf('event: status'));
            if (text.includes('event: status') && end >= 0) {
              const block = text.slice(text.indexOf('event: status'), end);
              text = text.slice(end + 2);
              return JSON.parse(
                block
                  .split('\n')
                  .find((line) => line.startsWith('data: '))!
                  .slice(6),
              );
            }
            const chunk = await reader.read();
            if (chunk.done) throw new Error('stream ended');
            text += decoder.decode(chunk.value, { stream: true });
          }
        };
        const first = await nextEvent();
        assert.equal(first.state, 'waiting');
        assert.equal(first.queue_number, 1);
        await increment(1);
        const second = await nextEvent();
        assert.equal(second.state, 'eligible');
        assert.equal(second.serving_counter, 1);
        // Heartbeat comments keep proxies from closing an idle stream.
        while (!text.includes(': heartbeat')) {
          const chunk = await reader.read();
          if (chunk.done) throw new Error('stream ended');
          text += decoder.decode(chunk.value, { stream: true });
        }
        controller.abort();
        // The server notices the client leaving and drops the subscription (bounded wait).
        for (let attempt = 0; attempt < 100 && openStreamCount() > 0; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(openStreamCount(), 0);
      });

      it('says the place is gone after a reset when the process read the event before the visitor joined', {
        skip: liveStream,
      }, async () => {
        // The first stream of an event nobody else streams here, so what its followers were
        // told of is this snapshot: read (the queue empty) before the visitor joins. An enqueue
        // does not drop it and the test's clock keeps it fresh, so the stream opens on it, and
        // the reset leaves the queue counter where it shows it (0).
        await pub().get('/serving_num').query({ event_id: 'noexp' }).expect(200);
        const me = await enqueue('noexp');
        const controller = new AbortController();
        const res = await fetch(`${base}/events/noexp/stream?request_id=${me.api_request_id}`, {
          signal: controller.signal,
        });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        while (!text.includes('event: status')) {
          const chunk = await reader.read();
          if (chunk.done) throw new Error('stream ended');
          text += decoder.decode(chunk.value, { stream: true });
        }
        await adm().post('/reset_initial_state').set(AUTH).send({ event_id: 'noexp' }).expect(200);
        const late = setTimeout(() => controller.abort(), 10_000);
        try {
          for (;;) {
            const chunk = await reader.read();
            if (chunk.done) break;
            text += decoder.decode(chunk.value, { stream: true });
          }
        } catch {
          assert.fail('the stream was not ended within 10 s of the reset');
        } finally {
          clearTimeout(late);
        }
        assert.match(text, /event: gone\ndata: \{"code":"request_not_found"\}/);
      });

      it('answers 400 and 404 as JSON before any stream opens', async () => {
        const missing = await fetch(`${base}/events/main/stream?request_id=${NEVER_ISSUED}`);
        assert.equal(missing.status, 404);
        assert.equal(((await missing.json()) as { code: string }).code, 'request_not_found');
        const bad = await fetch(`${base}/events/nope/stream?request_id=${NEVER_ISSUED}`);
        assert.equal(bad.status, 400);
        assert.equal(((await bad.json()) as { code: string }).code, 'invalid_event_id');
      });
    });

    describe('GET /healthz, CORS, unknown paths', () => {
      it('reports health on both apps without a key', async () => {
        assert.deepEqual((await pub().get('/healthz').expect(200)).body, { ok: true });
        assert.deepEqual((await adm().get('/healthz').expect(200)).body, { ok: true });
      });

      it('answers preflights on both apps, before authentication', async () => {
        const res = await pub()
          .options('/assign_queue_num')
          .set('Origin', 'https://shop.example')
          .set('Access-Control-Request-Method', 'POST')
          .expect(204);
        assert.equal(res.headers['access-control-allow-origin'], '*');
        assert.match(res.headers['access-control-allow-methods'] ?? '', /POST/);
        assert.match(res.headers['access-control-allow-headers'] ?? '', /Content-Type/);
        const admin = await adm().options('/increment_serving_counter').expect(204);
        assert.match(admin.headers['access-control-allow-headers'] ?? '', /Authorization/);
      });

      it('answers JSON 404 for an unknown API path and 405 for a wrong method', async () => {
        const res = await adm().get('/nope').set(AUTH).expect(404);
        assert.deepEqual(res.body, { error: 'Not found', code: 'not_found' });
        const wrong = await pub().get('/assign_queue_num').expect(405);
        assert.equal(wrong.body.code, 'method_not_allowed');
      });

      it('answers 405 with Allow, not 501, for a method no route knows (found by test/hostile/fuzz.test.ts)', async () => {
        for (const method of ['TRACE', 'PROPFIND']) {
          const unknown = await request(t.publicHandler)
            [method.toLowerCase() as 'trace' | 'propfind']('/assign_queue_num')
            .expect(405);
          assert.equal(unknown.body.code, 'method_not_allowed');
          assert.match(unknown.headers.allow ?? '', /POST/);
          const admin = await request(t.adminHandler)
            [method.toLowerCase() as 'trace' | 'propfind']('/increment_serving_counter')
            .set(AUTH)
            .expect(405);
          assert.equal(admin.body.code, 'method_not_allowed');
        }
      });
    });

    describe('admin authentication', () => {
      it('answers 401 unauthorized for a missing or wrong key, on every admin route', async () => {
        const routes: [string, string][] = [
          ['post', '/generate_token'],
          ['post', '/increment_serving_counter'],
          ['get', '/num_active_tokens'],
          ['get', '/expired_tokens'],
          ['post', '/update_session'],
          ['post', '/reset_initial_state'],
          ['get', '/events'],
          ['get', '/events/main'],
          ['put', '/events/main'],
          ['get', '/metrics'],
          ['get', '/audit'],
        ];
        for (const [method, path] of routes) {
          // Each route's two failures in a minute of their own: failures are slowed per client.
          t.clock.advance(60);
          const call = (adm() as unknown as Record<string, (p: string) => request.Test>)[method]!(path);
          const none = await call.send({ event_id: 'main' });
          assert.equal(none.status, 401, `${method} ${path}`);
          assert.deepEqual(Object.keys(none.body).sort(), ['code', 'error']);
          assert.equal(none.body.code, 'unauthorized');
          const wrong = await (adm() as unknown as Record<string, (p: string) => request.Test>)[method]!(path)
            .set('Authorization', `Bearer ${ADMIN_KEY}x`)
            .send({ event_id: 'main' });
          assert.equal(wrong.status, 401, `${method} ${path}`);
        }
        t.clock.advance(60);
        assert.equal((await increment(0)).body.serving_num, 0);
      });
    });

    describe('POST /increment_serving_counter', () => {
      it('answers the new value; the counter never goes below 0', async () => {
        assert.deepEqual((await increment(5)).body, { serving_num: 5 });
        assert.deepEqual((await increment(-3)).body, { serving_num: 2 });
        assert.deepEqual((await increment(-10)).body, { serving_num: 0 });
      });

      it('answers the first result again for the same Idempotency-Key, and moves nothing twice', async () => {
        const key = `retry-${randomUUID()}`;
        const send = (path: string, body: object, idempotencyKey = key) =>
          adm().post(path).set(AUTH).set('Idempotency-Key', idempotencyKey).send(body);
        const first = await send('/increment_serving_counter', { event_id: 'main', increment_by: 5 }).expect(
          200,
        );
        assert.deepEqual(first.body, { serving_num: 5 });
        const again = await send('/increment_serving_counter', { event_id: 'main', increment_by: 5 }).expect(
          200,
        );
        assert.deepEqual(again.body, { serving_num: 5 });
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.deepEqual((await increment(0)).body, { serving_num: 5 }, 'moved once');
        // Another call is another key; bad input frees the key for the corrected request.
        const other = `bad-${randomUUID()}`;
        await send('/increment_serving_counter', { event_id: 'main', increment_by: 1.5 }, other).expect(400);
        await send('/increment_serving_counter', { event_id: 'main', increment_by: 1 }, other).expect(200);
        await send('/increment_serving_counter', { event_id: 'main', increment_by: 1 }, other).expect(200);
        assert.deepEqual((await increment(0)).body, { serving_num: 6 });
        const reset = await send('/reset_initial_state', { event_id: 'main' }).expect(200);
        await enqueue();
        await send('/reset_initial_state', { event_id: 'main' }).expect(200);
        assert.equal(reset.body.message.includes('main'), true);
        assert.equal((await enqueue()).queue_number, 2, 'the replayed reset cleared nothing');
        const put = () =>
          adm().put('/events/main').set(AUTH).set('Idempotency-Key', key).send({ mode: 'queue' });
        assert.equal((await put().expect(200)).headers['idempotent-replayed'], undefined);
        await put().expect(200);
        const invalid = await send(
          '/increment_serving_counter',
          { event_id: 'main', increment_by: 1 },
          'no spaces',
        );
        assert.equal(invalid.status, 400);
        assert.equal(invalid.body.code, 'invalid_idempotency_key');
      });

      it('accepts the control panel text/plain body', async () => {
        const res = await adm()
          .post('/increment_serving_counter')
          .set(AUTH)
          .set('Content-Type', 'text/plain;charset=UTF-8')
          .send(JSON.stringify({ event_id: 'main', increment_by: 100 }))
          .expect(200);
        assert.equal(res.body.serving_num, 100);
      });

      it('answers 400 invalid_increment for a non-integer or out-of-range value', async () => {
        for (const by of [1.5, '5', null, 1_000_000_001, -1_000_000_001, [1], { n: 1 }, true]) {
          const res = await adm()
            .post('/increment_serving_counter')
            .set(AUTH)
            .send({ event_id: 'main', increment_by: by });
          assert.equal(res.status, 400, JSON.stringify(by));
          assert.equal(res.body.code, 'invalid_increment');
        }
        const res = await adm()
          .post('/increment_serving_counter')
          .set(AUTH)
          .send({ event_id: 'nope', increment_by: 1 })
          .expect(400);
        assert.equal(res.body.code, 'invalid_event_id');
        assert.deepEqual((await increment(0)).body, { serving_num: 0 }, 'nothing moved');
      });
    });

    describe('admin token and session endpoints', () => {
      it('admin generate_token honours issuer and validity_period for that call only', async () => {
        const a = await enqueue();
        const b = await enqueue();
        await increment(2);
        const custom = await adm()
          .post('/generate_token')
          .set(AUTH)
          .send({
            event_id: 'main',
            request_id: a.api_request_id,
            issuer: 'https://oidc.example',
            validity_period: 60,
          })
          .expect(200);
        assert.equal(custom.body.expires_in, 60);
        const claims = decodeJwt(custom.body.access_token);
        assert.equal(claims.iss, 'https://oidc.example');
        assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 60);
        // Not sticky: the next request id gets the defaults.
        const plain = await adm()
          .post('/generate_token')
          .set(AUTH)
          .send({ event_id: 'main', request_id: b.api_request_id });
        assert.equal(plain.status, 200);
        const plainClaims = decodeJwt(plain.body.access_token);
        assert.equal(plainClaims.iss, PUBLIC_URL);
        assert.equal((plainClaims.exp ?? 0) - (plainClaims.iat ?? 0), 3600);
        // The first issuance's claims win on a re-issue through the public API.
        assert.equal(
          decodeJwt((await token(a.api_request_id).expect(200)).body.access_token).iss,
          'https://oidc.example',
        );
      });

      it('admin generate_token validates issuer and validity_period, and answers like the public one', async () => {
        const a = await enqueue();
        const gen = (body: Record<string, unknown>) => adm().post('/generate_token').set(AUTH).send(body);
        assert.equal((await gen({ event_id: 'main', request_id: a.api_request_id })).status, 202);
        for (const issuer of ['not a url', 'ftp://x', 5]) {
          const res = await gen({ event_id: 'main', request_id: a.api_request_id, issuer });
          assert.equal(res.body.code, 'invalid_issuer');
        }
        for (const validity of [0, -1, 1.5, '60', 40_000_000]) {
          const res = await gen({
            event_id: 'main',
            request_id: a.api_request_id,
            validity_period: validity,
          });
          assert.equal(res.body.code, 'invalid_validity_period');
        }
        assert.equal((await gen({ event_id: 'main', request_id: NEVER_ISSUED })).status, 404);
      });

      it('num_active_tokens, update_session and expired_tokens follow the sessions', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await enqueue()).api_request_id);
        await increment(3);
        for (const id of ids) await token(id).expect(200);
        const active = () =>
          adm().get('/num_active_tokens').set(AUTH).query({ event_id: 'main' }).expect(200);
        assert.deepEqual((await active()).body, { active_tokens: 3 });

        const done = await adm()
          .post('/update_session')
          .set(AUTH)
          .send({ event_id: 'main', request_id: ids[0], status: 1 })
          .expect(200);
        assert.deepEqual(done.body, { event_id: 'main', request_id: ids[0], status: 1 });
        const twice = await adm()
          .post('/update_session')
          .set(AUTH)
          .send({ event_id: 'main', request_id: ids[0], status: 1 });
        assert.equal(twice.status, 404);
        assert.equal(twice.body.code, 'session_not_found');
        const invalid = await adm()
          .post('/update_session')
          .set(AUTH)
          .send({ event_id: 'main', request_id: ids[1], status: 2 });
        assert.equal(invalid.status, 400);
        assert.equal(invalid.body.code, 'invalid_status');
        const unknown = await adm()
          .post('/update_session')
          .set(AUTH)
          .send({ event_id: 'main', request_id: NEVER_ISSUED, status: -1 });
        assert.equal(unknown.status, 404);
        assert.deepEqual((await active()).body, { active_tokens: 2 });

        const none = await adm().get('/expired_tokens').set(AUTH).query({ event_id: 'main' }).expect(200);
        assert.deepEqual(none.body, []);
        t.clock.advance(3601);
        const all = await adm().get('/expired_tokens').set(AUTH).query({ event_id: 'main' }).expect(200);
        assert.deepEqual([...all.body].sort(), [...ids].sort());
        const page1 = await adm()
          .get('/expired_tokens')
          .set(AUTH)
          .query({ event_id: 'main', limit: 2 })
          .expect(200);
        assert.equal(page1.body.items.length, 2);
        assert.equal(typeof page1.body.next_cursor, 'string');
        const page2 = await adm()
          .get('/expired_tokens')
          .set(AUTH)
          .query({ event_id: 'main', limit: 2, cursor: page1.body.next_cursor })
          .expect(200);
        assert.deepEqual([...page1.body.items, ...page2.body.items].sort(), [...ids].sort());
        assert.equal(page2.body.next_cursor, null);
        const badLimit = await adm().get('/expired_tokens').set(AUTH).query({ event_id: 'main', limit: 0 });
        assert.equal(badLimit.status, 400);
        assert.equal((await adm().get('/num_active_tokens').set(AUTH).query({ event_id: 'x' })).status, 400);
        assert.equal((await adm().get('/expired_tokens').set(AUTH).query({ event_id: 'x' })).status, 400);
      });

      it('reset_initial_state answers after the reset is complete', async () => {
        const a = await enqueue();
        await increment(4);
        const res = await adm().post('/reset_initial_state').set(AUTH).send({ event_id: 'main' }).expect(200);
        assert.equal(typeof res.body.message, 'string');
        assert.deepEqual((await pub().get('/serving_num').query({ event_id: 'main' })).body, {
          serving_counter: 0,
        });
        await pub().get('/queue_num').query({ event_id: 'main', request_id: a.api_request_id }).expect(404);
        assert.equal((await enqueue()).queue_number, 1);
        const bad = await adm().post('/reset_initial_state').set(AUTH).send({ event_id: 'nope' }).expect(400);
        assert.equal(bad.body.code, 'invalid_event_id');
      });
    });

    let knownRequestId = '';
    describe('bad input', () => {
      before(async () => {
        knownRequestId = (await enqueue()).api_request_id;
      });
      badInputSuite(
        () => t,
        () => knownRequestId,
      );
    });

    describe('event settings, metrics and the audit log', () => {
      it('GET /events and /events/{id} answer settings with live counters', async () => {
        await enqueue();
        await enqueue();
        await enqueue();
        await increment(1);
        const list = await adm().get('/events').set(AUTH).expect(200);
        assert.deepEqual(
          list.body.map((e: { id: string }) => e.id),
          TEST_EVENTS.map((e) => e.id),
        );
        const one = await adm().get('/events/main').set(AUTH).expect(200);
        assert.equal(one.body.inlet.type, 'manual');
        assert.equal(one.body.counters.queue_number, 3);
        assert.equal(one.body.counters.serving_counter, 1);
        // The AWS count keeps the place let in but never claimed; the people in the line do not.
        assert.equal(one.body.counters.waiting_num, 3);
        assert.equal(one.body.counters.people_waiting, 2);
        assert.equal((await adm().get('/events/nope').set(AUTH).expect(400)).body.code, 'invalid_event_id');
      });

      it('PUT /events/{id} changes settings live and names a bad field', async () => {
        const closed = await adm().put('/events/main').set(AUTH).send({ mode: 'closed' }).expect(200);
        assert.equal(closed.body.mode, 'closed');
        assert.equal(
          (await pub().post('/assign_queue_num').send({ event_id: 'main' }).expect(403)).body.code,
          'event_closed',
        );
        await adm().put('/events/main').set(AUTH).send({ mode: 'queue' }).expect(200);
        await enqueue();
        const bad = await adm()
          .put('/events/main')
          .set(AUTH)
          .send({ inlet: { type: 'periodic', incrementBy: 0 } });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.code, 'invalid_event_settings');
        assert.match(bad.body.error, /inlet\./);
        // A display name for the waiting page and the dashboard; null removes it.
        const named = await adm().put('/events/main').set(AUTH).send({ name: 'Main sale' }).expect(200);
        assert.equal(named.body.name, 'Main sale');
        assert.equal((await adm().get('/events/main').set(AUTH).expect(200)).body.name, 'Main sale');
        const unnamed = await adm().put('/events/main').set(AUTH).send({ name: null }).expect(200);
        assert.equal('name' in unnamed.body, false);
        const unknownField = await adm().put('/events/main').set(AUTH).send({ colour: 'red' });
        assert.equal(unknownField.status, 400);
        assert.match(unknownField.body.error, /colour/);
        assert.equal(
          (await adm().put('/events/nope').set(AUTH).send({ mode: 'queue' })).body.code,
          'invalid_event_id',
        );
      });

      it('GET /metrics answers Prometheus text with per-event gauges and the latency histogram', async () => {
        // Process counters live as long as the app (shared by the suite): compare differences.
        // (Read from the registry: a scrape would also cache the gauges for half a second.)
        const processCount = (text: string, name: string) =>
          Number(
            new RegExp(`^anteroom_process_${name}_total\\{event="main"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0,
          );
        const { registry } = t.deps.metrics;
        const start = [
          await registry.getSingleMetricAsString('anteroom_process_positions_assigned_total'),
          await registry.getSingleMetricAsString('anteroom_process_tokens_issued_total'),
        ].join('\n');
        const first = await enqueue();
        await enqueue();
        await increment(1);
        const res = await adm().get('/metrics').set(AUTH).expect(200);
        assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
        assert.match(res.text, /anteroom_positions_issued\{event="main"\} 2/);
        assert.match(res.text, /anteroom_serving_counter\{event="main"\} 1/);
        assert.match(res.text, /anteroom_waiting\{event="main"\} 2/);
        assert.match(res.text, /anteroom_http_request_duration_seconds_bucket\{.*route="\/assign_queue_num"/);
        // Through Lambda, the public and admin functions are separate containers: the admin
        // one never sees the public one's process counters.
        if (options.lambda) return;
        assert.equal(
          processCount(res.text, 'positions_assigned') - processCount(start, 'positions_assigned'),
          2,
        );

        // Counted once per new position or first issuance, across scrapes.
        const token = () =>
          pub().post('/generate_token').send({ event_id: 'main', request_id: first.api_request_id });
        await token().expect(200);
        await token().expect(200);
        await enqueue();
        const again = await adm().get('/metrics').set(AUTH).expect(200);
        assert.equal(
          processCount(again.text, 'positions_assigned') - processCount(start, 'positions_assigned'),
          3,
        );
        assert.equal(processCount(again.text, 'tokens_issued') - processCount(start, 'tokens_issued'), 1);
      });

      it('eta_accuracy in the event view and anteroom_eta_error_ratio in /metrics: the estimate at joining against the wait', async () => {
        const ratioCount = async () =>
          Number(
            /^anteroom_eta_error_ratio_count\{event="main"\} (\d+)$/m.exec(
              await t.deps.metrics.registry.getSingleMetricAsString('anteroom_eta_error_ratio'),
            )?.[1] ?? 0,
          );
        const countBefore = await ratioCount();
        // Two visitors join before the counter has a pace: they are shown no estimate.
        const early = [await enqueue(), await enqueue()];
        t.clock.advance(10);
        await increment(1);
        t.clock.advance(10);
        await increment(1);
        t.clock.advance(10);
        t.clock.ms += 2000;
        const timed = await enqueue();
        const shown = await pub()
          .get('/status')
          .query({ event_id: 'main', request_id: timed.api_request_id })
          .expect(200);
        const estimate = shown.body.eta_seconds as number;
        assert.equal(typeof estimate, 'number');
        t.clock.advance(40);
        await increment(1);
        for (const visitor of [...early, timed]) await token(visitor.api_request_id).expect(200);
        const view = await adm().get('/events/main').set(AUTH).expect(200);
        const error = Math.abs(estimate - 40);
        assert.deepEqual(view.body.eta_accuracy, {
          samples: 1,
          p50_abs_error_seconds: error,
          p90_abs_error_seconds: error,
          p50_rel_error: Math.round((error / 40) * 1000) / 1000,
        });
        // The admin function on Lambda is another container: the public one observed the sample.
        if (!options.lambda) assert.equal((await ratioCount()) - countBefore, 1);
        const metrics = await adm().get('/metrics').set(AUTH).expect(200);
        assert.match(metrics.text, /# TYPE anteroom_eta_error_ratio histogram/);
      });

      it('GET /audit lists admin actions with the key fingerprint, newest first', async () => {
        await increment(3);
        await adm().put('/events/noexp').set(AUTH).send({ tokenValiditySeconds: 60 }).expect(200);
        const res = await adm().get('/audit').set(AUTH).query({ limit: 2 }).expect(200);
        const [latest, previous] = res.body.items;
        assert.equal(latest.action, 'update_event');
        assert.equal(latest.event_id, 'noexp');
        assert.equal(latest.before.tokenValiditySeconds, 3600);
        assert.equal(latest.after.tokenValiditySeconds, 60);
        assert.match(latest.actor, /^key:[0-9a-f]{12}$/);
        assert.ok(!JSON.stringify(res.body).includes(ADMIN_KEY));
        assert.equal(previous.action, 'increment_serving_counter');
        assert.deepEqual(previous.after, { serving: 3, by: 3 });
        await adm().put('/events/noexp').set(AUTH).send({ tokenValiditySeconds: 3600 }).expect(200);
      });
    });
  });
}
