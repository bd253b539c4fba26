/**
 * The waiting page tells the truth while it is open: a pause and its end, the turn's last
 * minute and its end, the end of a session, a reset, and the page's own connection, each
 * reaching a page nobody reloads. With JavaScript over polling (the stream refused) and
 * over the stream; without JavaScript through the page's own reload (`pages.refreshSeconds`).
 * The server's clock is the test's, so a turn's minutes pass at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
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
/** The no-JavaScript page's reload pace in these tests. */
const REFRESH_SECONDS = 2;

type Transport = 'polling' | 'stream' | 'no-js';

describe('an open waiting page follows every change', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let clock = 1_900_000_000;
  const TRANSPORTS: Transport[] = ['polling', 'stream', 'no-js'];
  const SCENARIOS = ['pause', 'expiry', 'ended', 'reset'];
  before(async () => {
    server = await startTestServer(
      TRANSPORTS.flatMap((transport) =>
        SCENARIOS.map((scenario) => ({
          id: `${scenario}-${transport}`,
          inlet: { type: 'manual' },
          queuePositionExpirySeconds: 300,
        })),
      ).concat([{ id: 'connection', inlet: { type: 'manual' }, queuePositionExpirySeconds: 300 }]),
      { now: () => clock, pages: { refreshSeconds: REFRESH_SECONDS } },
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A visitor's page, joined, for one transport; `ahead` people joined before them. */
  async function joinedPage(eventId: string, transport: Transport, ahead = 0) {
    const context = await browser.newContext({
      javaScriptEnabled: transport !== 'no-js',
      viewport: { width: 420, height: 900 },
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      // The refused stream of the polling runs is logged by the browser; anything else counts.
      if (message.type() === 'error' && !message.text().includes('status of 503'))
        consoleErrors.push(message.text());
    });
    if (transport === 'polling') {
      await page.route('**/events/*/stream*', (route) => route.fulfill({ status: 503, body: 'unavailable' }));
    }
    if (ahead > 0) await queueAhead(server, eventId, ahead);
    await page.goto(`${server.publicUrl}/waiting-room/${eventId}`);
    const ready =
      transport === 'stream'
        ? page.waitForResponse((response) => response.url().includes(`/events/${eventId}/stream`), WAIT)
        : transport === 'polling'
          ? page.waitForResponse((response) => new URL(response.url()).pathname === '/status', WAIT)
          : Promise.resolve();
    await page.getByRole('button', { name: 'Take your place' }).click();
    await page.locator('#ar-live').waitFor(WAIT);
    await ready;
    if (transport !== 'no-js') {
      // Live: the page says so once it has heard from the server.
      await page.locator('#ar-live[data-connection="live"]').waitFor(WAIT);
    }
    /** The page has not been reloaded since this call (JavaScript only). */
    const markDocument = () =>
      page.evaluate(() => {
        (window as unknown as { sameDocument: boolean }).sameDocument = true;
      });
    const sameDocument = async () =>
      transport === 'no-js' ||
      (await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true));
    return { context, page, consoleErrors, markDocument, sameDocument };
  }

  async function requestIdOf(page: Page): Promise<string> {
    return (await page.locator('#ar-live').getAttribute('data-request-id')) ?? '';
  }

  for (const transport of TRANSPORTS) {
    const js = transport !== 'no-js';

    test(`${transport}: a pause and its end reach the open page`, async () => {
      const eventId = `pause-${transport}`;
      const visitor = await joinedPage(eventId, transport, 2);
      await visitor.page.getByRole('heading', { name: "You're in the queue" }).waitFor(WAIT);
      if (js) await visitor.markDocument();
      const notice = visitor.page.getByText('The queue is paused for the moment. You keep your place.');
      assert.equal(await notice.isVisible(), false);

      await server.admin('PUT', `/events/${eventId}`, { mode: 'closed' });
      await notice.waitFor({ state: 'visible', ...WAIT });
      if (js) {
        await visitor.page.locator('#ar-announcer').getByText('The queue is paused.').waitFor(WAIT);
      }
      await visitor.page.screenshot({ path: screenshotPath(`live-paused-${transport}`), fullPage: true });

      await server.admin('PUT', `/events/${eventId}`, { mode: 'queue' });
      await notice.waitFor({ state: 'hidden', ...WAIT });
      if (js) {
        await visitor.page.locator('#ar-announcer').getByText('The queue is moving again.').waitFor(WAIT);
      }
      assert.ok(await visitor.sameDocument(), 'no reload');
      assert.deepEqual(visitor.consoleErrors, []);
      await visitor.context.close();
    });

    test(`${transport}: a minute before the turn runs out the page warns once, then says it ran out`, async () => {
      const eventId = `expiry-${transport}`;
      const visitor = await joinedPage(eventId, transport);
      if (js) await visitor.markDocument();
      await server.admin('POST', '/increment_serving_counter', { event_id: eventId, increment_by: 1 });
      const letMeIn = visitor.page.getByRole('button', { name: 'Let me in' });
      await letMeIn.waitFor(WAIT);
      const warning = visitor.page.getByText(
        'Your turn runs out in less than a minute. Go in now to keep it.',
      );
      assert.equal(await warning.isVisible(), false, 'no warning with five minutes left');
      if (js) {
        // The turn came: focus is on the one thing to do.
        await visitor.page.waitForFunction(() => document.activeElement?.id === 'ar-let-me-in', null, WAIT);
      }

      // Four minutes and a bit later, by the server's clock.
      clock += 245;
      await warning.waitFor({ state: 'visible', ...WAIT });
      assert.ok(await letMeIn.isVisible(), 'the way in is right there');
      if (js) {
        const alert = visitor.page.locator('#ar-alert');
        await alert.getByText('Your turn runs out in less than a minute.').waitFor(WAIT);
        // Announced once: later updates leave the alert as it is.
        const announced: string[] = [];
        await visitor.page.exposeFunction('recordAlert', (text: string) => announced.push(text));
        await visitor.page.evaluate(() => {
          const region = document.getElementById('ar-alert') as HTMLElement;
          new MutationObserver(() => {
            if (region.textContent)
              (window as unknown as { recordAlert(t: string): void }).recordAlert(region.textContent);
          }).observe(region, { childList: true, characterData: true, subtree: true });
        });
        await visitor.page.waitForTimeout(6000);
        assert.deepEqual(
          announced.filter((text) => text.includes('less than a minute')),
          [],
          'the warning is not announced again',
        );
      }
      await visitor.page.screenshot({
        path: screenshotPath(`live-expiry-warning-${transport}`),
        fullPage: true,
      });

      clock += 60;
      await visitor.page.getByRole('heading', { name: 'Your place has expired' }).waitFor(WAIT);
      assert.equal(await letMeIn.isVisible(), false, 'no way in that would not work');
      await visitor.page.getByRole('button', { name: 'Join the queue again' }).waitFor(WAIT);
      if (js) await visitor.page.locator('#ar-alert').getByText('Your place has expired.').waitFor(WAIT);
      assert.ok(await visitor.sameDocument(), 'no reload');
      await visitor.page.screenshot({ path: screenshotPath(`live-expired-${transport}`), fullPage: true });
      assert.deepEqual(visitor.consoleErrors, []);
      await visitor.context.close();
    });

    test(`${transport}: a reset reaches the open page, which offers a new place`, async () => {
      const eventId = `reset-${transport}`;
      const visitor = await joinedPage(eventId, transport, 1);
      await visitor.page.getByRole('heading', { name: "You're in the queue" }).waitFor(WAIT);
      await server.admin('POST', '/reset_initial_state', { event_id: eventId });
      await visitor.page
        .getByText('The waiting room was reset. Your place is gone: you can take a new one.')
        .waitFor(WAIT);
      await visitor.page.getByRole('button', { name: 'Take your place' }).waitFor(WAIT);
      await visitor.page.screenshot({ path: screenshotPath(`live-reset-${transport}`), fullPage: true });
      // (The browser logs the 404 that tells the page its place is gone: no console check here.)
      await visitor.context.close();
    });

    if (js) {
      test(`${transport}: the end of a session reaches the open page`, async () => {
        const eventId = `ended-${transport}`;
        const visitor = await joinedPage(eventId, transport);
        await server.admin('POST', '/increment_serving_counter', { event_id: eventId, increment_by: 1 });
        await visitor.page.getByRole('button', { name: 'Let me in' }).click();
        await visitor.page.getByRole('heading', { name: "You're in" }).waitFor(WAIT);
        await visitor.page.locator('#ar-live[data-connection="live"]').waitFor(WAIT);
        const requestId = await requestIdOf(visitor.page);
        await server.admin('POST', '/update_session', {
          event_id: eventId,
          request_id: requestId,
          status: -1,
        });
        await visitor.page.getByRole('heading', { name: 'Your visit has ended' }).waitFor(WAIT);
        assert.deepEqual(visitor.consoleErrors, []);
        await visitor.context.close();
      });
    }
  }

  test('polling: "Last updated" and the connection state, announced politely when it changes', async () => {
    const visitor = await joinedPage('connection', 'polling');
    const freshness = visitor.page.locator('[data-field="freshness"]');
    await freshness.getByText(/^Last updated \d{1,2}:\d{2}:\d{2}.* · live$/).waitFor(WAIT);

    await visitor.context.setOffline(true);
    await freshness.getByText(/· offline$/).waitFor(WAIT);
    await visitor.page
      .locator('#ar-announcer')
      .getByText('You are offline. The page will update when the connection is back.')
      .waitFor(WAIT);
    const offlineAt = await freshness.textContent();
    await visitor.page.screenshot({ path: screenshotPath('live-offline'), fullPage: true });

    await visitor.context.setOffline(false);
    await freshness.getByText(/· live$/).waitFor(WAIT);
    await visitor.page
      .locator('#ar-announcer')
      .getByText('The connection is back. The page is live again.')
      .waitFor(WAIT);
    assert.equal(await visitor.page.locator('#ar-alert').textContent(), '', 'nothing assertive');

    // A server that stops answering: reconnecting.
    await visitor.page.route('**/status*', (route) => route.fulfill({ status: 503, body: 'down' }));
    await freshness.getByText(/· reconnecting…$/).waitFor(WAIT);
    assert.notEqual(await freshness.textContent(), offlineAt);
    await visitor.context.close();
  });

  test('without JavaScript the page reloads itself at the configured pace, and only while it can change', async () => {
    const response = await fetch(`${server.publicUrl}/waiting-room/connection`);
    const joinPage = await response.text();
    assert.doesNotMatch(joinPage, /http-equiv="refresh"/, 'a join page waits for the visitor');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.publicUrl}/waiting-room/connection`);
    await page.getByRole('button', { name: 'Take your place' }).click();
    const refresh = page.locator('noscript meta[http-equiv="refresh"]');
    assert.equal(await page.locator('head noscript').count(), 1);
    assert.equal(await refresh.getAttribute('content'), String(REFRESH_SECONDS));
    await context.close();
  });
});
