/**
 * A real browser (Debian's Chromium through playwright-core) through `koaGate`: a Koa site at
 * `http://localhost` protected by the gate sends the visitor to Anteroom, the visitor waits on
 * the waiting page, is admitted by the operator through the admin API, and lands back on the
 * page first asked for, signed in — no click needed. Chromium treats localhost as a secure
 * context, so the `__Host-` cookies work over plain http there.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import type { Browser } from 'playwright-core';
import { koaGate } from '../../../authorizer/gate.ts';
import { browserSkipReason, launchBrowser } from '../../browser/support.ts';
import { freePort } from '../../support/redis.ts';
import {
  type Anteroom,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  EVENT_ID,
  startAnteroom,
} from './support.ts';

const skip = browserSkipReason();
/** Bounds a broken run only: every wait ends as soon as the page shows the state. */
const WAIT = { timeout: 20_000 };

describe('koaGate in a browser', { skip }, () => {
  let anteroom: Anteroom;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;

  before(async () => {
    const port = await freePort();
    siteUrl = `http://localhost:${port}`;
    anteroom = await startAnteroom({ sites: [siteUrl] });
    const app = new Koa();
    app.use(
      koaGate({
        issuer: anteroom.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        cookieSecret: COOKIE_SECRET,
        baseUrl: siteUrl,
        log: () => undefined,
      }),
    );
    app.use((ctx) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sale</title><h1>Welcome to the sale</h1>
<p id="position">${Number(ctx.get('x-anteroom-queue-position'))}</p>
<p id="event">${ctx.get('x-anteroom-event-id').replace(/[^\w-]/g, '')}</p>
<p id="path">${ctx.path.replace(/[^\w/-]/g, '')}</p>`;
    });
    site = createServer(app.callback());
    site.listen({ port, host: '::', ipv6Only: false });
    await once(site, 'listening');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    site?.closeAllConnections();
    site?.close();
    await anteroom?.close();
  });

  it('protected page → waiting page → admitted → back on that page, signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${siteUrl}/tickets/row-f`);
    assert.equal(new URL(page.url()).origin, new URL(anteroom.issuer).origin, 'at Anteroom');
    await page.getByRole('heading', { name: "You're next" }).waitFor(WAIT);

    await anteroom.admit(1);
    await page.getByRole('heading', { name: 'Welcome to the sale' }).waitFor(WAIT);
    assert.equal(page.url(), `${siteUrl}/tickets/row-f`);
    assert.equal(await page.locator('#event').textContent(), EVENT_ID);
    assert.equal(await page.locator('#position').textContent(), '1');

    const cookies = await context.cookies(siteUrl);
    const session = cookies.find((cookie) => cookie.name === '__Host-anteroom-session');
    assert.ok(session, 'the browser kept the session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/');
    assert.ok(
      !cookies.some((cookie) => cookie.name.startsWith('__Host-anteroom-flow-')),
      'the flow is spent',
    );

    // Signed in: the next page needs no trip to Anteroom.
    await page.goto(`${siteUrl}/tickets/row-g`);
    assert.equal(await page.locator('#path').textContent(), '/tickets/row-g');
    await context.close();
  });
});
