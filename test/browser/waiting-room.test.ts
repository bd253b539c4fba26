/**
 * The waiting page and the operator dashboard in a real browser (Debian's Chromium through
 * playwright-core), against the real server in-process. Screenshots go to test-results/.
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
const WAIT = { timeout: 20_000 };

interface EventCounters {
  counters: { serving_counter: number; queue_number: number; tokens_issued: number };
  mode: string;
}

describe('waiting page and dashboard in a browser', { skip }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer(['live', 'nojs', 'polling', 'a11y', 'controls', 'announce']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A page that records console errors (a CSP violation shows up there) and main-frame navigations. */
  async function openPage(options: { javaScriptEnabled?: boolean; width?: number } = {}) {
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      viewport: { width: options.width ?? 1100, height: 900 },
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
    return { context, page, consoleErrors, navigations };
  }

  async function eventCounters(eventId: string): Promise<EventCounters> {
    return (await server.admin('GET', `/events/${eventId}`)) as EventCounters;
  }

  async function signInToDashboard(page: Page): Promise<void> {
    await page.goto(`${server.adminUrl}/`);
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
  }

  test('a visitor joins, the operator admits them from the dashboard, the page shows it without a reload', async () => {
    const visitor = await openPage({ width: 420 });
    const requested: string[] = [];
    visitor.page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await visitor.page.goto(`${server.publicUrl}/waiting-room/live`);
    await visitor.page.getByRole('button', { name: 'Take your place' }).click();
    await visitor.page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    assert.equal(await visitor.page.locator('[data-field="queue_number"]').textContent(), '1');
    assert.equal(await visitor.page.locator('[data-field="ahead"]').textContent(), '0');
    assert.match(
      (await visitor.page.locator('[data-field="eta"]').textContent()) ?? '',
      /not enough data yet/,
    );
    await visitor.page.screenshot({ path: screenshotPath('waiting-page-queued'), fullPage: true });

    // From here on the page must change in place: mark the document and count navigations.
    await visitor.page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const navigationsBefore = visitor.navigations.length;

    const operator = await openPage();
    await signInToDashboard(operator.page);
    const panel = operator.page.locator('section.event[data-event-id="live"]');
    await panel.locator('[data-field="queue"]').getByText('1', { exact: true }).waitFor(WAIT);
    assert.equal(await panel.locator('[data-field="serving"]').textContent(), '0');
    await panel.getByLabel('Increment by').fill('1');
    await panel.getByRole('button', { name: 'Increment serving counter' }).click();
    await panel.getByText('Serving counter is now 1.').waitFor(WAIT);
    assert.equal((await eventCounters('live')).counters.serving_counter, 1);
    await panel.locator('[data-field="serving"]').getByText('1', { exact: true }).waitFor(WAIT);
    // Let in but not claimed yet: out of the line, still in the AWS count. Both are shown, labelled.
    await panel.locator('[data-field="people_waiting"]').getByText('0', { exact: true }).waitFor(WAIT);
    assert.equal(await panel.locator('[data-field="waiting"]').textContent(), '1');
    const labels = await panel.locator('dl.counters dt').allTextContents();
    assert.ok(labels.includes('Waiting (not yet reached)'), labels.join());
    assert.ok(labels.includes('waiting_num (API: not yet let in or unclaimed)'), labels.join());

    await visitor.page.getByRole('heading', { name: "It's your turn" }).waitFor(WAIT);
    assert.equal(
      await visitor.page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
      true,
      'the admission appeared in the same document (no reload)',
    );
    assert.equal(visitor.navigations.length, navigationsBefore, 'no navigation happened');
    assert.ok(requested.includes('/events/live/stream'), 'the page subscribed to the event stream');
    assert.ok(!requested.includes('/status'), 'the update came over the stream, not by polling');
    await visitor.page.locator('#ar-alert').getByText("It's your turn").waitFor(WAIT);
    assert.equal(await visitor.page.locator('[data-section="waiting"]').isHidden(), true);
    await visitor.page.screenshot({ path: screenshotPath('waiting-page-your-turn'), fullPage: true });
    await operator.page.screenshot({ path: screenshotPath('admin-dashboard'), fullPage: true });

    // Claiming the admission shows the tokens and the way onward.
    await visitor.page.getByRole('button', { name: 'Let me in' }).click();
    await visitor.page.getByRole('heading', { name: "You're in" }).waitFor(WAIT);
    await visitor.page.getByText('Your admission tokens').click();
    const accessToken = await visitor.page.getByLabel('Access token').inputValue();
    assert.equal(accessToken.split('.').length, 3, 'a compact JWS');
    assert.ok(await visitor.page.getByRole('link', { name: 'Continue to the site' }).isVisible());
    await visitor.page.screenshot({ path: screenshotPath('waiting-page-admitted'), fullPage: true });
    assert.equal((await eventCounters('live')).counters.tokens_issued, 1);

    assert.deepEqual(visitor.consoleErrors, [], 'no console errors (CSP violations show up there)');
    assert.deepEqual(operator.consoleErrors, [], 'no console errors on the dashboard');
    await visitor.context.close();
    await operator.context.close();
  });

  test('without JavaScript: the form joins, a reload shows the position, then the admission', async () => {
    const { page, context } = await openPage({ javaScriptEnabled: false });
    await page.goto(`${server.publicUrl}/waiting-room/nojs`);
    await page.getByRole('button', { name: 'Take your place' }).click();
    await page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    assert.equal(await page.locator('[data-field="queue_number"]').textContent(), '1');

    // Someone else joins behind; a reload keeps this visitor's place (no second position).
    await page.reload();
    assert.equal(await page.locator('[data-field="queue_number"]').textContent(), '1');
    assert.equal((await eventCounters('nojs')).counters.queue_number, 1);

    await server.admin('POST', '/increment_serving_counter', { event_id: 'nojs', increment_by: 1 });
    // Still the old page until the visitor reloads: nothing changes it without JavaScript.
    assert.equal(await page.getByRole('heading', { name: "You're next" }).isVisible(), true);
    await page.reload();
    await page.getByRole('heading', { name: "It's your turn" }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Let me in' }).click();
    await page.getByRole('heading', { name: "You're in" }).waitFor(WAIT);
    await page.reload();
    await page.getByRole('heading', { name: "You're in" }).waitFor(WAIT);
    assert.equal((await eventCounters('nojs')).counters.tokens_issued, 1);
    await page.screenshot({ path: screenshotPath('waiting-page-no-js-admitted'), fullPage: true });
    await context.close();
  });

  test('when the event stream is unavailable the page falls back to polling /status', async () => {
    const { page, context, navigations } = await openPage();
    await page.route('**/events/*/stream*', (route) => route.fulfill({ status: 503, body: 'unavailable' }));
    const polled: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/status') polled.push(request.url());
    });
    await page.goto(`${server.publicUrl}/waiting-room/polling`);
    await page.getByRole('button', { name: 'Take your place' }).click();
    await page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    const navigationsBefore = navigations.length;
    await server.admin('POST', '/increment_serving_counter', { event_id: 'polling', increment_by: 1 });
    await page.getByRole('heading', { name: "It's your turn" }).waitFor(WAIT);
    assert.ok(polled.length > 0, 'the page polled /status');
    assert.equal(navigations.length, navigationsBefore, 'no reload');
    await context.close();
  });

  test('progress is announced politely when it matters, and the page follows the counter', async () => {
    // Two people ahead, who joined through the JSON API.
    await queueAhead(server, 'announce', 2);
    const { page, context } = await openPage({ width: 420 });
    await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    await page.goto(`${server.publicUrl}/waiting-room/announce`);
    // The stream must be open before the counter moves, so the change below is one it sees.
    const streamOpen = page.waitForResponse(
      (response) => response.url().includes('/events/announce/stream'),
      WAIT,
    );
    await page.getByRole('button', { name: 'Take your place' }).click();
    await page.getByRole('heading', { name: "You're in the queue" }).waitFor(WAIT);
    assert.equal(await page.locator('[data-field="queue_number"]').textContent(), '3');
    assert.equal(await page.locator('[data-field="ahead"]').textContent(), '2');
    await streamOpen;

    await server.admin('POST', '/increment_serving_counter', { event_id: 'announce', increment_by: 1 });
    await page.locator('[data-field="ahead"]').getByText('1', { exact: true }).waitFor(WAIT);
    await page.locator('#ar-announcer').getByText('1 person ahead of you').waitFor(WAIT);
    assert.equal(await page.locator('#ar-progress').getAttribute('value'), '1');
    assert.equal(await page.locator('#ar-alert').textContent(), '', 'nothing assertive before your turn');
    await page.screenshot({ path: screenshotPath('waiting-page-dark-mode'), fullPage: true });

    // Nobody left ahead: the heading says so, without a reload.
    await server.admin('POST', '/increment_serving_counter', { event_id: 'announce', increment_by: 1 });
    await page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    assert.equal(await page.locator('[data-field="ahead"]').textContent(), '0');
    await page.screenshot({ path: screenshotPath('waiting-page-next'), fullPage: true });
    await context.close();
  });

  test('dashboard controls: pause, resume, reset (only with the event id typed), inlet strategy', async () => {
    const operator = await openPage();
    await signInToDashboard(operator.page);
    const panel = operator.page.locator('section.event[data-event-id="controls"]');
    await panel.waitFor(WAIT);
    const pageLink = await panel.getByRole('link', { name: 'Open the waiting page' }).getAttribute('href');
    assert.match(pageLink ?? '', /\/waiting-room\/controls$/);
    // A display name given through the admin API titles the panel on its next refresh.
    await panel.getByRole('heading', { name: 'Event controls' }).waitFor(WAIT);
    await server.admin('PUT', '/events/controls', { name: 'Controls sale' });
    await panel.getByRole('heading', { name: 'Controls sale (controls)' }).waitFor(WAIT);
    await server.admin('PUT', '/events/controls', { name: null });

    await panel.getByRole('button', { name: 'Pause (close)' }).click();
    await panel.getByText('Mode set to closed.').waitFor(WAIT);
    assert.equal((await eventCounters('controls')).mode, 'closed');
    const visitor = await openPage();
    await visitor.page.goto(`${server.publicUrl}/waiting-room/controls`);
    await visitor.page.getByRole('heading', { name: 'This waiting room is closed' }).waitFor(WAIT);
    await visitor.page.screenshot({ path: screenshotPath('waiting-page-closed'), fullPage: true });

    await panel.getByRole('button', { name: 'Resume queue' }).click();
    await panel.getByText('Mode set to queue.').waitFor(WAIT);
    assert.equal((await eventCounters('controls')).mode, 'queue');

    await visitor.page.reload();
    await visitor.page.getByRole('button', { name: 'Take your place' }).click();
    await visitor.page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    assert.equal((await eventCounters('controls')).counters.queue_number, 1);

    // Reset without typing the id: refused in the page, nothing reset.
    await panel.getByRole('button', { name: 'Reset event' }).click();
    await panel.getByText('To reset, type the event id').waitFor(WAIT);
    assert.equal((await eventCounters('controls')).counters.queue_number, 1);
    await panel.getByLabel('Event id').fill('controls');
    await panel.getByRole('button', { name: 'Reset event' }).click();
    await panel.getByText('The event was reset.').waitFor(WAIT);
    assert.equal((await eventCounters('controls')).counters.queue_number, 0);
    await operator.page.locator('#audit').getByText('reset initial state').first().waitFor(WAIT);

    // The reset visitor's place is gone: the page offers a new one.
    await visitor.page.reload();
    await visitor.page.getByRole('button', { name: 'Take your place' }).waitFor(WAIT);

    // Last, as a periodic inlet starts admitting on its own.
    await panel.getByLabel('Strategy').selectOption('periodic');
    await panel.getByLabel('Admit per tick').fill('3');
    await panel.getByLabel('Seconds per tick').fill('3600');
    await panel.getByRole('button', { name: 'Apply strategy' }).click();
    await panel.getByText('Inlet strategy set').waitFor(WAIT);
    const afterInlet = (await server.admin('GET', '/events/controls')) as { inlet: unknown };
    assert.deepEqual(afterInlet.inlet, { type: 'periodic', incrementBy: 3, intervalSeconds: 3600 });

    assert.deepEqual(operator.consoleErrors, []);
    await visitor.context.close();
    await operator.context.close();
  });

  test('a wrong admin key is refused and the sign-in form comes back', async () => {
    const { page, context } = await openPage();
    await page.goto(`${server.adminUrl}/`);
    await page.getByLabel('Admin key').fill('not-the-admin-key-at-all');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.getByText('That admin key was not accepted').waitFor(WAIT);
    assert.equal(await page.getByLabel('Admin key').isVisible(), true);
    // The field says it was refused, and where the reason is; focus is back on it.
    assert.equal(await page.getByLabel('Admin key').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Admin key').getAttribute('aria-describedby'), 'dashboard-status');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'admin-key');
    assert.equal(await page.locator('section.event').count(), 0);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('anteroom.adminKey')), null);
    await context.close();
  });

  test('accessibility smoke: lang, live regions, named buttons and labelled fields', async () => {
    const { page, context } = await openPage();
    const cdp = await context.newCDPSession(page);

    /** Chromium's own accessibility tree: the names a screen reader would announce. */
    async function unnamedControls(): Promise<string[]> {
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
        nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }>;
      };
      const controls = ['button', 'link', 'textbox', 'combobox', 'spinbutton', 'progressbar'];
      return nodes
        .filter((node) => !node.ignored && controls.includes(node.role?.value ?? ''))
        .filter((node) => (node.name?.value ?? '').trim() === '')
        .map((node) => node.role?.value ?? '?');
    }

    async function check(where: string): Promise<void> {
      assert.equal(await page.getAttribute('html', 'lang'), 'en', `${where}: lang`);
      assert.ok((await page.locator('h1:visible').count()) === 1, `${where}: one visible h1`);
      assert.deepEqual(await unnamedControls(), [], `${where}: every control has an accessible name`);
    }

    await page.goto(`${server.publicUrl}/waiting-room/a11y`);
    await check('join page');
    assert.equal(await page.locator('[aria-live="polite"]').count(), 1);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Take your place',
      'keyboard reaches the button',
    );
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    await check('queued page');
    assert.equal(await page.locator('[aria-live="polite"]').count(), 1);
    assert.equal(await page.locator('[aria-live="assertive"]').count(), 1);

    await page.goto(`${server.adminUrl}/`);
    await check('dashboard sign-in');
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.keyboard.press('Enter');
    await page.locator('section.event[data-event-id="a11y"]').waitFor(WAIT);
    await check('dashboard');
    // Signed in: focus is in the dashboard, not left on <body>.
    await page.waitForFunction(() => document.activeElement?.id === 'main', null, WAIT);
    // The audit table's scroll box is reachable by keyboard and named (axe scrollable-region-focusable).
    const scroller = page.locator('#audit .table-scroll');
    assert.equal(await scroller.getAttribute('tabindex'), '0');
    assert.equal(await scroller.getAttribute('role'), 'region');
    await context.close();
  });
});
