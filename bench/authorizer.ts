/**
 * Authorizer benchmark: `node bench/authorizer.ts`.
 *
 * Measures, in one run and interleaved (so machine noise hits all alike):
 *   (a) jose's own `jwtVerify` with a local public key — the baseline;
 *   (b) `createVerifier().verify` on distinct tokens (decision-cache misses), keys from a JWKS
 *       served over HTTP (fetched once, then cached, as in production);
 *   (c) a cached repeat decision for the same token.
 * Prints ops/s and the ratios verifier/jose (target ≥ 0.8) and cached/verification cost
 * (target < 5%). Not a test: nothing here fails on a number.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type CryptoKey, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createVerifier } from '../authorizer/index.ts';

const ISSUER = 'https://queue.example.com';
const EVENT_ID = 'bench-event';
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TOKENS = { ES256: 2000, RS256: 1500 } as const;
const CHUNK = 50;
const CACHED_PER_CHUNK = 2000;

type Alg = keyof typeof TOKENS;

async function mintTokens(alg: Alg, privateKey: CryptoKey, kid: string, count: number): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    tokens.push(
      await new SignJWT({ queue_position: i + 1, token_use: 'access', jti: `jti-${i}` })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(EVENT_ID)
        .setSubject(`request-${alg}-${i}`)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey),
    );
  }
  return tokens;
}

/** Seconds taken by `count` sequential awaited calls of `step`. */
async function seconds(count: number, step: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await step(i);
  return (performance.now() - start) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function fmt(ops: number): string {
  return `${Math.round(ops).toLocaleString('en-US').padStart(11)} ops/s`;
}

async function benchAlgorithm(
  alg: Alg,
  jwksUrl: string,
  keys: { privateKey: CryptoKey; publicKey: CryptoKey; kid: string },
) {
  const tokens = await mintTokens(alg, keys.privateKey, keys.kid, TOKENS[alg]);
  const joseOptions = { issuer: ISSUER, audience: EVENT_ID, algorithms: [alg], clockTolerance: 5 };
  const jose: number[] = [];
  const verifier: number[] = [];
  const cached: number[] = [];

  for (let round = 0; round <= ROUNDS; round += 1) {
    // A fresh verifier per round, so every token is a decision-cache miss; one warm-up call loads the JWKS.
    const v = createVerifier({ jwksUrl, issuer: ISSUER, audience: EVENT_ID });
    const warm = await v.verify(tokens[0] as string);
    if (!warm.allow) throw new Error(`bench setup: token refused (${warm.reason})`);
    const verifyAdmitted = async (token: string) => {
      const decision = await v.verify(token);
      if (!decision.allow) throw new Error(`bench: token refused (${decision.reason})`);
    };

    // Interleave in small chunks, alternating which goes first, so load from other processes on
    // this machine falls on all three measurements alike.
    const time = { jose: 0, verifier: 0, cached: 0 };
    let count = 0;
    for (let from = 1, chunk = 0; from < tokens.length; from += CHUNK, chunk += 1) {
      const slice = tokens.slice(from, from + CHUNK);
      const runJose = async () => {
        time.jose += await seconds(slice.length, (i) =>
          jwtVerify(slice[i] as string, keys.publicKey, joseOptions),
        );
      };
      const runVerifier = async () => {
        time.verifier += await seconds(slice.length, (i) => verifyAdmitted(slice[i] as string));
      };
      if (chunk % 2 === 0) {
        await runJose();
        await runVerifier();
      } else {
        await runVerifier();
        await runJose();
      }
      time.cached += await seconds(CACHED_PER_CHUNK, () => v.verify(tokens[0] as string));
      count += slice.length;
    }
    // Round 0 warms the JIT and is discarded.
    if (round > 0) {
      jose.push(count / time.jose);
      verifier.push(count / time.verifier);
      cached.push((CACHED_PER_CHUNK * Math.ceil(count / CHUNK)) / time.cached);
    }
  }
  return { jose: median(jose), verifier: median(verifier), cached: median(cached) };
}

async function main(): Promise<void> {
  const es = { ...(await generateKeyPair('ES256', { extractable: true })), kid: 'bench-es256' };
  const rs = { ...(await generateKeyPair('RS256', { extractable: true })), kid: 'bench-rs256' };
  const jwks = JSON.stringify({
    keys: [
      { ...(await exportJWK(es.publicKey)), kid: es.kid, alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rs.publicKey)), kid: rs.kid, alg: 'RS256', use: 'sig' },
    ],
  });
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;

  console.log(`node ${process.version}, median of ${ROUNDS} interleaved rounds`);
  try {
    for (const [alg, keys] of [
      ['ES256', es],
      ['RS256', rs],
    ] as const) {
      const result = await benchAlgorithm(alg, jwksUrl, keys);
      const ratio = result.verifier / result.jose;
      const cachedCost = result.verifier / result.cached;
      console.log(`\n${alg}`);
      console.log(`  (a) jose jwtVerify, local key        ${fmt(result.jose)}`);
      console.log(`  (b) verifier, distinct tokens (miss) ${fmt(result.verifier)}`);
      console.log(`  (c) verifier, cached repeat          ${fmt(result.cached)}`);
      console.log(`  verifier / jose        = ${ratio.toFixed(2)}  (target ≥ 0.80)`);
      console.log(`  cached / verification  = ${(cachedCost * 100).toFixed(2)}% of the cost  (target < 5%)`);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

await main();
