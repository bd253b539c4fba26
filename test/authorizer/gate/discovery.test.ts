/**
 * The gate takes the provider's metadata only from a discovery document that names exactly the
 * issuer it was configured with (OpenID Connect Discovery §4.3; OWASP ASVS 5.0 10.5.3): a
 * server at the issuer's URL that presents itself as another issuer is not believed. Served by a
 * real HTTP server on loopback.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createDiscovery } from '../../../authorizer/gate/discovery.ts';
import { SignInError } from '../../../authorizer/gate/failures.ts';

describe('the site gate reads discovery only from its own issuer', () => {
  let server: Server;
  let base: string;
  /** What the served document says its issuer is, per path prefix. */
  const claimed = new Map<string, (base: string) => string>();

  before(async () => {
    server = createServer((req, res) => {
      const prefix = (req.url ?? '').split('/.well-known/')[0] ?? '';
      const issuer = claimed.get(prefix)?.(base) ?? '';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${base}${prefix}/auth`,
          token_endpoint: `${base}${prefix}/token`,
          jwks_uri: `${base}${prefix}/jwks`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    claimed.set('/oidc', (at) => `${at}/oidc`);
    claimed.set('/impostor', () => 'https://queue.example.com/oidc');
    claimed.set('/prefix', (at) => `${at}/prefix/oidc`);
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const discover = (issuer: string) =>
    createDiscovery({ issuer, fetch, now: () => Date.now(), timeoutMs: 5000 })();

  it('takes the endpoints of a document that names the configured issuer', async () => {
    const metadata = await discover(`${base}/oidc`);
    assert.equal(metadata.authorizationEndpoint, `${base}/oidc/auth`);
    assert.equal(metadata.tokenEndpoint, `${base}/oidc/token`);
  });

  it('refuses a document that names another issuer, or one that only starts like it', async () => {
    for (const issuer of [`${base}/impostor`, `${base}/prefix`]) {
      await assert.rejects(
        discover(issuer),
        (error: unknown) =>
          error instanceof SignInError &&
          error.code === 'provider_unavailable' &&
          /discovery names issuer/.test(error.detail ?? ''),
        issuer,
      );
    }
  });
});
