/**
 * What the authorizer's first decision is made of, part by part: `node bench/authorizer-cold-parts.ts [--rounds 15]`.
 *
 * Each part runs in fresh Node processes (as a cold Lambda container does) beside a bare process
 * in the same interleaved rounds, and is given as the median CPU time (user + system, Node's
 * start-up included) and its excess over the bare process: loading `node:tls` or `node:https`,
 * a GET of a JWKS over each (from a local HTTPS server with a self-signed RSA certificate the
 * processes trust through NODE_EXTRA_CA_CERTS, as `bench/lambda-cold.ts` serves it), the first
 * TLS secure context alone (where Node parses its root certificates), two GETs one after the
 * other with a secure context each (as `tls.connect` makes them) or one shared, and one ES256
 * verification with `node:crypto` or with WebCrypto (key import included). Every process writes
 * to stdout before the part, as the Lambda harness does, so stdout's own set-up is not counted.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { certificate } from './support/certificate.ts';
import { median } from './support/stats.ts';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const ROUNDS = Number(flags.rounds);

const GET_OVER_TLS = `
const tls = process.getBuiltinModule('node:tls');
const url = new URL(process.env.JWKS_URL);
await new Promise((resolve, reject) => {
  const socket = tls.connect({ host: url.hostname, port: Number(url.port) });
  socket.write('GET ' + url.pathname + ' HTTP/1.1\\r\\nHost: ' + url.host + '\\r\\nConnection: close\\r\\n\\r\\n');
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => resolve(Buffer.concat(chunks)));
  socket.on('error', reject);
});`;

/**
 * Two GETs on `node:tls` one after the other, as a public function's first answer makes two TLS
 * connections (Secrets Manager, then Redis): each with its own secure context, as `tls.connect`
 * makes one per call, or both with one shared context (issue 14: does sharing save CPU?).
 */
const twoGetsOverTls = (shared: boolean) => `
const tls = process.getBuiltinModule('node:tls');
const url = new URL(process.env.JWKS_URL);
${shared ? 'const secureContext = tls.createSecureContext();' : ''}
for (let i = 0; i < 2; i++) {
  await new Promise((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port)${shared ? ', secureContext' : ''} });
    socket.write('GET ' + url.pathname + ' HTTP/1.1\\r\\nHost: ' + url.host + '\\r\\nConnection: close\\r\\n\\r\\n');
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}`;

const GET_OVER_HTTPS = `
const https = process.getBuiltinModule('node:https');
await new Promise((resolve, reject) => {
  https.get(process.env.JWKS_URL, (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
  }).on('error', reject);
});`;

const VERIFY_NODE_CRYPTO = `
const crypto = process.getBuiltinModule('node:crypto');
const key = crypto.createPublicKey({ key: JSON.parse(process.env.JWK), format: 'jwk' });
const ok = crypto.verify('sha256', Buffer.from(process.env.INPUT), { key, dsaEncoding: 'ieee-p1363' },
  Buffer.from(process.env.SIGNATURE, 'base64url'));
if (!ok) throw new Error('did not verify');`;

const VERIFY_WEBCRYPTO = `
const subtle = globalThis.crypto.subtle;
const key = await subtle.importKey('jwk', JSON.parse(process.env.JWK), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
const ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(process.env.SIGNATURE, 'base64url'),
  Buffer.from(process.env.INPUT));
if (!ok) throw new Error('did not verify');`;

const PARTS: Record<string, string> = {
  'bare process': '',
  'load node:tls': "process.getBuiltinModule('node:tls');",
  'first TLS secure context (root certificates)':
    "process.getBuiltinModule('node:tls').createSecureContext();",
  'JWKS GET on node:tls (the authorizer now)': GET_OVER_TLS,
  'two GETs on node:tls, a secure context each': twoGetsOverTls(false),
  'two GETs on node:tls, one shared secure context': twoGetsOverTls(true),
  'load node:https': "process.getBuiltinModule('node:https');",
  'JWKS GET on node:https (before)': GET_OVER_HTTPS,
  'ES256 verify, node:crypto (now)': VERIFY_NODE_CRYPTO,
  'ES256 verify, WebCrypto (before)': VERIFY_WEBCRYPTO,
};

const work = mkdtempSync(join(tmpdir(), 'anteroom-authorizer-parts-'));
const { cert, key, certFile } = certificate(work);

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };
const input = `${Buffer.from('{"alg":"ES256","kid":"bench"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}`;
const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
const jwks = JSON.stringify({ keys: [jwk] });
const server = createServer({ cert, key }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const env = {
  PATH: process.env.PATH ?? '',
  NODE_EXTRA_CA_CERTS: certFile,
  JWKS_URL: `https://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
  JWK: JSON.stringify(jwk),
  INPUT: input,
  SIGNATURE: signature.toString('base64url'),
};

function cpuOf(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) => {
      const cpu = Number(out.trim().split(' ').at(-1));
      if (code === 0 && Number.isFinite(cpu)) resolve(cpu);
      else reject(new Error(`${file} exited ${code}: ${err}`));
    });
  });
}

try {
  const files = Object.entries(PARTS).map(([label, code], index) => {
    const file = join(work, `part-${index}.mjs`);
    writeFileSync(
      file,
      `process.stdout.write('started ');\n${code}\nconst used = process.cpuUsage();\n` +
        'process.stdout.write(String((used.user + used.system) / 1000));\n',
    );
    return { label, file, cpu: [] as number[] };
  });
  for (let round = 0; round < ROUNDS; round++) {
    for (const part of files) part.cpu.push(await cpuOf(part.file));
  }
  const bare = median((files[0] as (typeof files)[number]).cpu);
  console.log(
    `The authorizer's first decision, part by part: median CPU ms of ${ROUNDS} fresh processes each,`,
  );
  console.log('interleaved, and the excess over a bare process of the same rounds.\n');
  console.table(
    files.map((part) => {
      const cpu = median(part.cpu);
      return {
        part: part.label,
        'CPU ms': cpu.toFixed(1),
        'over bare ms': (cpu - bare).toFixed(1),
        ratio: `${(cpu / bare).toFixed(2)}×`,
      };
    }),
  );
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
