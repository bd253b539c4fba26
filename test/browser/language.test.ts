/**
 * The waiting page in another language (`pages.language: "fr"`) with one message reworded by
 * the operator (`pages.messages`) and a brand colour (`pages.accentColor`), in a real browser: the server-rendered page and the live
 * updates the page's script makes (no reload) both speak French.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  browserSkipReason,
  launchBrowser,
  queueAhead,
  screenshotPath,
  startTestServer,
  type TestServer,
} from './support.ts';

const skip = browserSkipReason();
const WAIT = { timeout: 20_000 };

describe('the waiting page in French', { skip }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startTestServer(['salle', 'suivant'], {
      pages: {
        language: 'fr',
        messages: { fr: { joinButton: 'Je prends ma place' } },
        accentColor: '#0a6e31',
      },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('joins, waits and is admitted in French, with the live updates in French too', async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${server.publicUrl}/waiting-room/salle`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    await page.getByRole('heading', { name: 'Le site est très demandé' }).waitFor(WAIT);
    // The operator's brand colour (pages.accentColor) is on the buttons.
    const button = page.getByRole('button', { name: 'Je prends ma place' });
    assert.equal(
      await button.evaluate((element) => getComputedStyle(element).backgroundColor),
      'rgb(10, 110, 49)',
    );
    await button.click();
    await page.getByRole('heading', { name: 'Vous êtes le prochain' }).waitFor(WAIT);
    assert.match((await page.locator('[data-field="eta"]').textContent()) ?? '', /^Estimation en cours/);
    // The script's own sentence is French too (it once was English on every page).
    await page
      .locator('[data-field="live_hint"]')
      .getByText('Cette page se met à jour toute seule. Vous pouvez la laisser ouverte.')
      .waitFor(WAIT);
    assert.equal(
      await page.locator('[data-field="progress_text"]').textContent(),
      'Places déjà admises : 0 sur 1',
    );

    // The operator lets the visitor in: the script switches the page over, in French.
    await server.admin('POST', '/increment_serving_counter', { event_id: 'salle', increment_by: 1 });
    await page.getByRole('heading', { name: 'C’est votre tour' }).waitFor(WAIT);
    assert.equal(await page.title(), 'C’est votre tour');
    await page.locator('#ar-alert').getByText('C’est votre tour. Appuyez sur Entrer').waitFor(WAIT);
    assert.equal(
      await page.locator('[data-field="progress_text"]').textContent(),
      'Places déjà admises : 1 sur 1',
    );
    await page.screenshot({ path: screenshotPath('waiting-page-french-your-turn'), fullPage: true });

    await page.getByRole('button', { name: 'Entrer' }).click();
    await page.getByRole('heading', { name: 'Vous pouvez entrer' }).waitFor(WAIT);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  test('a visitor who waits behind others hears the progress in French', async () => {
    // Two people ahead, who joined through the JSON API.
    await queueAhead(server, 'suivant', 2);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.publicUrl}/waiting-room/suivant`);
    // The stream must be open before the counter moves, so the change below is one it sees.
    const streamOpen = page.waitForResponse(
      (response) => response.url().includes('/events/suivant/stream'),
      WAIT,
    );
    await page.getByRole('button', { name: 'Je prends ma place' }).click();
    await page.getByRole('heading', { name: 'Vous êtes dans la file' }).waitFor(WAIT);
    assert.equal(await page.locator('[data-field="ahead"]').textContent(), '2');
    await streamOpen;

    await server.admin('POST', '/increment_serving_counter', { event_id: 'suivant', increment_by: 1 });
    await page
      .locator('#ar-announcer')
      .getByText(/^1 personne devant vous\. Attente estimée : /)
      .waitFor(WAIT);
    await context.close();
  });
});

describe('every shipped language offered by default, chosen from the browser', { skip }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    // No `pages` configuration at all: the defaults.
    server = await startTestServer(['defaut']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [locale, lang, heading] of [
    ['fr-FR', 'fr', 'Le site est très demandé'],
    ['de-AT', 'de', 'Die Website ist stark ausgelastet'],
    ['es-MX', 'es', 'El sitio está muy solicitado'],
    ['en-GB', 'en', 'The site is busy'],
    ['ja-JP', 'en', 'The site is busy'],
  ] as const) {
    test(`a ${locale} browser gets the page in ${lang}`, async () => {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await page.goto(`${server.publicUrl}/waiting-room/defaut`);
      assert.equal(await page.locator('html').getAttribute('lang'), lang);
      await page.getByRole('heading', { name: heading }).waitFor(WAIT);
      await context.close();
    });
  }
});
