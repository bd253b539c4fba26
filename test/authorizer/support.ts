/**
 * Test helpers for the authorizer: signing keys, admission tokens minted the way the waiting
 * room mints them (jose SignJWT), a real HTTP server serving a JWKS, and a controllable clock.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';

export const ISSUER = 'https://queue.example.com';
export const EVENT_ID = 'sale-2026';
/** A fixed start time (ms) so token times never depend on the machine clock. */
export const T0 = 1_900_000_000_000;

export interface TestKey {
  alg: 'ES256' | 'RS256';
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export async function makeKey(
  alg: 'ES256' | 'RS256',
  kid = `${alg.toLowerCase()}-${randomUUID()}`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export interface Clock {
  now: () => number;
  set(ms: number): void;
  advance(seconds: number): void;
}

export function makeClock(start = T0): Clock {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

export interface MintOptions {
  /** Claims to override or add; a value of undefined removes the claim. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Issue time in ms (default T0). */
  at?: number;
  validitySeconds?: number;
}

/** An admission access token with the claims API.md lists, signed by `key`. */
export async function mint(key: TestKey, options: MintOptions = {}): Promise<string> {
  const iat = Math.floor((options.at ?? T0) / 1000);
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: EVENT_ID,
    sub: randomUUID(),
    queue_position: 42,
    token_use: 'access',
    iat,
    nbf: iat,
    exp: iat + (options.validitySeconds ?? 3600),
    jti: randomUUID(),
    ...options.claims,
  };
  for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
    .sign(key.privateKey);
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));
}

export interface JwksServer {
  url: string;
  /** How many times the JWKS was requested. */
  readonly requests: number;
  setKeys(keys: JWK[]): void;
  /** Answer with this status instead of the JWKS (null: serve normally). */
  failWith(status: number | null): void;
  close(): Promise<void>;
}

/** A real HTTP server on a free port answering `/.well-known/jwks.json`. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let current = keys;
  let failure: number | null = null;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    requests += 1;
    if (failure !== null) {
      res.writeHead(failure, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setKeys: (next) => {
      current = next;
    },
    failWith: (status) => {
      failure = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
