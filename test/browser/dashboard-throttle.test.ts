/**
 * The operator dashboard when its address has spent its budget of failed sign-ins: the admin API
 * answers 429 to every key for a while, and the dashboard says so on its sign-in form instead of
 * retrying in a loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_KEY, browserSkipReason, launchBrowser, startTestServer, type TestServer } from './support.ts';

const skip = browserSkipReason();
const WAIT = { timeout: 20_000 };

describe('dashboard sign-in after too many failures', { skip }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer(['throttled'], { adminFailuresPerClientPerMinute: 2 });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('two wrong keys, then even the right one is held off, and the form says for how long', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.adminUrl}/`);
    for (const guess of ['wrong-key-one-xxxxxxxx', 'wrong-key-two-xxxxxxxx']) {
      await page.getByLabel('Admin key').fill(guess);
      await page.getByRole('button', { name: 'Open dashboard' }).click();
      await page.getByText('That admin key was not accepted').waitFor(WAIT);
    }
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page
      .getByText(/Too many failed sign-ins from this address\. Try again in \d+ seconds\./)
      .waitFor(WAIT);
    assert.equal(await page.getByLabel('Admin key').isVisible(), true);
    assert.equal(await page.locator('section.event').count(), 0);
    await context.close();
  });
});
