/**
 * The operator dashboard behind a reverse proxy that mounts the admin app under /ops (and says
 * so in X-Forwarded-Prefix): in a real browser, its script, styles and every admin API call
 * stay below the prefix, and the controls work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type PrefixProxy, startPrefixProxy } from '../support/prefix-proxy.ts';
import { ADMIN_KEY, browserSkipReason, launchBrowser, startTestServer, type TestServer } from './support.ts';

const skip = browserSkipReason();
const WAIT = { timeout: 20_000 };

describe('dashboard under a path prefix', { skip }, () => {
  let server: TestServer;
  let proxy: PrefixProxy;
  let browser: Browser;

  before(async () => {
    server = await startTestServer(['prefixed'], { trustProxy: true });
    proxy = await startPrefixProxy('/ops', Number(new URL(server.adminUrl).port), { forwardedPrefix: true });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
  });

  test('loads its assets and calls the admin API below the prefix', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${proxy.base}/`);
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    const panel = page.locator('section.event[data-event-id="prefixed"]');
    await panel.waitFor(WAIT);
    await panel.getByLabel('Increment by').fill('2');
    await panel.getByRole('button', { name: 'Increment serving counter' }).click();
    await panel.getByText('Serving counter is now 2.').waitFor(WAIT);
    const event = (await server.admin('GET', '/events/prefixed')) as {
      counters: { serving_counter: number };
    };
    assert.equal(event.counters.serving_counter, 2);
    assert.equal(
      await page.locator('link[rel="stylesheet"]').getAttribute('href'),
      '/ops/assets/anteroom.css',
    );
    assert.deepEqual(proxy.outside, [], 'no request left the /ops prefix');
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });
});
