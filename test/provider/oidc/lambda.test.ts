/**
 * The provider through the Lambda handler: API Gateway REST (payload 1.0, the stage stripped
 * from `event.path`) and HTTP API (payload 2.0, the stage kept in `rawPath`), both behind a
 * stage prefix. Discovery, the interaction redirect, the resume URL and the token endpoint all
 * keep the prefix; the cookies survive the gateway; openid-client gets validated tokens.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import * as oc from 'openid-client';
import { lambdaHandlerForApp } from '../../../provider/lambda/app-handler.ts';
import { lambdaListener } from '../../support/lambda-bridge.ts';
import { Browser, buildOidcApp, navigate, RP, SECRET_A, startFlow } from './harness.ts';

for (const format of ['v1', 'v2'] as const) {
  test(`the code flow through ${format} API Gateway events behind the "prod" stage`, async () => {
    let listener: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
    const server: Server = createServer((req, res) => listener(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
    const { deps, oidc, app } = await buildOidcApp(publicUrl);
    listener = lambdaListener(lambdaHandlerForApp(app, deps, { kind: 'public' }), { format, stage: 'prod' });
    try {
      const issuer = `${publicUrl}/oidc`;
      const config = await oc.discovery(
        new URL(issuer),
        'client-a',
        SECRET_A,
        oc.ClientSecretPost(SECRET_A),
        {
          execute: [oc.allowInsecureRequests],
        },
      );
      assert.equal(config.serverMetadata().token_endpoint, `${issuer}/token`);
      assert.equal(config.serverMetadata().authorization_endpoint, `${issuer}/auth`);
      const { url, verifier, state, nonce } = await startFlow(config, `${RP}/a/callback`);
      const browser = new Browser();
      const waiting = await navigate(browser, url);
      assert.ok(waiting.kind === 'page', JSON.stringify(waiting).slice(0, 300));
      assert.ok(waiting.url.pathname.startsWith('/prod/oidc/interaction/'), waiting.url.pathname);
      // The waiting page's own URLs keep the stage too, and answer through the gateway.
      assert.match(waiting.html, /<script src="\/prod\/assets\/waiting-room\.js" defer>/);
      assert.match(waiting.html, /data-status-url="\/prod\/oidc\/interaction\/[\w-]+\/status\?/);
      for (const asset of ['anteroom.css', 'waiting-room.js', 'favicon.svg']) {
        assert.match(waiting.html, new RegExp(`"/prod/assets/${asset.replace('.', '\\.')}"`));
        assert.equal((await fetch(new URL(`/prod/assets/${asset}`, publicUrl))).status, 200, asset);
      }
      await deps.room.incrementServingCounter('event-a', 1, 'test');
      const back = await navigate(browser, waiting.url);
      assert.ok(back.kind === 'callback', JSON.stringify(back).slice(0, 300));
      const tokens = await oc.authorizationCodeGrant(config, back.url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      assert.equal(tokens.claims()!['event_id'], 'event-a');
      const info = await oc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      assert.equal(info['queue_position'], 1);

      // The provider's own pages (here: an unknown client at /auth) use the same prefix.
      const refused = await fetch(`${issuer}/auth?client_id=nobody&response_type=code&scope=openid`);
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /<link rel="stylesheet" href="\/prod\/assets\/anteroom\.css">/);
    } finally {
      await oidc.close();
      server.closeAllConnections();
      server.close();
    }
  });
}
