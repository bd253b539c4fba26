/**
 * The waiting page through the public Lambda handler behind a `prod` stage, with no
 * ANTEROOM_PUBLIC_URL (the execute-api URL as is): the handler strips the stage before the app
 * and passes it back as X-Forwarded-Prefix, so the page's assets, form and script URLs keep
 * `/prod` and each of them answers through the gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { createFixture, type Fixture, lateBound } from './fixture.ts';

const skip = redisSkipReason();

function attribute(document: string, name: string): string[] {
  return [...document.matchAll(new RegExp(`${name}="([^"]*)"`, 'g'))].map((match) =>
    match[1]!.replaceAll('&amp;', '&'),
  );
}

describe('waiting pages through the Lambda handler behind a stage', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;

  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, {
      events: [{ id: 'launch', inlet: { type: 'manual' }, queuePositionExpirySeconds: null }],
      limits: { enqueuePerClientPerMinute: 0 },
    });
  });
  after(async () => {
    await fixture?.close();
    await redis?.stop();
  });

  for (const format of ['v1', 'v2'] as const) {
    test(`the page references /prod/... and every such URL answers (${format}, no ANTEROOM_PUBLIC_URL)`, async () => {
      const front = lateBound();
      const { server, url } = await fixture.bridge(front.handler, { format, stage: 'prod' });
      front.bind(fixture.container().publicHandler);
      const browser = request(server);

      const join = await browser.get('/prod/waiting-room/launch').expect(200);
      const assets = [...attribute(join.text, 'href'), ...attribute(join.text, 'src')].filter((href) =>
        href.includes('/assets/'),
      );
      assert.deepEqual(assets.sort(), [
        '/prod/assets/anteroom.css',
        '/prod/assets/favicon.svg',
        '/prod/assets/theme.css',
      ]);
      for (const asset of assets) {
        const response = await browser.get(asset).expect(200);
        assert.match(response.headers['content-type'] ?? '', /^(text\/css|image\/svg\+xml)/);
      }

      const [action] = attribute(join.text, 'action');
      assert.equal(action, '/prod/waiting-room/launch/join');
      const posted = await browser.post(action!).set('Origin', url).type('form').send('').expect(303);
      assert.equal(posted.headers.location, '/prod/waiting-room/launch');

      // The derived public URL is https (the execute-api URL), so the cookie is Secure: a
      // cookie jar would not send it back over the bridge's plain http; the test does.
      const cookie = ([] as string[])
        .concat(posted.headers['set-cookie'] ?? [])
        .map((line) => line.split(';')[0])
        .join('; ');
      assert.match(cookie, /=/);
      const waiting = await browser.get(posted.headers.location!).set('Cookie', cookie).expect(200);
      const [script] = attribute(waiting.text, 'src');
      assert.equal(script, '/prod/assets/waiting-room.js');
      const js = await browser.get(script!).expect(200);
      assert.match(js.headers['content-type'] ?? '', /^text\/javascript/);

      const [statusUrl] = attribute(waiting.text, 'data-status-url');
      assert.match(statusUrl ?? '', /^\/prod\/status\?event_id=launch&request_id=/);
      const status = await browser.get(statusUrl!).expect(200);
      assert.equal(status.body.state, 'waiting');
      const [streamUrl] = attribute(waiting.text, 'data-stream-url');
      assert.match(streamUrl ?? '', /^\/prod\/events\/launch\/stream\?request_id=/);
      const stream = await browser.get(streamUrl!).expect(200);
      assert.match(stream.headers['content-type'] ?? '', /^text\/event-stream/);
    });
  }
});
