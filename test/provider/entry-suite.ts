/**
 * API.md section 6 over HTTP, "Entry challenge (bots)" and "Enqueue tokens": run per store kind
 * and through the Lambda handlers by the `entry.<store>.test.ts` files. Captcha providers are out
 * of reach here: a local server answers as their siteverify endpoints do
 * (`test/support/siteverify.ts`).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import type { QueueStore } from '../../queue-core/types.ts';
import { solvePow } from '../support/pow.ts';
import { deadUrl, type SiteKeys, serveJwks, siteKeys } from '../support/site-keys.ts';
import { type FakeSiteverify, startSiteverify } from '../support/siteverify.ts';
import { ADMIN_KEY, buildTestApp, type LambdaFormat, type StoreKind, type TestApp } from './support.ts';

const AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };
const SECRET = 'turnstile-server-secret-4242';
const ISSUER = 'https://shop.example';

interface PowBody {
  type: string;
  algorithm: string;
  prefix: string;
  difficulty: number;
  expires_at: number;
}

export function entrySuite(kind: StoreKind, options: { lambda?: LambdaFormat } = {}): void {
  const through = options.lambda ? `, through Lambda ${options.lambda}` : '';
  describe(`entry challenge and enqueue tokens over HTTP (${kind.name} store${through})`, {
    skip: kind.skip,
  }, () => {
    let store: QueueStore;
    let t: TestApp;
    let limited: TestApp;
    let siteverify: FakeSiteverify;
    let keys: SiteKeys;
    let jwksServer: Awaited<ReturnType<typeof serveJwks>>;
    const pub = (app = t) => request(app.publicHandler);
    const adm = () => request(t.adminHandler);
    const join = (eventId: string, headers: Record<string, string> = {}, app = t) =>
      pub(app).post('/assign_queue_num').set(headers).send({ event_id: eventId });

    /** A fresh challenge of `eventId` and its answer. */
    const solved = async (eventId: string, app = t) => {
      const res = await join(eventId, {}, app).expect(403);
      const challenge = res.body.challenge as PowBody;
      return { challenge, answer: solvePow(challenge.prefix, challenge.difficulty) };
    };

    before(async () => {
      siteverify = await startSiteverify(SECRET);
      keys = await siteKeys(ISSUER, () => t.clock.seconds);
      jwksServer = await serveJwks(keys.jwks);
      const turnstile = {
        type: 'siteverify',
        provider: 'turnstile',
        sitekey: '0x4AAAA-site',
        secret: SECRET,
      };
      const events = [
        { id: 'pow', challenge: { type: 'pow', difficulty: 8 } },
        { id: 'captcha', challenge: { ...turnstile, url: siteverify.url } },
        { id: 'captcha-down', challenge: { ...turnstile, url: await deadUrl('/siteverify') } },
        { id: 'ident', enqueueToken: { issuer: ISSUER, jwks: keys.jwks, audience: 'ident' } },
        { id: 'ident-url', enqueueToken: { issuer: ISSUER, jwksUrl: jwksServer.url } },
        { id: 'ident-down', enqueueToken: { issuer: ISSUER, jwksUrl: await deadUrl('/jwks.json') } },
        {
          id: 'both',
          enqueueToken: { issuer: ISSUER, jwks: keys.jwks },
          challenge: { type: 'pow', difficulty: 8 },
        },
      ];
      store = await kind.create();
      t = await buildTestApp(store, { events }, { lambda: options.lambda });
      limited = await buildTestApp(
        store,
        { events, limits: { enqueuePerClientPerMinute: 1 } },
        { lambda: options.lambda },
      );
    });
    after(async () => {
      t.deps.room.close();
      limited.deps.room.close();
      await Promise.all([siteverify.close(), jwksServer.close()]);
      await store.close();
      await kind.stop();
    });
    beforeEach(async () => {
      for (const event of await t.deps.room.listEvents()) await t.deps.room.reset(event.id, 'test');
      siteverify.calls.length = 0;
    });

    describe('proof of work', () => {
      it('answers 403 challenge_required with a signed single-use prefix, taking no place', async () => {
        const res = await join('pow').expect(403);
        assert.equal(res.body.code, 'challenge_required');
        assert.equal(typeof res.body.error, 'string');
        const challenge = res.body.challenge as PowBody;
        assert.deepEqual(Object.keys(challenge).sort(), [
          'algorithm',
          'difficulty',
          'expires_at',
          'prefix',
          'type',
        ]);
        assert.equal(challenge.type, 'pow');
        assert.equal(challenge.algorithm, 'sha256');
        assert.equal(challenge.difficulty, 8);
        assert.equal(challenge.expires_at, t.clock.seconds + 300);
        assert.doesNotMatch(challenge.prefix, /:/);
        assert.equal(res.headers['cache-control'], 'no-store');
        const placed = await join('pow', { 'Anteroom-Challenge': solvePow(challenge.prefix, 8) }).expect(200);
        assert.equal(placed.body.queue_number, 1, 'the refusal used up no position');
      });

      it('refuses a reused, wrong or expired answer with 403 challenge_failed and a fresh challenge', async () => {
        const { challenge, answer } = await solved('pow');
        await join('pow', { 'Anteroom-Challenge': answer }).expect(200);
        const reused = await join('pow', { 'Anteroom-Challenge': answer }).expect(403);
        assert.equal(reused.body.code, 'challenge_failed');
        assert.notEqual(reused.body.challenge.prefix, challenge.prefix);
        const wrong = await join('pow', {
          'Anteroom-Challenge': `${challenge.prefix}:not-a-solution-${Math.random()}`,
        });
        // 1 in 256 random nonces solves difficulty 8: a wrong one is a real refusal unless lucky.
        if (wrong.status !== 200) assert.equal(wrong.body.code, 'challenge_failed');
        const late = await solved('pow');
        t.clock.advance(301);
        const expired = await join('pow', { 'Anteroom-Challenge': late.answer }).expect(403);
        assert.equal(expired.body.code, 'challenge_failed');
        assert.equal(expired.body.challenge.expires_at, t.clock.seconds + 300);
      });

      it('does not challenge a visitor who holds a place (visitor cookie or Idempotency-Key)', async () => {
        const { answer } = await solved('pow');
        const first = await join('pow', {
          'Anteroom-Challenge': answer,
          'Idempotency-Key': 'k-pow-0123456789abcdefghij',
        }).expect(200);
        const again = await join('pow', { 'Idempotency-Key': 'k-pow-0123456789abcdefghij' }).expect(200);
        assert.deepEqual(again.body, first.body);
        const other = await solved('pow');
        const browser = await join('pow', { 'Anteroom-Challenge': other.answer }).expect(200);
        const cookie = (browser.headers['set-cookie'] as unknown as string[])
          .find((c) => c.startsWith('anteroom_vid='))!
          .split(';')[0]!;
        const reload = await join('pow', { Cookie: cookie }).expect(200);
        assert.deepEqual(reload.body, browser.body);
        assert.equal(browser.body.queue_number, 2);
      });

      it('checks the rate limit before the challenge: a 429 spends neither a position nor the answer', async () => {
        // Learning a challenge takes nothing from the client's budget of one a minute.
        const first = await solved('pow', limited);
        const next = await solved('pow', limited);
        await join('pow', { 'Anteroom-Challenge': first.answer }, limited).expect(200);
        // Spent now: the rate limit answers before the challenge is looked at.
        const refused = await join('pow', { 'Anteroom-Challenge': next.answer }, limited).expect(429);
        assert.equal(refused.body.code, 'rate_limited');
        assert.ok(Number(refused.headers['retry-after']) >= 1);
        const wrong = await join(
          'pow',
          { 'Anteroom-Challenge': `${next.challenge.prefix}:x` },
          limited,
        ).expect(429);
        assert.equal(wrong.body.code, 'rate_limited', 'the rate limit comes before the challenge');
        limited.clock.ms += 60_000;
        const placed = await join('pow', { 'Anteroom-Challenge': next.answer }, limited).expect(200);
        assert.equal(placed.body.queue_number, 2, 'the answer was not spent by the 429');
      });
    });

    describe('siteverify', () => {
      it("answers 403 challenge_required naming the widget, and verifies the widget's token once", async () => {
        const res = await join('captcha').expect(403);
        assert.deepEqual(res.body.challenge, {
          type: 'siteverify',
          provider: 'turnstile',
          sitekey: '0x4AAAA-site',
        });
        assert.equal(siteverify.calls.length, 0, 'no call without a token');
        siteverify.grant('widget-token-1');
        const placed = await join('captcha', { 'Anteroom-Challenge': 'widget-token-1' }).expect(200);
        assert.equal(placed.body.queue_number, 1);
        assert.equal(siteverify.calls.length, 1);
        assert.equal(siteverify.calls[0]!.secret, SECRET);
        assert.equal(siteverify.calls[0]!.response, 'widget-token-1');
        assert.ok(siteverify.calls[0]!.remoteip, 'the visitor address is passed on');
        const reused = await join('captcha', { 'Anteroom-Challenge': 'widget-token-1' }).expect(403);
        assert.equal(reused.body.code, 'challenge_failed');
        assert.equal(reused.body.challenge.type, 'siteverify');
      });

      it('does not call the provider for a held place, and answers 503 when it cannot be reached', async () => {
        siteverify.grant('widget-token-2');
        const first = await join('captcha', {
          'Anteroom-Challenge': 'widget-token-2',
          'Idempotency-Key': 'k-c-0123456789abcdefghijkl',
        }).expect(200);
        const again = await join('captcha', {
          'Anteroom-Challenge': 'anything',
          'Idempotency-Key': 'k-c-0123456789abcdefghijkl',
        }).expect(200);
        assert.deepEqual(again.body, first.body);
        assert.equal(siteverify.calls.length, 1);
        const down = await join('captcha-down', { 'Anteroom-Challenge': 'widget-token-3' }).expect(503);
        assert.equal(down.body.code, 'challenge_unavailable');
        assert.equal(down.headers['retry-after'], '2');
      });

      it('never shows the secret in the admin API or the audit log, and keeps it through a settings change', async () => {
        const listed = await adm().get('/events').set(AUTH).expect(200);
        assert.equal(JSON.stringify(listed.body).includes(SECRET), false);
        const shown = await adm().get('/events/captcha').set(AUTH).expect(200);
        assert.deepEqual(shown.body.challenge, {
          type: 'siteverify',
          provider: 'turnstile',
          sitekey: '0x4AAAA-site',
          url: siteverify.url,
        });
        const changed = await adm()
          .put('/events/captcha')
          .set(AUTH)
          .send({ challenge: { ...shown.body.challenge, sitekey: '0x4BBBB-site' } })
          .expect(200);
        assert.equal(changed.body.challenge.sitekey, '0x4BBBB-site');
        assert.equal(JSON.stringify(changed.body).includes(SECRET), false);
        const audit = await adm().get('/audit').set(AUTH).query({ limit: 5 }).expect(200);
        assert.ok(audit.body.items.some((item: { action: string }) => item.action === 'update_event'));
        assert.equal(JSON.stringify(audit.body).includes(SECRET), false);
        // The secret is still the one siteverify checks.
        t.clock.advance(2);
        siteverify.grant('widget-token-4');
        await join('captcha', { 'Anteroom-Challenge': 'widget-token-4' }).expect(200);
        assert.equal(siteverify.calls.at(-1)!.secret, SECRET);
        await adm()
          .put('/events/captcha')
          .set(AUTH)
          .send({ challenge: { ...shown.body.challenge } })
          .expect(200);
      });
    });

    describe('enqueue tokens', () => {
      it('answers 403 enqueue_token_required without one, enqueue_token_invalid for a bad one', async () => {
        const missing = await join('ident').expect(403);
        assert.equal(missing.body.code, 'enqueue_token_required');
        const now = t.clock.seconds;
        const bad = [
          'not-a-jwt',
          await keys.sign('alice', { aud: 'ident', exp: now - 1, iat: now - 100 }),
          await keys.sign('alice', { aud: 'other' }),
          await keys.sign('alice', { aud: 'ident', iss: 'https://evil.example' }),
          await keys.sign('alice'),
        ];
        for (const token of bad) {
          const res = await join('ident', { 'Anteroom-Enqueue-Token': token }).expect(403);
          assert.equal(res.body.code, 'enqueue_token_invalid', token);
        }
        // A token signed with a symmetric key is never accepted by a site's public keys.
        const [header, payload] = (await keys.sign('alice', { aud: 'ident' })).split('.');
        const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'site-1' })).toString('base64url')}.${payload}.${header}`;
        assert.equal(
          (await join('ident', { 'Anteroom-Enqueue-Token': hs }).expect(403)).body.code,
          'enqueue_token_invalid',
        );
        assert.equal(
          (
            await join('ident', {
              'Anteroom-Enqueue-Token': await keys.sign('alice', { aud: 'ident' }),
            }).expect(200)
          ).body.queue_number,
          1,
        );
      });

      it('gives one identity one place from any browser, and the browser keeps it without the token', async () => {
        const token = await keys.sign('alice', { aud: 'ident' });
        const first = await join('ident', { 'Anteroom-Enqueue-Token': token }).expect(200);
        // Another browser (no cookie), a fresh token for the same identity: the same place.
        const second = await join('ident', {
          'Anteroom-Enqueue-Token': await keys.sign('alice', { aud: 'ident' }),
        }).expect(200);
        assert.deepEqual(second.body, first.body);
        const bob = await join('ident', {
          'Anteroom-Enqueue-Token': await keys.sign('bob', { aud: 'ident' }),
        }).expect(200);
        assert.equal(bob.body.queue_number, 2);
        const cookie = (second.headers['set-cookie'] as unknown as string[])
          .find((c) => c.startsWith('anteroom_vid='))!
          .split(';')[0]!;
        const reload = await join('ident', { Cookie: cookie }).expect(200);
        assert.deepEqual(reload.body, first.body);
        // Concurrent first joins of one identity converge on one place.
        const tokens = await Promise.all(
          Array.from({ length: 8 }, () => keys.sign('carol', { aud: 'ident' })),
        );
        const racing = await Promise.all(
          tokens.map((tok) => join('ident', { 'Anteroom-Enqueue-Token': tok }).expect(200)),
        );
        assert.equal(new Set(racing.map((res) => res.body.api_request_id)).size, 1);
        assert.equal(racing[0]!.body.queue_number, 3);
      });

      it("fetches the site's keys from jwksUrl, and answers 503 when they cannot be fetched", async () => {
        const ok = await join('ident-url', { 'Anteroom-Enqueue-Token': await keys.sign('dave') }).expect(200);
        assert.equal(ok.body.queue_number, 1);
        await join('ident-url', { 'Anteroom-Enqueue-Token': await keys.sign('erin') }).expect(200);
        assert.ok(jwksServer.downloads() >= 1);
        const down = await join('ident-down', { 'Anteroom-Enqueue-Token': await keys.sign('dave') }).expect(
          503,
        );
        assert.equal(down.body.code, 'enqueue_token_unavailable');
        assert.equal(down.headers['retry-after'], '2');
      });

      it('checks the token before the challenge', async () => {
        const none = await join('both').expect(403);
        assert.equal(none.body.code, 'enqueue_token_required');
        const token = await keys.sign('frank');
        const required = await join('both', { 'Anteroom-Enqueue-Token': token }).expect(403);
        assert.equal(required.body.code, 'challenge_required');
        const answer = solvePow(required.body.challenge.prefix, 8);
        const placed = await join('both', {
          'Anteroom-Enqueue-Token': token,
          'Anteroom-Challenge': answer,
        }).expect(200);
        // The same identity from another browser holds its place: no second challenge.
        const again = await join('both', { 'Anteroom-Enqueue-Token': await keys.sign('frank') }).expect(200);
        assert.deepEqual(again.body, placed.body);
      });
    });

    it('allows the new request headers in CORS preflights', async () => {
      const res = await pub().options('/assign_queue_num').set('Origin', 'https://shop.example').expect(204);
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(',');
      assert.ok(allowed.includes('anteroom-challenge'));
      assert.ok(allowed.includes('anteroom-enqueue-token'));
    });
  });
}
