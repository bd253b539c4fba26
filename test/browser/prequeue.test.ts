/**
 * A scheduled sale in a real browser (Debian's Chromium through playwright-core), against the
 * real server in-process on the real clock: the join form before the start, the pre-queue's
 * countdown, the draw reaching the open page without a reload, the position, the admission;
 * the dashboard's phase and pre-queue size along the way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  ADMIN_KEY,
  browserSkipReason,
  launchBrowser,
  queueAhead,
  screenshotPath,
  startTestServer,
  type TestServer,
} from './support.ts';

const skip = browserSkipReason();
/** Generous: waits end as soon as the page shows the state; this only bounds a broken run. */
const WAIT = { timeout: 30_000 };
/** Seconds from the server's start to the sale's: time for the visitor to join the pre-queue. */
const LEAD_SECONDS = 12;

/** Records what the page's live regions say, from before its script runs (every page loaded). */
const RECORD_ANNOUNCEMENTS = `
  window.__said = [];
  document.addEventListener('DOMContentLoaded', () => {
    for (const id of ['ar-announcer', 'ar-alert']) {
      const region = document.getElementById(id);
      if (!region) continue;
      new MutationObserver(() => {
        if (region.textContent) window.__said.push(region.textContent);
      }).observe(region, { childList: true, characterData: true, subtree: true });
    }
  });
`;

describe('a scheduled sale in a browser', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let startAt = 0;

  before(async () => {
    const now = Math.floor(Date.now() / 1000);
    startAt = now + LEAD_SECONDS;
    server = await startTestServer([
      { id: 'drop', inlet: { type: 'manual' }, schedule: { prequeueAt: now - 5, startAt }, draw: 'shuffle' },
    ]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function countdown(page: Page): Promise<string> {
    return (await page.getByRole('timer').textContent()) ?? '';
  }

  /** The countdown moves by itself: a second later it shows another value. */
  async function ticks(page: Page): Promise<void> {
    const shown = await countdown(page);
    assert.match(shown, /^\d+ s$/);
    await page.waitForFunction(
      (before) => document.querySelector('[role="timer"]')?.textContent !== before,
      shown,
      WAIT,
    );
  }

  test('countdown, draw, position and admission on one open page; the dashboard follows the phase', async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
    await context.addInitScript(RECORD_ANNOUNCEMENTS);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });

    await page.goto(`${server.publicUrl}/waiting-room/drop`);
    await page.getByRole('heading', { name: 'Opening soon' }).waitFor(WAIT);
    await ticks(page);
    await page.getByRole('button', { name: 'Join the pre-queue' }).click();

    await page.getByRole('heading', { name: "You're in the pre-queue" }).waitFor(WAIT);
    assert.equal(
      await page.getByRole('heading', { name: "You're in the queue" }).count(),
      0,
      'no queue heading before the draw',
    );
    assert.match((await page.locator('main').textContent()) ?? '', /random draw/);
    await ticks(page);
    const loadsBeforeDraw = navigations.length;
    await page.screenshot({ path: screenshotPath('prequeue-countdown'), fullPage: true });

    // Another participant, through the JSON API.
    await queueAhead(server, 'drop', 1);
    const dashboard = await context.newPage();
    await dashboard.goto(`${server.adminUrl}/`);
    await dashboard.getByLabel('Admin key').fill(ADMIN_KEY);
    await dashboard.getByRole('button', { name: 'Open dashboard' }).click();
    await dashboard.getByText(/Phase: pre-queue · 2 in the pre-queue/).waitFor(WAIT);

    // The start: the inlet loop draws, the open page learns its position without a reload.
    await page.locator('[data-section="waiting"]').waitFor({ state: 'visible', ...WAIT });
    assert.ok(Date.now() / 1000 >= startAt, 'no position before the start');
    const position = Number(await page.locator('[data-field="queue_number"]').textContent());
    assert.ok(position === 1 || position === 2, `position ${position}`);
    await page
      .getByRole('heading', { name: position === 1 ? "You're next" : "You're in the queue" })
      .waitFor(WAIT);
    assert.equal(await page.getByRole('heading', { name: "You're in the pre-queue" }).count(), 0);
    assert.equal(navigations.length, loadsBeforeDraw, 'the draw reached the page without a reload');
    await dashboard.getByText(/Phase: open · 2 drawn from the pre-queue/).waitFor(WAIT);

    const said = (await page.evaluate('window.__said')) as string[];
    assert.deepEqual(
      said.filter((text) => text === 'The queue opens in less than a minute.').length,
      1,
      `the last minute said once: ${JSON.stringify(said)}`,
    );
    assert.ok(said.includes(`The queue is open. Your place is number ${position}.`), JSON.stringify(said));
    assert.ok(!said.some((text) => /\d+ s$/.test(text)), `no second announced: ${JSON.stringify(said)}`);

    await server.admin('POST', '/increment_serving_counter', { event_id: 'drop', increment_by: 2 });
    await page.getByRole('heading', { name: "It's your turn" }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Let me in' }).click();
    await page.getByRole('heading', { name: "You're in" }).waitFor(WAIT);
    assert.match(
      (await page.locator('main').textContent()) ?? '',
      new RegExp(`Your place was number ${position}`),
    );
    // The dashboard's estimate line: this visitor, drawn into a manual inlet, was shown none.
    await dashboard.getByText('Wait estimates: no admitted visitor who was shown one yet').waitFor(WAIT);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });
});
