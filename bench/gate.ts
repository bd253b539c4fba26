/**
 * Site gate benchmark: `node bench/gate.ts`.
 *
 * The cost of one request that carries a valid session, measured in one run and interleaved
 * (so machine noise hits all alike):
 *   (a) jose's own `jwtVerify` of an HS256 JWT with the same claims — the baseline, what a
 *       session held in a signed JWT cookie would cost at the least;
 *   (b) the Lambda@Edge handler (`createEdgeHandler`): a CloudFront viewer-request event with
 *       the session cookie in, the forwarded request with the `x-anteroom-*` headers out;
 *   (c) the core alone (`createGate().handle`), without the event shape.
 * Prints µs per request and the ratio to the baseline, and the size of the edge bundle.
 * Not a test: nothing here fails on a number.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { jwtVerify, SignJWT } from 'jose';
import { type CloudFrontRequestEvent, createEdgeHandler } from '../authorizer/edge.ts';
import { createSealer } from '../authorizer/gate/seal.ts';
import { sessionPayload } from '../authorizer/gate/session.ts';
import { createGate, type GateRequest } from '../authorizer/gate.ts';
import { bundleEdgeGate } from '../infra/lib/edge-bundle.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const PER_CHUNK = 2000;
const CHUNKS = 10;
const CONFIG = {
  issuer: 'https://queue.example.com/oidc',
  clientId: 'shop',
  clientSecret: 'shop-client-secret-0123456789abcdef',
  cookieSecret: 'bench-cookie-secret-0123456789abcdef-0123',
};
const CLAIMS = {
  sub: 'v2Zb0c1Yb7Xo8qk3lq0y2m6XbB1k9o7s5Q0l4P3d2c1',
  eventId: 'summer-sale',
  requestId: '5d7c9c2e-8f1a-4b6e-9d3c-2a1b0c9d8e7f',
  queuePosition: 41_327,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function seconds(count: number, step: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await step();
  return (performance.now() - start) / 1000;
}

function viewerRequest(cookie: string): CloudFrontRequestEvent {
  return {
    Records: [
      {
        cf: {
          request: {
            clientIp: '203.0.113.178',
            method: 'GET',
            uri: '/shop/item/42',
            querystring: 'colour=red',
            headers: {
              host: [{ key: 'Host', value: 'shop.example.com' }],
              'user-agent': [{ key: 'User-Agent', value: 'Mozilla/5.0 (bench)' }],
              accept: [{ key: 'Accept', value: 'text/html' }],
              cookie: [
                { key: 'Cookie', value: `_ga=GA1.2.3.4; __Host-anteroom-session=${cookie}; theme=dark` },
              ],
            },
          },
        },
      },
    ],
  };
}

async function main(): Promise<void> {
  // The session cookie the gate sets after a sign-in (same sealer, same binding to issuer and client).
  const sealer = createSealer({
    secret: CONFIG.cookieSecret,
    context: `${CONFIG.issuer}\u0000${CONFIG.clientId}`,
  });
  const cookie = sealer.seal('session', sessionPayload(CLAIMS, undefined), 1800);
  // Imported once, as a verifier holding its key would (a raw secret is re-imported on every call).
  const secret = new TextEncoder().encode(CONFIG.cookieSecret);
  const hmacKey = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  const jwt = await new SignJWT({
    event_id: CLAIMS.eventId,
    request_id: CLAIMS.requestId,
    queue_position: CLAIMS.queuePosition,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(CLAIMS.sub)
    .setExpirationTime('30m')
    .sign(hmacKey);

  const edge = createEdgeHandler(CONFIG);
  const gate = createGate(CONFIG);
  const request: GateRequest = {
    method: 'GET',
    path: '/shop/item/42',
    query: 'colour=red',
    host: 'shop.example.com',
    cookie: `_ga=GA1.2.3.4; __Host-anteroom-session=${cookie}; theme=dark`,
    fetchMode: 'navigate',
  };
  const forwarded = await edge(viewerRequest(cookie));
  if (!('uri' in forwarded) || forwarded.headers['x-anteroom-request-id']?.[0]?.value !== CLAIMS.requestId) {
    throw new Error('bench setup: the session was not accepted');
  }

  let events: CloudFrontRequestEvent[] = [];
  const runs = { jose: [] as number[], edge: [] as number[], core: [] as number[] };
  for (let round = 0; round <= ROUNDS; round += 1) {
    const time = { jose: 0, edge: 0, core: 0 };
    for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
      // Fresh events, as CloudFront hands over (the handler edits the request it forwards).
      events = Array.from({ length: PER_CHUNK }, () => viewerRequest(cookie));
      let i = 0;
      const steps = [
        async () => {
          time.jose += await seconds(PER_CHUNK, () => jwtVerify(jwt, hmacKey, { algorithms: ['HS256'] }));
        },
        async () => {
          i = 0;
          time.edge += await seconds(PER_CHUNK, () => edge(events[i++] as CloudFrontRequestEvent));
        },
        async () => {
          time.core += await seconds(PER_CHUNK, () => gate.handle(request));
        },
      ];
      // Rotate the order so no measurement always runs first.
      for (let k = 0; k < steps.length; k += 1)
        await (steps[(k + chunk) % steps.length] as () => Promise<void>)();
    }
    if (round === 0) continue; // JIT warm-up
    const count = PER_CHUNK * CHUNKS;
    runs.jose.push((time.jose / count) * 1e6);
    runs.edge.push((time.edge / count) * 1e6);
    runs.core.push((time.core / count) * 1e6);
  }
  const jose = median(runs.jose);
  const edgeCost = median(runs.edge);
  const core = median(runs.core);
  console.log(
    `node ${process.version}, median of ${ROUNDS} interleaved rounds of ${PER_CHUNK * CHUNKS} requests`,
  );
  console.log(`  (a) jose jwtVerify HS256 (baseline)      ${jose.toFixed(2).padStart(7)} µs/request`);
  console.log(`  (b) edge handler, valid session          ${edgeCost.toFixed(2).padStart(7)} µs/request`);
  console.log(`  (c) gate core, valid session             ${core.toFixed(2).padStart(7)} µs/request`);
  console.log(`  edge / jose = ${(edgeCost / jose).toFixed(2)}   core / jose = ${(core / jose).toFixed(2)}`);

  const outdir = mkdtempSync(join(tmpdir(), 'anteroom-edge-bench-'));
  const bytes = bundleEdgeGate(outdir, CONFIG);
  const modules = readdirSync(outdir).filter((file) => file.endsWith('.mjs'));
  const gzipped = gzipSync(Buffer.concat(modules.map((file) => readFileSync(join(outdir, file))))).length;
  console.log(
    `  edge bundle: ${(bytes / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzipped (limit 1 MiB)`,
  );
}

await main();
