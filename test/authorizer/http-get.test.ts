/**
 * The JWKS request (`authorizer/http-get.ts`): one GET written on a socket. Answers come from a
 * raw TCP server (so every framing HTTP allows is exercised: a length, chunks, the connection's
 * end) and from HTTPS servers whose certificates are, or are not, trusted: a key set must never
 * be read from a server the system does not trust for that host name.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, parseAnswer } from '../../authorizer/http-get.ts';

const JSON_HEADERS = { accept: 'application/json' };
const signal = () => AbortSignal.timeout(5000);

/** A TCP server that answers each connection with `answer(request)` written as given, then closes. */
async function rawServer(
  answer: (request: string, socket: Socket) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      if (request.includes('\r\n\r\n')) answer(request, socket);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json?v=1`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
      }),
  };
}

describe('getJson over plain HTTP', () => {
  let lastRequest = '';
  let reply: (socket: Socket) => void = () => undefined;
  let server: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    server = await rawServer((request, socket) => {
      lastRequest = request;
      reply(socket);
    });
  });
  after(() => server.close());

  it('sends one GET with Host, the caller’s headers and Connection: close, and reads a Content-Length body', async () => {
    reply = (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{"keys":[1]}');
    const answer = await getJson(server.url, { headers: JSON_HEADERS, signal: signal() });
    assert.deepEqual(await answer.json(), { keys: [1] });
    assert.equal(answer.ok, true);
    assert.equal(answer.status, 200);
    const [requestLine, ...headers] = lastRequest.split('\r\n');
    assert.equal(requestLine, 'GET /.well-known/jwks.json?v=1 HTTP/1.1');
    assert.ok(headers.includes(`Host: ${new URL(server.url).host}`));
    assert.ok(headers.includes('accept: application/json'));
    assert.ok(headers.includes('Connection: close'));
  });

  it('answers without waiting for the connection to close once Content-Length bytes arrived', async () => {
    // The server keeps the connection open: only the length can end this answer.
    reply = (socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{"keys":[]}');
    assert.deepEqual(await (await getJson(server.url, { headers: {}, signal: signal() })).json(), {
      keys: [],
    });
  });

  it('reads a chunked body, in pieces, with chunk extensions and trailers', async () => {
    reply = (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"key');
      setImmediate(() => socket.end('\r\n8;ext=1\r\ns":[2,3]\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n'));
    };
    assert.deepEqual(await (await getJson(server.url, { headers: {}, signal: signal() })).json(), {
      keys: [2, 3],
    });
  });

  it('reads a body that the end of the connection delimits', async () => {
    reply = (socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"keys":[4]}');
    assert.deepEqual(await (await getJson(server.url, { headers: {}, signal: signal() })).json(), {
      keys: [4],
    });
  });

  it('reports a refusal’s status as not ok', async () => {
    reply = (socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}');
    const answer = await getJson(server.url, { headers: {}, signal: signal() });
    assert.equal(answer.ok, false);
    assert.equal(answer.status, 503);
  });

  it('fails on a truncated body, a bad chunk, a bad status line or an oversized answer', async () => {
    const broken = [
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"keys":[]}',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}',
      'SSH-2.0-OpenSSH_9.6\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n{}',
      `HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(1.2 * 2 ** 20)}`,
    ];
    for (const text of broken) {
      reply = (socket) => socket.end(text);
      await assert.rejects(
        getJson(server.url, { headers: {}, signal: signal() }),
        { message: /^(malformed HTTP answer|answer larger than)/ },
        text.slice(0, 60),
      );
    }
  });

  it('gives up when the signal aborts (a server that never answers)', async () => {
    reply = () => undefined;
    await assert.rejects(getJson(server.url, { headers: {}, signal: AbortSignal.timeout(50) }), {
      name: 'TimeoutError',
    });
  });

  it('fails when nothing listens', async () => {
    const gone = await rawServer(() => undefined);
    await gone.close();
    await assert.rejects(getJson(gone.url, { headers: {}, signal: signal() }), { code: 'ECONNREFUSED' });
  });
});

describe('parseAnswer', () => {
  it('waits for more while an answer is incomplete, and prefers chunks to a length', () => {
    assert.equal(parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'), false), undefined);
    assert.equal(
      parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}'), false),
      undefined,
    );
    const both =
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n';
    assert.equal(parseAnswer(Buffer.from(both), false)?.body.toString(), '{}');
  });
});

/** A certificate for `names` (subjectAltName entries), made by openssl. */
function certificate(
  dir: string,
  name: string,
  altNames: string,
): { cert: string; key: string; file: string } {
  const file = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'].concat([
      '-keyout',
      keyFile,
      '-out',
      file,
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${altNames}`,
    ]),
    { encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  return { cert: readFileSync(file, 'utf8'), key: readFileSync(keyFile, 'utf8'), file };
}

/** getJson in a fresh process that trusts `caFile` (NODE_EXTRA_CA_CERTS is read at start-up). */
function getJsonTrusting(caFile: string, url: string): Promise<{ code: number | null; out: string }> {
  const script = `
    import { getJson } from ${JSON.stringify(new URL('../../authorizer/http-get.ts', import.meta.url).href)};
    try {
      const answer = await getJson(${JSON.stringify(url)}, { headers: {}, signal: AbortSignal.timeout(5000) });
      console.log(JSON.stringify(await answer.json()));
    } catch (error) {
      console.log('failed ' + (error.code ?? error.message));
    }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => resolve({ code, out: out.trim() }));
  });
}

describe('getJson over HTTPS', () => {
  let dir: string;
  let local: ReturnType<typeof certificate>;
  let elsewhere: ReturnType<typeof certificate>;
  const servers: ReturnType<typeof createHttpsServer>[] = [];

  async function serve(tls: { cert: string; key: string }): Promise<number> {
    const server = createHttpsServer(tls, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":["tls"]}');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'anteroom-http-get-'));
    local = certificate(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    elsewhere = certificate(dir, 'jwks.elsewhere.example', 'DNS:jwks.elsewhere.example');
  });
  after(() => {
    for (const server of servers) server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the key set from a server the process trusts, by IP address and by host name (SNI)', async () => {
    const port = await serve(local);
    for (const host of ['127.0.0.1', 'localhost']) {
      const result = await getJsonTrusting(local.file, `https://${host}:${port}/.well-known/jwks.json`);
      assert.equal(result.out, '{"keys":["tls"]}', host);
    }
  });

  it('refuses a server whose certificate is not trusted', async () => {
    const port = await serve(local);
    await assert.rejects(
      getJson(`https://127.0.0.1:${port}/.well-known/jwks.json`, { headers: {}, signal: signal() }),
      { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    );
  });

  it('refuses a trusted certificate issued for another host name', async () => {
    const port = await serve(elsewhere);
    const result = await getJsonTrusting(elsewhere.file, `https://127.0.0.1:${port}/.well-known/jwks.json`);
    assert.equal(result.out, 'failed ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
