/**
 * The provider's URLs and cookies follow `publicUrl`, not the request. Deployed as most are —
 * an https public URL, TLS ending at a proxy in front, plain HTTP to `anteroom serve`, and
 * `trustProxy` left off — the provider used to see plain http: its cookies (`_ar_session`,
 * `_ar_interaction`, `_ar_resume`) went out without `Secure`, and whatever `Host` a client sent
 * became the host of every URL in discovery. Real HTTP, real oidc-provider, a real sign-in.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deploymentWarnings } from '../../provider/config/deployment-warnings.ts';
import { loadConfig } from '../../provider/config/server-config.ts';
import { buildOidcApp, RP } from '../provider/oidc/harness.ts';
import { ADMIN_KEY } from '../provider/support.ts';

const PUBLIC = 'https://rooms.example.test';

describe('an https publicUrl behind a TLS proxy, trustProxy off', () => {
  let server: Server;
  let local: string;
  let close: () => Promise<void>;
  before(async () => {
    const { app, oidc } = await buildOidcApp(PUBLIC);
    server = createServer(app.callback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      await oidc.close();
      server.closeAllConnections();
      server.close();
    };
  });
  after(() => close?.());

  /** A request as the proxy forwards it: plain http, the client's own Host header. */
  function viaProxy(path: string, headers: Record<string, string> = {}) {
    return fetch(`${local}${path}`, { redirect: 'manual', headers: { Host: 'evil.example', ...headers } });
  }

  it('advertises publicUrl in discovery, whatever Host or X-Forwarded-* the client sends', async () => {
    const answer = await viaProxy('/oidc/.well-known/openid-configuration', {
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'http',
    });
    const discovery = (await answer.json()) as Record<string, unknown>;
    assert.equal(discovery['issuer'], `${PUBLIC}/oidc`);
    for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      assert.ok(String(discovery[name]).startsWith(`${PUBLIC}/oidc/`), `${name}: ${discovery[name]}`);
    }
  });

  it('marks every provider cookie Secure through a whole sign-in', async () => {
    const jar = new Map<string, string>();
    const seen: string[] = [];
    const remember = (answer: Response) => {
      for (const line of answer.headers.getSetCookie()) {
        seen.push(line);
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
    };
    const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const query = new URLSearchParams({
      client_id: 'open-client',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${RP}/open/callback`,
      state: 'state-0123456789',
    });
    let url = new URL(`${PUBLIC}/oidc/auth?${query}`);
    for (let hop = 0; hop < 10 && !url.href.startsWith(RP); hop++) {
      const local_ = `${url.pathname}${url.search}`;
      const answer = await viaProxy(local_, { Cookie: cookieHeader() });
      remember(answer);
      await answer.arrayBuffer();
      const location = answer.headers.get('location');
      assert.ok(location, `hop ${hop} ${url.pathname} answered ${answer.status}`);
      url = new URL(location, PUBLIC);
    }
    assert.ok(url.href.startsWith(`${RP}/open/callback?code=`), url.href);
    const names = new Set(seen.map((line) => line.split('=')[0]));
    for (const name of ['_ar_interaction', '_ar_resume', '_ar_session'])
      assert.ok(names.has(name), `${name} set`);
    for (const line of seen.filter((cookie) => cookie.startsWith('_ar_'))) {
      assert.match(line, /;\s*secure/i, line);
    }
  });

  it('warns at start that TLS ends in front of the server and no proxy is trusted', () => {
    const config = loadConfig({
      raw: { publicUrl: PUBLIC, adminKeys: [ADMIN_KEY], events: [{ id: 'sale' }] },
      env: {},
    });
    assert.ok(deploymentWarnings(config).some((warning) => /publicUrl is https/.test(warning)));
    const behindProxy = loadConfig({
      raw: { publicUrl: PUBLIC, adminKeys: [ADMIN_KEY], events: [{ id: 'sale' }], limits: { trustProxy: 1 } },
      env: {},
    });
    assert.deepEqual(deploymentWarnings(behindProxy), []);
  });
});
