/**
 * The entry challenge on the waiting page, in a real browser (Debian's Chromium through
 * playwright-core) against the real server: the proof of work is solved in a Web Worker with
 * its progress shown, the answer takes a place; without JavaScript the page says why it cannot
 * go on. The captcha widget's page loads the provider's script with a policy widened for it
 * alone; its token is checked by a local server that answers as siteverify does (the real
 * providers are out of reach here, so no widget renders: the form's post is made by hand).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { solvePow } from '../support/pow.ts';
import { type FakeSiteverify, startSiteverify } from '../support/siteverify.ts';
import {
  browserSkipReason,
  launchBrowser,
  screenshotPath,
  startTestServer,
  type TestServer,
} from './support.ts';

const skip = browserSkipReason();
/** Bounds a broken run only: waits end as soon as the page shows the state. */
const WAIT = { timeout: 60_000 };
/** About a million hashes on average: long enough for progress to show, seconds in Chromium. */
const DIFFICULTY = 20;
/** The worker reports progress every 2^14 attempts (pow-worker.js). */
const REPORT_EVERY = 1 << 14;
const SECRET = 'siteverify-secret-for-the-browser-test';

interface EventCounters {
  counters: { queue_number: number };
}

describe('the entry challenge on the waiting page, in a browser', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let siteverify: FakeSiteverify;

  before(async () => {
    siteverify = await startSiteverify(SECRET);
    server = await startTestServer([
      { id: 'pow', inlet: { type: 'manual' }, challenge: { type: 'pow', difficulty: DIFFICULTY } },
      { id: 'pow-nojs', inlet: { type: 'manual' }, challenge: { type: 'pow', difficulty: 8 } },
      { id: 'pow-wrong', inlet: { type: 'manual' }, challenge: { type: 'pow', difficulty: 8 } },
      {
        id: 'widget',
        inlet: { type: 'manual' },
        challenge: {
          type: 'siteverify',
          provider: 'turnstile',
          sitekey: '1x00000000000000000000AA',
          secret: SECRET,
          url: siteverify.url,
        },
      },
      { id: 'plain', inlet: { type: 'manual' } },
    ]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await siteverify?.close();
  });

  async function queueLength(eventId: string): Promise<number> {
    return ((await server.admin('GET', `/events/${eventId}`)) as EventCounters).counters.queue_number;
  }

  test('the proof of work runs in a Web Worker, shows its progress, and its answer takes a place', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
    // Every value the progress bar takes, recorded as the page sets it.
    await page.addInitScript(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          const target = record.target as HTMLProgressElement;
          if (target.id === 'ar-challenge-progress') seen.push(target.value);
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['value'] });
    });

    // A solve that ends within the first report shows no intermediate progress: take another prefix.
    let tried = 0;
    for (let attempt = 0; attempt < 4 && tried < 2 * REPORT_EVERY; attempt++) {
      await page.goto(`${server.publicUrl}/waiting-room/pow`);
      const button = page.getByRole('button', { name: 'Take your place' });
      await button.waitFor(WAIT);
      assert.equal(await page.locator('noscript').count(), 1);
      // The script enables the button as soon as the worker starts.
      await page.locator('button[type="submit"]:not([disabled])').waitFor(WAIT);
      if (attempt === 0) {
        // A lucky solve can end before the page is looked at: then the loop takes another prefix.
        await Promise.race([
          page
            .locator('[data-field="challenge_text"]')
            .getByText(/solving the puzzle/)
            .waitFor(WAIT),
          page.locator('#ar-challenge[data-state="solved"]').waitFor(WAIT),
        ]);
        await page.screenshot({ path: screenshotPath('entry-challenge-progress'), fullPage: true });
      }
      await page.locator('#ar-challenge[data-state="solved"]').waitFor(WAIT);
      tried = Number(await page.locator('#ar-challenge').getAttribute('data-tried'));
    }
    assert.ok(tried >= 2 * REPORT_EVERY, 'one of four solves took more than two progress reports');
    assert.ok(workers.includes('/assets/pow-worker.js'), 'the proof of work ran in the Web Worker');
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    assert.ok(
      seen.some((value) => value > 0 && value < 100),
      `the progress bar moved before the answer was found (saw ${seen.join(', ')})`,
    );
    assert.equal(seen.at(-1), 100, 'and reached its end when it was found');
    assert.equal(
      await page.locator('[data-field="challenge_text"]').textContent(),
      'Done. You can take your place.',
    );

    const before = await queueLength('pow');
    await page.getByRole('button', { name: 'Take your place' }).click();
    // Nobody ahead: the page says so.
    await page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);
    assert.equal(await queueLength('pow'), before + 1, 'the answer took one place');
    assert.deepEqual(consoleErrors, [], 'no script or policy error');
    await context.close();
  });

  test('pressed before the answer is found, the button waits for it and then takes the place', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.publicUrl}/waiting-room/pow`);
    await page.locator('button[type="submit"]:not([disabled])').waitFor(WAIT);
    await page.getByRole('button', { name: 'Take your place' }).click();
    // Either the answer was still being looked for (the page says it will go on by itself), or
    // it had just been found; in both cases the place is taken without another press (behind
    // the previous test's visitor, or first when run alone).
    await page.getByRole('heading', { name: /^You're (in the queue|next)$/ }).waitFor(WAIT);
    assert.match(page.url(), /\/waiting-room\/pow$/);
    await context.close();
  });

  test('without JavaScript the page says the check needs it, and offers no form that would fail', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.publicUrl}/waiting-room/pow-nojs`);
    // (Playwright's text locators skip <noscript>: read what the visitor sees instead.)
    assert.match(
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the visitor sees
      await page.locator('main').innerText(),
      /It needs JavaScript: please turn JavaScript on and reload this page\./,
    );
    assert.equal(await page.getByRole('button', { name: 'Take your place' }).isDisabled(), true);
    await page.screenshot({ path: screenshotPath('entry-challenge-nojs'), fullPage: true });
    await context.close();
  });

  test('a wrong or reused answer takes no place: the form comes back with a fresh challenge', async () => {
    const join = (answer: string) =>
      fetch(`${server.publicUrl}/waiting-room/pow-wrong/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ challenge: answer }),
        redirect: 'manual',
      });
    const page = await (await fetch(`${server.publicUrl}/waiting-room/pow-wrong`)).text();
    const prefix = /data-prefix="([^"]+)"/.exec(page)?.[1];
    assert.ok(prefix, 'the join form carries a prefix');
    const wrong = await join(`${prefix}:not-a-solution-${Date.now()}`);
    assert.equal(wrong.status, 403);
    const again = await wrong.text();
    assert.match(again, /The check did not go through, or it expired/);
    assert.notEqual(/data-prefix="([^"]+)"/.exec(again)?.[1], prefix, 'a fresh prefix');
    assert.equal(await queueLength('pow-wrong'), 0);

    const answer = solvePow(prefix, 8);
    const right = await join(answer);
    assert.equal(right.status, 303, 'the right answer takes a place');
    assert.equal(await queueLength('pow-wrong'), 1);
    const reused = await join(answer);
    assert.equal(reused.status, 403, 'an answer is good once');
    assert.equal(await queueLength('pow-wrong'), 1);
  });

  test("a captcha event's page loads the provider's widget, and only its policy lets the provider in", async () => {
    const widgetPage = await fetch(`${server.publicUrl}/waiting-room/widget`);
    const markup = await widgetPage.text();
    assert.match(
      markup,
      /<script src="https:\/\/challenges\.cloudflare\.com\/turnstile\/v0\/api\.js" async defer><\/script>/,
    );
    assert.match(markup, /<div class="cf-turnstile" data-sitekey="1x00000000000000000000AA"><\/div>/);
    assert.doesNotMatch(markup, new RegExp(SECRET), 'the secret never reaches the page');
    const policy = widgetPage.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self' https:\/\/challenges\.cloudflare\.com(;|$)/);
    assert.match(policy, /frame-src 'self' https:\/\/challenges\.cloudflare\.com(;|$)/);

    for (const eventId of ['plain', 'pow']) {
      const other = await fetch(`${server.publicUrl}/waiting-room/${eventId}`);
      const otherPolicy = other.headers.get('content-security-policy') ?? '';
      assert.doesNotMatch(otherPolicy, /cloudflare/, `${eventId}: the default policy`);
      assert.doesNotMatch(await other.text(), /challenges\.cloudflare\.com/);
    }

    // The widget fills `cf-turnstile-response` in the form; the server checks it with siteverify.
    const join = (token: string) =>
      fetch(`${server.publicUrl}/waiting-room/widget/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'cf-turnstile-response': token }),
        redirect: 'manual',
      });
    const refused = await join('a-token-the-provider-never-issued');
    assert.equal(refused.status, 403);
    assert.equal(await queueLength('widget'), 0);
    siteverify.grant('a-good-token');
    const accepted = await join('a-good-token');
    assert.equal(accepted.status, 303);
    assert.equal(await queueLength('widget'), 1);
    assert.equal(siteverify.calls.at(-1)?.response, 'a-good-token');
    assert.equal(siteverify.calls.at(-1)?.secret, SECRET);
  });

  test('the captcha page in Chromium: the provider script is allowed by the page policy, nothing else is', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/.test(message.text())) violations.push(message.text());
    });
    // The provider is out of reach: its script is answered locally so the test can see it load.
    let scriptRequested = false;
    await page.route('https://challenges.cloudflare.com/**', (route) => {
      scriptRequested = true;
      return route.fulfill({
        status: 200,
        contentType: 'text/javascript',
        body: 'window.widgetLoaded = true;',
      });
    });
    await page.goto(`${server.publicUrl}/waiting-room/widget`);
    await page.waitForFunction(
      () => (window as unknown as { widgetLoaded?: boolean }).widgetLoaded === true,
      null,
      WAIT,
    );
    assert.equal(scriptRequested, true);
    assert.deepEqual(violations, []);
    await context.close();
  });
});
