/**
 * Absent visitors (API.md section 6) on the waiting page in a real browser: the open page's
 * status stream keeps its visitor present (each process writes its streams' visitors once per
 * quarter window), two who joined through the JSON API and never came back are absent, and an
 * operator's increment of one passes them and admits the visitor on the page, which shows it
 * without a reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowser, queueAhead, startTestServer, type TestServer } from './support.ts';

const skip = browserSkipReason();
const WAIT = { timeout: 20_000 };

interface EventView {
  counters: { serving_counter: number };
  visitors: { present: number; absent: number } | null;
}

describe('waiting page: absent visitors', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  const clock = { offset: 0 };

  before(async () => {
    server = await startTestServer([{ id: 'away', inlet: { type: 'manual' }, abandonAfterSeconds: 10 }], {
      now: () => Math.floor(Date.now() / 1000) + clock.offset,
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the open page keeps its visitor present; the absent ahead are passed uncounted', async () => {
    await queueAhead(server, 'away', 2);
    const context = await browser.newContext();
    const page = await context.newPage();
    const streamOpen = page.waitForResponse(
      (response) => response.url().includes('/events/away/stream'),
      WAIT,
    );
    await page.goto(`${server.publicUrl}/waiting-room/away`);
    await page.getByRole('button', { name: 'Take your place' }).click();
    await page.getByRole('heading', { name: "You're in the queue" }).waitFor(WAIT);
    assert.equal(await page.locator('[data-field="queue_number"]').textContent(), '3');
    await streamOpen;

    clock.offset = 60; // a minute later: those who joined through the API never came back
    const view = async () => (await server.admin('GET', '/events/away')) as EventView;
    for (let i = 0; i < 100; i++) {
      const { visitors } = await view();
      if (visitors?.present === 1 && visitors.absent === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual((await view()).visitors, { present: 1, absent: 2 }, 'counted by the inlet loop');
    await server.admin('POST', '/increment_serving_counter', { event_id: 'away', increment_by: 1 });
    await page.getByRole('heading', { name: "It's your turn" }).waitFor(WAIT);
    assert.equal(
      (await view()).counters.serving_counter,
      3,
      'one present visitor admitted, two absent passed',
    );
    await context.close();
  });
});
