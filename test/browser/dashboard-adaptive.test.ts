/**
 * The dashboard's adaptive-inlet panel in a real browser: the rate and the origin's latest
 * reading, live, the chart of both against the latency target, and the targets changed from
 * the page without losing the signal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  ADMIN_KEY,
  browserSkipReason,
  launchBrowser,
  screenshotPath,
  startTestServer,
  type TestServer,
} from './support.ts';

const skip = browserSkipReason();
const WAIT = { timeout: 20_000 };

const ADAPTIVE = {
  id: 'adaptive',
  inlet: {
    type: 'adaptive',
    minPerMinute: 6,
    maxPerMinute: 600,
    startPerMinute: 60,
    intervalSeconds: 1,
    target: { latencyMs: 400, errorRate: 0.02 },
    signal: { type: 'push' },
  },
};

describe('dashboard: the adaptive inlet', { skip }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer([ADAPTIVE, 'plain']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('charts the rate and the origin’s latency live, and changes the targets', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${server.adminUrl}/`);
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    const panel = page.locator('section.event[data-event-id="adaptive"]');
    await panel.getByRole('heading', { name: 'Admission rate and origin health' }).waitFor(WAIT);
    await panel
      .getByText('Adaptive inlet: 6–600 a minute, target p95 400 ms and 2 % errors, signal push')
      .waitFor(WAIT);

    // The origin reports trouble, as its monitoring would, every half second: the panel shows the
    // reading and the controller falling.
    const report = () =>
      server.admin('POST', '/origin_health', { event_id: 'adaptive', latency_ms: 812, error_rate: 0.05 });
    await report();
    const pusher = setInterval(() => void report().catch(() => {}), 500);
    try {
      await panel.getByText('The origin is above its target: the rate falls.').waitFor(WAIT);
    } finally {
      clearInterval(pusher);
    }
    await panel.locator('[data-field="inlet_latency"]', { hasText: '812' }).waitFor(WAIT);
    assert.equal(await panel.locator('[data-field="inlet_errors"]').textContent(), '5 %');
    const rate = Number(await panel.locator('[data-field="inlet_rate"]').textContent());
    assert.ok(rate < 60, `the rate fell from 60 to ${rate}`);
    // Rate, latency and the dashed target line.
    const chart = panel.locator('[data-field="inlet_chart"]');
    assert.equal(await chart.locator('polyline').count(), 2);
    assert.equal(await chart.locator('line.series.target').count(), 1);
    assert.match((await chart.getAttribute('aria-label')) ?? '', /origin p95 812 ms, target 400 ms/);
    await page.screenshot({ path: screenshotPath('dashboard-adaptive'), fullPage: true });

    // Another inlet has no such panel.
    const plain = page.locator('section.event[data-event-id="plain"]');
    assert.equal(await plain.locator('[data-field="inlet_health"]').isHidden(), true);

    // New targets from the page; the push signal stays.
    await panel.getByLabel('Target p95 (ms)').fill('250');
    await panel.getByLabel('Most a minute').fill('300');
    await panel.getByRole('button', { name: 'Apply strategy' }).click();
    await panel
      .getByText('Inlet strategy set: Adaptive inlet: 6–300 a minute, target p95 250 ms')
      .waitFor(WAIT);
    const saved = (await server.admin('GET', '/events/adaptive')) as { inlet: Record<string, unknown> };
    assert.deepEqual(saved.inlet, {
      ...ADAPTIVE.inlet,
      maxPerMinute: 300,
      target: { latencyMs: 250, errorRate: 0.02 },
    });
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });
});
