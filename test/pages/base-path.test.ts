/**
 * The waiting pages behind a path prefix (an API Gateway stage without a custom domain, a
 * reverse proxy mounting Anteroom under `/queue`): the prefix is stripped before the app, so
 * every URL a page hands to the browser must put it back. The prefix is the path of
 * `publicUrl`, or a trusted `X-Forwarded-Prefix`. Without one, the URLs stay root-relative.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../provider/config/server-config.ts';
import { type RunningServer, startServer } from '../../provider/server/server.ts';
import { testLogger } from '../support/logs.ts';
import { freePort } from '../support/redis.ts';

/** Every URL the page gives the browser: links, form actions, assets and the script's data URLs. */
function pageUrls(document: string): string[] {
  const urls = [...document.matchAll(/(?:href|src|action|data-status-url|data-stream-url)="([^"]*)"/g)].map(
    (match) => match[1]!.replaceAll('&amp;', '&'),
  );
  return urls.filter((url) => url !== '#main');
}

interface Started {
  server: RunningServer;
  /** Where the test talks to the app directly (the prefix already stripped, as by the proxy). */
  origin: string;
  close(): Promise<void>;
}

async function start(options: { publicPath: string; trustProxy: boolean }): Promise<Started> {
  const directory = mkdtempSync(join(tmpdir(), 'anteroom-base-path-'));
  const port = await freePort();
  const config = loadConfig({
    env: {},
    cwd: directory,
    raw: {
      publicUrl: `http://127.0.0.1:${port}${options.publicPath}`,
      listen: { port, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
      adminKeys: ['base-path-admin-key-vh5JkNhbX89zEatsjNwLFD'],
      store: { type: 'memory' },
      keys: { type: 'file', path: join(directory, 'keys.json') },
      events: [{ id: 'sale', inlet: { type: 'manual' } }],
      limits: { enqueuePerClientPerMinute: 0, trustProxy: options.trustProxy ? 1 : false },
    },
  });
  const server = await startServer(config, { defaultMetrics: false, logger: testLogger() });
  return {
    server,
    origin: server.publicListenUrl,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Take a place through the form; the page after it (the waiting view, with the script). */
async function joinAndShow(
  origin: string,
  headers: Record<string, string> = {},
): Promise<{ join: string; location: string; waiting: string }> {
  const join = await (await fetch(`${origin}/waiting-room/sale`, { headers })).text();
  const posted = await fetch(`${origin}/waiting-room/sale/join`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  assert.equal(posted.status, 303);
  const location = posted.headers.get('location') ?? '';
  const cookie = posted.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const waiting = await (
    await fetch(`${origin}/waiting-room/sale`, { headers: { ...headers, Cookie: cookie } })
  ).text();
  return { join, location, waiting };
}

describe('waiting pages under publicUrl http://127.0.0.1:<port>/prod', () => {
  let app: Started;
  before(async () => {
    app = await start({ publicPath: '/prod', trustProxy: false });
  });
  after(() => app?.close());

  test('every asset, form and data URL starts with /prod/', async () => {
    const { join, location, waiting } = await joinAndShow(app.origin);
    assert.match(join, /<link rel="stylesheet" href="\/prod\/assets\/anteroom\.css">/);
    assert.match(join, /action="\/prod\/waiting-room\/sale\/join"/);
    assert.equal(location, '/prod/waiting-room/sale');
    assert.match(waiting, /<script src="\/prod\/assets\/waiting-room\.js" defer>/);
    assert.match(waiting, /data-status-url="\/prod\/status\?event_id=sale&amp;request_id=/);
    assert.match(waiting, /data-stream-url="\/prod\/events\/sale\/stream\?request_id=/);
    for (const url of [...pageUrls(join), ...pageUrls(waiting)]) {
      assert.ok(url.startsWith('/prod/'), `${url} carries the prefix`);
    }
  });

  test('problem pages too; a client-sent X-Forwarded-Prefix is ignored without trustProxy', async () => {
    const missing = await fetch(`${app.origin}/waiting-room/no_such_event`);
    assert.equal(missing.status, 404);
    const document = await missing.text();
    assert.ok(pageUrls(document).length > 0);
    for (const url of pageUrls(document)) assert.ok(url.startsWith('/prod/'), url);

    const spoofed = await (
      await fetch(`${app.origin}/waiting-room/sale`, { headers: { 'X-Forwarded-Prefix': '/elsewhere' } })
    ).text();
    assert.match(spoofed, /action="\/prod\/waiting-room\/sale\/join"/);
  });
});

describe('waiting pages behind a trusted proxy that sets X-Forwarded-Prefix', () => {
  let app: Started;
  before(async () => {
    app = await start({ publicPath: '', trustProxy: true });
  });
  after(() => app?.close());

  test('the header is the prefix of every URL', async () => {
    const { join, location, waiting } = await joinAndShow(app.origin, { 'X-Forwarded-Prefix': '/queue' });
    assert.equal(location, '/queue/waiting-room/sale');
    assert.match(waiting, /data-status-url="\/queue\/status\?/);
    for (const url of [...pageUrls(join), ...pageUrls(waiting)]) {
      assert.ok(url.startsWith('/queue/'), `${url} carries the prefix`);
    }
  });

  test('a malformed header is ignored; without any prefix the URLs stay root-relative', async () => {
    for (const header of ['//evil.example', '/a/../b', '/a b', 'queue']) {
      const document = await (
        await fetch(`${app.origin}/waiting-room/sale`, { headers: { 'X-Forwarded-Prefix': header } })
      ).text();
      assert.match(document, /action="\/waiting-room\/sale\/join"/, header);
    }
    const { join, location, waiting } = await joinAndShow(app.origin);
    assert.equal(location, '/waiting-room/sale');
    assert.match(join, /<link rel="stylesheet" href="\/assets\/anteroom\.css">/);
    assert.match(waiting, /<script src="\/assets\/waiting-room\.js" defer>/);
    assert.match(waiting, /data-status-url="\/status\?event_id=sale&amp;request_id=/);
    assert.match(waiting, /data-stream-url="\/events\/sale\/stream\?request_id=/);
    for (const url of [...pageUrls(join), ...pageUrls(waiting)]) {
      assert.ok(/^\/(assets|waiting-room|status|events)\//.test(url) || url.startsWith('/status?'), url);
    }
  });
});
