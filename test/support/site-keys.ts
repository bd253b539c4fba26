/**
 * A site's signing keys for enqueue tokens, as the site's own code would hold them: an ES256
 * key pair, its public JWKS (inline or served over HTTP), and tokens signed with `jose`, the way
 * docs/bots-and-identities.md tells a site to sign them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface SiteKeys {
  jwks: { keys: JWK[] };
  /** A token for `sub`, issued now (`clock` seconds) for 2 minutes unless told otherwise. */
  sign(sub: string, claims?: { iss?: string; aud?: string; exp?: number; iat?: number }): Promise<string>;
}

export async function siteKeys(issuer: string, now: () => number): Promise<SiteKeys> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'site-1', alg: 'ES256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    sign: (sub, claims = {}) => signWith(privateKey, sub, issuer, now, claims),
  };
}

function signWith(
  key: CryptoKey,
  sub: string,
  issuer: string,
  now: () => number,
  claims: { iss?: string; aud?: string; exp?: number; iat?: number },
): Promise<string> {
  const iat = claims.iat ?? now();
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'site-1' })
    .setIssuer(claims.iss ?? issuer)
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp ?? iat + 120);
  if (claims.aud !== undefined) jwt.setAudience(claims.aud);
  return jwt.sign(key);
}

/** Serves `jwks` at `<url>`; counts the downloads. */
export async function serveJwks(jwks: {
  keys: JWK[];
}): Promise<{ url: string; downloads(): number; close(): Promise<void> }> {
  let downloads = 0;
  const server: Server = createServer((_req, res) => {
    downloads += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    downloads: () => downloads,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A URL nothing answers on (a port just closed). */
export async function deadUrl(path: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}
