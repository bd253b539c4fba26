/**
 * The retired AWS solution's control panel, in a real browser, against `anteroom serve`: a page
 * on an origin of its own makes the panel's calls exactly as its Vue components do (aws4fetch's
 * `AwsClient` with service `execute-api` and the typed-in region; GETs, and POSTs whose JSON
 * body the browser labels `text/plain`), so each signed call goes through a real CORS preflight
 * to the admin listener, and the unsigned public calls through plain CORS.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowser, startTestServer, type TestServer } from './support.ts';

const skip = browserSkipReason();
const OPERATOR = {
  accessKeyId: 'AKIAPANELOPERATOR001',
  secretAccessKey: 'r7Tq2Wm9Xv4Kp1Zs8Ld3Nf6Hj0Bc5Yg2Ue7Oa4Qi',
};
/** The ES module build of aws4fetch, the control panel's signer, served to the page. */
const AWS4FETCH = readFileSync(fileURLToPath(import.meta.resolve('aws4fetch')), 'utf8');

/** The panel's calls (source/control-panel/src/components/*.vue), one after the other. */
const PANEL_PAGE = `<!doctype html><meta charset="utf-8"><title>control panel</title><pre id="out"></pre>
<script type="module">
import { AwsClient } from '/aws4fetch.mjs';
const config = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const aws = () => new AwsClient({
  accessKeyId: config.accessKey, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken,
  service: 'execute-api', region: config.regionName, retries: 0,
});
const results = {};
const record = async (name, response) => {
  results[name] = { status: response.status, body: await response.json() };
};
try {
  await record('serving', await fetch(config.publicApiUrl + '/serving_num?event_id=' + config.eventId));
  await record('waiting', await fetch(config.publicApiUrl + '/waiting_num?event_id=' + config.eventId));
  await record('increment', await aws().fetch(config.privateApiUrl + '/increment_serving_counter', {
    method: 'POST', headers: {}, body: JSON.stringify({ event_id: config.eventId, increment_by: Number.parseInt('100') }),
  }));
  await record('active', await aws().fetch(config.privateApiUrl + '/num_active_tokens?event_id=' + config.eventId, { method: 'GET' }));
  await record('expired', await aws().fetch(config.privateApiUrl + '/expired_tokens?event_id=' + config.eventId, { method: 'GET' }));
  await record('reset', await aws().fetch(config.privateApiUrl + '/reset_initial_state', {
    method: 'POST', headers: {}, body: JSON.stringify({ event_id: config.eventId }),
  }));
} catch (error) {
  results.error = String(error);
}
document.getElementById('out').textContent = JSON.stringify(results);
</script>`;

describe('the AWS control panel in a browser, against anteroom serve', { skip }, () => {
  let server: TestServer;
  let panel: Server;
  let panelOrigin: string;
  let browser: Browser;

  before(async () => {
    server = await startTestServer(['panel'], { adminSigV4Keys: [OPERATOR] });
    panel = createServer((req, res) => {
      const [type, body] =
        req.url === '/aws4fetch.mjs'
          ? ['text/javascript', AWS4FETCH]
          : ['text/html; charset=utf-8', PANEL_PAGE];
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    await new Promise<void>((resolve) => panel.listen(0, '127.0.0.1', resolve));
    panelOrigin = `http://127.0.0.1:${(panel.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => panel?.close(resolve));
    await server?.close();
  });

  test('every widget’s call succeeds from the panel’s own origin, the signed ones after a CORS preflight', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const config = {
      eventId: 'panel',
      publicApiUrl: server.publicUrl,
      privateApiUrl: server.adminUrl,
      regionName: 'eu-west-1',
      accessKey: OPERATOR.accessKeyId,
      secretAccessKey: OPERATOR.secretAccessKey,
    };
    await page.goto(`${panelOrigin}/control-panel/index.html#${encodeURIComponent(JSON.stringify(config))}`);
    await page.locator('#out').filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
    const results = JSON.parse((await page.locator('#out').textContent()) ?? '{}');
    assert.equal(results.error, undefined, results.error);
    assert.deepEqual(results.serving, { status: 200, body: { serving_counter: 0 } });
    assert.deepEqual(results.waiting, { status: 200, body: { waiting_num: 0 } });
    assert.deepEqual(results.increment, { status: 200, body: { serving_num: 100 } });
    assert.deepEqual(results.active, { status: 200, body: { active_tokens: 0 } });
    assert.deepEqual(results.expired, { status: 200, body: [] });
    assert.equal(results.reset.status, 200);
    assert.equal(typeof results.reset.body.message, 'string');
    // The panel's origin differs from the admin listener's (another port): each signed call, with
    // its Authorization and X-Amz-Date headers, passed a CORS preflight, or fetch would have thrown.
    const audit = (await server.admin('GET', '/audit?limit=1')) as {
      items: Array<{ actor: string; action: string }>;
    };
    assert.deepEqual(
      audit.items.map((entry) => [entry.actor, entry.action]),
      [[`sigv4:${OPERATOR.accessKeyId}`, 'reset_initial_state']],
    );
    await context.close();
  });
});
