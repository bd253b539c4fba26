/**
 * The site gate in Node sites with no proxy in front: `koaGate` in a Koa app and `expressGate`
 * in an Express app, each on a real HTTP server, against a real `anteroom serve`. The site is
 * `http://localhost:<port>` and Anteroom `http://127.0.0.1:<port>`, two hosts, as in production.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Koa from 'koa';
import { expressGate, type GateConfig, koaGate, type SessionClaims } from '../../../authorizer/gate.ts';
import { freePort } from '../../support/redis.ts';
import {
  type Anteroom,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  EVENT_ID,
  GateBrowser,
  queueThrough,
  startAnteroom,
} from './support.ts';

interface Echo {
  path: string;
  headers: Record<string, string>;
  /** What the framework's own slot says (`ctx.state.anteroom`, `req.anteroom`, `res.locals.anteroom`). */
  claims: SessionClaims | null | undefined;
  locals?: SessionClaims | null | undefined;
}

function identityOf(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.startsWith('x-anteroom-')) as Array<[string, string]>,
  );
}

function koaSite(config: GateConfig): RequestListener {
  const app = new Koa();
  app.use(koaGate(config));
  app.use((ctx) => {
    const echo: Echo = { path: ctx.path, headers: identityOf(ctx.headers), claims: ctx.state.anteroom };
    ctx.body = echo;
  });
  return app.callback();
}

function expressSite(config: GateConfig): RequestListener {
  const app = express();
  app.use(expressGate(config));
  app.use((req, res) => {
    const echo: Echo = {
      path: req.path,
      headers: identityOf(req.headers),
      claims: (req as { anteroom?: SessionClaims | null }).anteroom,
      locals: res.locals['anteroom'],
    };
    res.json(echo);
  });
  return app as unknown as RequestListener;
}

async function listen(port: number, listener: RequestListener): Promise<Server> {
  const server = createServer(listener);
  // Both loopback families: `localhost` may resolve to either.
  server.listen({ port, host: '::', ipv6Only: false });
  await once(server, 'listening');
  return server;
}

const SITES = { koa: koaSite, express: expressSite };

describe('Node gates', () => {
  let anteroom: Anteroom;
  const ports: Record<keyof typeof SITES, number> = { koa: 0, express: 0 };
  const servers: Server[] = [];

  before(async () => {
    ports.koa = await freePort();
    ports.express = await freePort();
    anteroom = await startAnteroom({
      sites: Object.values(ports).map((port) => `http://localhost:${port}`),
    });
    for (const [name, build] of Object.entries(SITES) as Array<[keyof typeof SITES, typeof koaSite]>) {
      const config: GateConfig = {
        issuer: anteroom.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        cookieSecret: COOKIE_SECRET,
        baseUrl: `http://localhost:${ports[name]}`,
        protect: ['/shop'],
        log: () => undefined,
      };
      servers.push(await listen(ports[name], build(config)));
    }
  });
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await anteroom?.close();
  });

  for (const name of Object.keys(SITES) as Array<keyof typeof SITES>) {
    describe(name, () => {
      const site = () => `http://localhost:${ports[name]}`;

      it('signs the visitor in through the queue and hands the route who they are', async () => {
        const browser = new GateBrowser();
        const page = new URL('/shop/basket?step=2', site());
        const { callback } = await queueThrough(browser, anteroom, page);
        assert.equal(`${callback.origin}${callback.pathname}`, `${site()}/_anteroom/callback`);
        const landed = await browser.visit(callback);
        assert.equal(landed.status, 302, landed.body);
        assert.equal(landed.location?.href, page.href);
        const session = landed.setCookies.find((line) => line.startsWith('__Host-anteroom-session='));
        assert.ok(session);
        assert.match(session, /; HttpOnly; SameSite=Lax; Secure$/);

        const served = await browser.visit(page, {
          headers: { 'X-Anteroom-Sub': 'forged', 'x-anteroom-role': 'admin' },
        });
        assert.equal(served.status, 200, served.body);
        const echo = JSON.parse(served.body) as Echo;
        assert.equal(echo.headers['x-anteroom-event-id'], EVENT_ID);
        assert.notEqual(echo.headers['x-anteroom-sub'], 'forged');
        assert.equal(echo.headers['x-anteroom-role'], undefined, 'forged headers are removed');
        const requestId = echo.headers['x-anteroom-request-id'] ?? '';
        assert.equal(
          Number(echo.headers['x-anteroom-queue-position']),
          await anteroom.queueNumber(requestId),
        );
        assert.deepEqual(echo.claims, {
          sub: echo.headers['x-anteroom-sub'],
          eventId: EVENT_ID,
          requestId,
          queuePosition: Number(echo.headers['x-anteroom-queue-position']),
        });
        if (name === 'express') assert.deepEqual(echo.locals, echo.claims);
      });

      it('leaves paths outside `protect` alone, minus forged headers', async () => {
        const browser = new GateBrowser();
        const served = await browser.visit(new URL('/shopping', site()), {
          headers: { 'x-anteroom-sub': 'forged' },
        });
        assert.equal(served.status, 200);
        const echo = JSON.parse(served.body) as Echo;
        assert.deepEqual(echo.headers, {});
        assert.equal(echo.claims, null);
      });

      it('answers the callback itself: a wrong state is a 400 page', async () => {
        const browser = new GateBrowser();
        const refused = await browser.visit(
          new URL(`/_anteroom/callback?code=x&state=${'A'.repeat(43)}`, site()),
        );
        assert.equal(refused.status, 400);
        assert.match(refused.headers['content-type'] ?? '', /^text\/html/);
        assert.match(refused.body, /Sign-in did not complete/);
      });
    });
  }
});
