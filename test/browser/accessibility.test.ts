/**
 * axe-core (WCAG 2.2 A and AA) over the pages in Chromium, in light and dark, on a desktop and a
 * phone: every state the waiting page is drawn in (as the server renders it), the states the
 * page's script moves an open page through (paused, your turn, its last minute, expired, offline),
 * the admitted and ended pages, and the dashboard (signed out, and signed in with its chart and
 * audit table). The dashboard's chart is checked where axe cannot look: its labels and lines
 * against the chart's background (≥ 4.5:1, computed here), and lines told apart by pattern.
 *
 * CI runs a small set (English; light on a desktop and dark on a phone). The full sweep, every
 * language in all four looks, is `npm run test:a11y` (ANTEROOM_A11Y_SWEEP=full).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../provider/pages/headers.ts';
import { LANGUAGES } from '../../provider/pages/waiting/messages.ts';
import { renderEveryState } from '../pages/page-states.ts';
import { axeViolations, describeViolations } from './axe.ts';
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
const WAIT = { timeout: 30_000 };
const FULL = process.env.ANTEROOM_A11Y_SWEEP === 'full';

interface Look {
  name: string;
  colorScheme: 'light' | 'dark';
  viewport: { width: number; height: number };
}
const LIGHT_DESKTOP: Look = {
  name: 'light-desktop',
  colorScheme: 'light',
  viewport: { width: 1100, height: 900 },
};
const DARK_PHONE: Look = { name: 'dark-phone', colorScheme: 'dark', viewport: { width: 390, height: 844 } };
const ALL_LOOKS: Look[] = [
  LIGHT_DESKTOP,
  DARK_PHONE,
  { name: 'dark-desktop', colorScheme: 'dark', viewport: { width: 1100, height: 900 } },
  { name: 'light-phone', colorScheme: 'light', viewport: { width: 390, height: 844 } },
];
const STATIC_LOOKS = FULL ? ALL_LOOKS : [LIGHT_DESKTOP, DARK_PHONE];
const LIVE_LOOKS = FULL ? ALL_LOOKS : [LIGHT_DESKTOP];
const DASHBOARD_LOOKS = FULL ? ALL_LOOKS : [LIGHT_DESKTOP, DARK_PHONE];
const STATIC_LANGUAGES = (FULL ? Object.keys(LANGUAGES) : ['en']) as Array<keyof typeof LANGUAGES>;

/** WCAG 1.4.3 (text) and our own bar for the chart's lines. */
const MIN_CONTRAST = 4.5;

describe('accessibility of every page state (axe-core, WCAG 2.2 AA)', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let clock = 1_900_000_000;

  before(async () => {
    const events: Array<string | Record<string, unknown>> = [
      ...LIVE_LOOKS.flatMap((look) => [
        { id: `live-${look.name}`, inlet: { type: 'manual' }, queuePositionExpirySeconds: 300 },
        `admitted-${look.name}`,
      ]),
      ...DASHBOARD_LOOKS.map((look) => `dash-${look.name}`),
      'chart-light',
      'chart-dark',
    ];
    server = await startTestServer(events, { now: () => clock });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function contextFor(look: Look): Promise<BrowserContext> {
    return browser.newContext({ colorScheme: look.colorScheme, viewport: look.viewport });
  }

  async function assertClean(page: Page, where: string): Promise<void> {
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${where}:\n${describeViolations(violations)}`);
  }

  for (const look of STATIC_LOOKS) {
    test(`every rendered state of the waiting page, ${look.name} (${STATIC_LANGUAGES.join(', ')})`, async () => {
      const context = await contextFor(look);
      const page = await context.newPage();
      const documents = new Map<string, string>();
      // The states as the server renders them, served from its origin (its stylesheet and
      // theme). Their scripts stay out: the page is checked as drawn, before any update.
      await page.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.origin !== server.publicUrl) return route.abort();
        const document = documents.get(url.pathname);
        if (document !== undefined) {
          return route.fulfill({
            status: 200,
            headers: {
              'content-type': 'text/html; charset=utf-8',
              'content-security-policy': CONTENT_SECURITY_POLICY,
            },
            body: document,
          });
        }
        if (url.pathname.endsWith('.js')) return route.fulfill({ contentType: 'text/javascript', body: '' });
        return route.continue();
      });
      let checked = 0;
      for (const language of STATIC_LANGUAGES) {
        for (const [name, html] of renderEveryState({ lang: language, messages: LANGUAGES[language] })) {
          const path = `/a11y-state/${language}/${encodeURIComponent(name)}`;
          documents.set(path, html);
          await page.goto(`${server.publicUrl}${path}`);
          await assertClean(page, `${name} (${language}, ${look.name})`);
          checked += 1;
        }
      }
      assert.ok(checked >= 20 * STATIC_LANGUAGES.length, `${checked} states checked`);
      await context.close();
    });
  }

  for (const look of LIVE_LOOKS) {
    test(`an open page through pause, its turn, the last minute, expiry and offline, ${look.name}`, async () => {
      const eventId = `live-${look.name}`;
      const context = await contextFor(look);
      const page = await context.newPage();
      await queueAhead(server, eventId, 2);
      await page.goto(`${server.publicUrl}/waiting-room/${eventId}`);
      await assertClean(page, 'join');
      await page.getByRole('button', { name: 'Take your place' }).click();
      await page.locator('#ar-live[data-connection="live"]').waitFor(WAIT);
      await assertClean(page, 'waiting, live');

      await server.admin('PUT', `/events/${eventId}`, { mode: 'closed' });
      await page.locator('[data-section="paused"]').waitFor({ state: 'visible', ...WAIT });
      await assertClean(page, 'waiting, paused');
      await server.admin('PUT', `/events/${eventId}`, { mode: 'queue' });
      await page.locator('[data-section="paused"]').waitFor({ state: 'hidden', ...WAIT });

      await server.admin('POST', '/increment_serving_counter', { event_id: eventId, increment_by: 3 });
      await page.getByRole('button', { name: 'Let me in' }).waitFor(WAIT);
      await assertClean(page, 'your turn');
      clock += 245;
      await page.locator('[data-section="expiry_warning"]').waitFor({ state: 'visible', ...WAIT });
      await assertClean(page, 'your turn, last minute');
      await page.screenshot({ path: screenshotPath(`a11y-expiry-warning-${look.name}`), fullPage: true });
      clock += 60;
      await page.getByRole('heading', { name: 'Your place has expired' }).waitFor(WAIT);
      await assertClean(page, 'expired');

      await context.setOffline(true);
      await page
        .locator('[data-field="freshness"]')
        .getByText(/· offline$/)
        .waitFor(WAIT);
      await assertClean(page, 'offline');
      await context.close();
    });

    test(`the admitted and ended pages, ${look.name}`, async () => {
      const eventId = `admitted-${look.name}`;
      const context = await contextFor(look);
      const page = await context.newPage();
      await page.goto(`${server.publicUrl}/waiting-room/${eventId}`);
      await page.getByRole('button', { name: 'Take your place' }).click();
      const requestId = (await page.locator('#ar-live').getAttribute('data-request-id')) ?? '';
      await server.admin('POST', '/increment_serving_counter', { event_id: eventId, increment_by: 1 });
      await page.getByRole('button', { name: 'Let me in' }).click();
      await page.getByRole('heading', { name: "You're in" }).waitFor(WAIT);
      await assertClean(page, 'admitted');
      await server.admin('POST', '/update_session', { event_id: eventId, request_id: requestId, status: 1 });
      await page.getByRole('heading', { name: 'Your visit has ended' }).waitFor(WAIT);
      await assertClean(page, 'ended');
      await context.close();
    });
  }

  /** Signed in, with some history in the chart and a row in the audit table. */
  async function dashboard(look: Look, eventId: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await contextFor(look);
    const page = await context.newPage();
    await page.goto(`${server.adminUrl}/`);
    await assertClean(page, `dashboard sign-in, ${look.name}`);
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    const panel = page.locator(`section.event[data-event-id="${eventId}"]`);
    await panel.waitFor(WAIT);
    await queueAhead(server, eventId, 3);
    await server.admin('POST', '/increment_serving_counter', { event_id: eventId, increment_by: 1 });
    await panel.locator('[data-field="serving"]').getByText('1', { exact: true }).waitFor(WAIT);
    // A flat line has no height: attached is what can be waited for.
    await panel
      .locator('[data-field="chart"] polyline')
      .nth(3)
      .waitFor({ state: 'attached', ...WAIT });
    await page.locator('#audit-rows tr').first().waitFor(WAIT);
    return { context, page };
  }

  for (const look of DASHBOARD_LOOKS) {
    test(`the dashboard, signed out and signed in, ${look.name}`, async () => {
      const { context, page } = await dashboard(look, `dash-${look.name}`);
      await assertClean(page, `dashboard, ${look.name}`);
      await page.screenshot({ path: screenshotPath(`a11y-dashboard-${look.name}`), fullPage: true });
      await context.close();
    });
  }

  for (const look of [LIGHT_DESKTOP, DARK_PHONE]) {
    test(`the chart's labels and lines stand out from it (≥ ${MIN_CONTRAST}:1) and differ by pattern, ${look.colorScheme}`, async () => {
      const eventId = `chart-${look.colorScheme}`;
      const { context, page } = await dashboard(look, eventId);
      const panel = page.locator(`section.event[data-event-id="${eventId}"]`);
      const chart = panel.locator('[data-field="chart"]');
      const drawn = await chart.evaluate((svg) => {
        const background = getComputedStyle(svg).backgroundColor;
        const labels = Array.from(svg.querySelectorAll('text'))
          .filter((label) => label.textContent)
          .map((label) => ({ what: `label "${label.textContent}"`, color: getComputedStyle(label).fill }));
        const lines = Array.from(svg.querySelectorAll('polyline')).map((line) => {
          const style = getComputedStyle(line);
          return {
            what: `line ${line.getAttribute('data-series')}`,
            color: style.stroke,
            dashes: style.strokeDasharray,
            caps: style.strokeLinecap,
          };
        });
        return { background, labels, lines };
      });
      assert.equal(drawn.lines.length, 4, 'four lines drawn');
      assert.ok(drawn.labels.length >= 4, 'the scale and the time axis are labelled');
      for (const { what, color } of [...drawn.labels, ...drawn.lines]) {
        const ratio = contrast(color, drawn.background);
        assert.ok(
          ratio >= MIN_CONTRAST,
          `${what}: ${color} on ${drawn.background} is ${ratio.toFixed(2)}:1 (${look.colorScheme})`,
        );
      }
      // Not by colour alone: every line has a pattern of its own, and the legend shows it.
      assert.equal(new Set(drawn.lines.map((line) => line.dashes)).size, 4, JSON.stringify(drawn.lines));
      const legend = await panel
        .locator('.chart-legend')
        .first()
        .evaluate((list) =>
          Array.from(list.querySelectorAll('.swatch line')).map(
            (line) => getComputedStyle(line).strokeDasharray,
          ),
        );
      assert.deepEqual(
        legend,
        drawn.lines.map((line) => line.dashes),
        'the legend draws each line as the chart does',
      );
      await page.screenshot({ path: screenshotPath(`chart-${look.colorScheme}`), fullPage: true });
      await context.close();
    });
  }
});

/** `rgb(r, g, b)` (or `rgba`) as computed by the browser, to its channels. */
function channels(color: string): [number, number, number] {
  const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  assert.ok(match, `a computed colour: ${color}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** WCAG relative luminance and contrast ratio. */
function contrast(foreground: string, background: string): number {
  const luminance = (color: string) => {
    const [r, g, b] = channels(color).map((channel) => {
      const value = channel / 255;
      return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return (light! + 0.05) / (dark! + 0.05);
}
