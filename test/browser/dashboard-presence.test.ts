/**
 * The dashboard shows an event's present and absent waiting visitors (API.md section 6,
 * `abandonAfterSeconds`) as the server's inlet loop counts them, in a real browser; an event
 * without the setting shows no such line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_KEY, browserSkipReason, launchBrowser, startTestServer, type TestServer } from './support.ts';

const skip = browserSkipReason();
const WAIT = { timeout: 20_000 };

describe('dashboard: present and absent visitors', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  const clock = { offset: 0 };

  before(async () => {
    server = await startTestServer(
      [{ id: 'sale', inlet: { type: 'manual' }, abandonAfterSeconds: 30 }, 'plain'],
      { now: () => Math.floor(Date.now() / 1000) + clock.offset },
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('counts those still polling as present and the rest as absent', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${server.publicUrl}/assign_queue_num`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': `presence-${i}-0123456789abcdefghijkl`,
        },
        body: JSON.stringify({ event_id: 'sale' }),
      });
      ids.push(((await response.json()) as { api_request_id: string }).api_request_id);
    }
    clock.offset = 60; // the window passes: only the first visitor polls again
    const poll = await fetch(`${server.publicUrl}/status?event_id=sale&request_id=${ids[0]}`);
    assert.equal(poll.status, 200);

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.adminUrl}/`);
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    const sale = page.locator('section.event[data-event-id="sale"]');
    await sale.waitFor(WAIT);
    const line = sale.locator('[data-field="visitors"]');
    // An inlet pass may have counted before every join or before the clock moved (1 present,
    // 0 absent): wait for a pass that saw all three after the window.
    await page.waitForFunction(
      () => {
        const field = (name: string) =>
          document.querySelector(`section.event[data-event-id="sale"] [data-field="${name}"]`)?.textContent;
        return field('present') === '1' && field('absent') === '2';
      },
      undefined,
      WAIT,
    );
    assert.match((await line.textContent()) ?? '', /1 present, 2 absent/);
    assert.equal(await line.isVisible(), true);
    const plain = page.locator('section.event[data-event-id="plain"]');
    await plain.waitFor(WAIT);
    assert.equal(await plain.locator('[data-field="visitors"]').isVisible(), false);
  });
});
