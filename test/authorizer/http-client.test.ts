/**
 * The functions' HTTP/1.1 client (`authorizer/http-client.ts`): the JWKS GET and the AWS calls.
 * Answers come from raw TCP servers (so every framing HTTP allows is exercised: a length, chunks,
 * the connection's end, and what a server does to a kept-alive connection) and from HTTPS
 * servers whose certificates are, or are not, trusted: nothing is read from a server the system
 * does not trust for that host name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AnswerReader,
  closeIdleConnections,
  getJson,
  idleConnectionCount,
  request,
} from '../../authorizer/http-client.ts';
import { runModule } from '../support/module-child.ts';

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

describe('AnswerReader', () => {
  const read = (text: string) => {
    const reader = new AnswerReader();
    return { reader, done: reader.push(Buffer.from(text)) };
  };

  it('waits for more while an answer is incomplete, and prefers chunks to a length', () => {
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Le').done, false);
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}').done, false);
    const both = read(
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    );
    assert.equal(both.done, true);
    assert.equal(both.reader.body.toString(), '{}');
    assert.equal(both.reader.reusable, false, 'a length beside chunks: the connection is not trusted again');
  });

  it('reads the same answer fed one byte at a time', () => {
    const text =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n' +
      '3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n';
    const reader = new AnswerReader();
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at++) {
      assert.equal(reader.push(bytes.subarray(at, at + 1)), at === bytes.length - 1, `byte ${at}`);
    }
    assert.equal(reader.status, 200);
    assert.equal(reader.headers['x-a'], '1, 2');
    assert.equal(reader.body.toString(), 'abcde');
    assert.equal(reader.reusable, true);
    assert.equal(reader.extra, 0);
  });

  it('counts bytes after the answer, and knows which answers leave the connection reusable', () => {
    const after = read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1');
    assert.equal(after.reader.extra, 8);
    assert.equal(
      read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}').reader.reusable,
      false,
    );
    assert.equal(read('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}').reader.reusable, false);
    const noContent = read('HTTP/1.1 204 No Content\r\n\r\n');
    assert.equal(noContent.done, true);
    assert.equal(noContent.reader.reusable, true);
    const untilClose = read('HTTP/1.1 200 OK\r\n\r\nabc');
    assert.equal(untilClose.done, false);
    untilClose.reader.end();
    assert.equal(untilClose.reader.body.toString(), 'abc');
    assert.equal(untilClose.reader.reusable, false);
  });

  it('refuses folded headers, bad names and conflicting lengths', () => {
    for (const text of [
      'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    ]) {
      assert.throws(() => read(text), /^MalformedAnswer: malformed HTTP answer/, text);
    }
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}').done, true);
  });
});

// ---------------------------------------------------------------------------------------
// Keep-alive

interface Exchange {
  /** Which connection (1, 2, …) and which request on it (1, 2, …). */
  connection: number;
  index: number;
  head: string;
  body: string;
}

/**
 * A TCP server that reads requests (framed by Content-Length) off kept-alive connections and
 * lets `answer` write whatever it likes for each.
 */
async function keepAliveServer(answer: (exchange: Exchange, socket: Socket) => void) {
  let connections = 0;
  const exchanges: Exchange[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let index = 0;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = pending.toString('latin1', 0, headEnd);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        const body = pending.toString('utf8', headEnd + 4, headEnd + 4 + length);
        pending = pending.subarray(headEnd + 4 + length);
        const exchange = { connection, index: ++index, head, body };
        exchanges.push(exchange);
        answer(exchange, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    exchanges,
    get connections() {
      return connections;
    },
    /** Connections the client has not closed. */
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const ok = (body = '{}') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Until `check` holds, looking again every 5 ms; a safety bound of 6,000 looks (30 s or more), not a timing check. */
async function until(check: () => boolean): Promise<void> {
  for (let looks = 0; !check(); looks++) {
    if (looks > 6000) throw new Error('the awaited state never came');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('request: keep-alive', () => {
  let server: Awaited<ReturnType<typeof keepAliveServer>> | undefined;
  let policy: (exchange: Exchange, socket: Socket) => void = () => undefined;
  const post = (body: string, extra: Partial<Parameters<typeof request>[0]> = {}) =>
    request({ method: 'POST', url: server!.url, body, timeoutMs: 5000, ...extra });

  before(async () => {
    server = await keepAliveServer((exchange, socket) => policy(exchange, socket));
  });
  after(async () => {
    closeIdleConnections();
    await server?.close();
  });
  const fresh = () => {
    closeIdleConnections();
    server!.exchanges.length = 0;
    return server!.connections;
  };

  it('sends two POSTs on one connection, with Host, Content-Length and the body', async () => {
    const before = fresh();
    policy = (exchange, socket) => socket.write(ok(`{"n":${exchange.index}}`));
    const first = await post('{"a":1}', { headers: { 'x-amz-target': 'a.B' } });
    assert.equal(idleConnectionCount(), 1);
    const second = await post('{"a":2}');
    assert.deepEqual(
      [first.status, first.body.toString(), second.body.toString()],
      [200, '{"n":1}', '{"n":2}'],
    );
    assert.equal(server!.connections - before, 1, 'one connection for both');
    const [one, two] = server!.exchanges;
    assert.deepEqual([one?.connection, two?.connection], [before + 1, before + 1]);
    const [line, ...headers] = one!.head.split('\r\n');
    assert.equal(line, 'POST / HTTP/1.1');
    assert.ok(headers.includes(`Host: ${new URL(server!.url).host}`));
    assert.ok(headers.includes('Content-Length: 7'));
    assert.ok(headers.includes('x-amz-target: a.B'));
    assert.ok(!one!.head.toLowerCase().includes('connection:'));
    assert.equal(one!.body, '{"a":1}');
  });

  it('keeps a connection after a chunked answer with trailers, and after a 204', async () => {
    const before = fresh();
    policy = (exchange, socket) =>
      socket.write(
        exchange.index === 1
          ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n'
          : exchange.index === 2
            ? 'HTTP/1.1 204 No Content\r\n\r\n'
            : ok('{"third":true}'),
      );
    assert.equal((await post('1')).body.toString(), '{}');
    assert.equal((await post('2')).status, 204);
    assert.equal((await post('3')).body.toString(), '{"third":true}');
    assert.equal(server!.connections - before, 1);
  });

  it('does not reuse a connection the answer said to close, or whose end delimited the body', async () => {
    const before = fresh();
    policy = (exchange, socket) => {
      if (exchange.connection === before + 1) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
      } else if (exchange.connection === before + 2) {
        socket.end('HTTP/1.1 200 OK\r\n\r\n{"until":"close"}');
      } else {
        socket.write(ok());
      }
    };
    assert.equal((await post('1')).status, 200);
    assert.equal(idleConnectionCount(), 0);
    assert.equal((await post('2')).body.toString(), '{"until":"close"}');
    assert.equal(idleConnectionCount(), 0);
    assert.equal((await post('3')).status, 200);
    assert.equal(server!.connections - before, 3);
  });

  it('drops an idle connection the server closed, and the next call opens a new one', async () => {
    const before = fresh();
    policy = (_exchange, socket) => {
      socket.write(ok());
      setImmediate(() => socket.end());
    };
    assert.equal((await post('1')).status, 200);
    await until(() => idleConnectionCount() === 0);
    assert.equal((await post('2')).status, 200);
    assert.equal(server!.connections - before, 2);
    assert.equal(server!.exchanges.length, 2);
  });

  it('sends a request once more on a new connection when a reused one closes before answering (the keep-alive race)', async () => {
    const before = fresh();
    // The first connection answers its first request, then drops the next one unanswered.
    policy = (exchange, socket) => {
      if (exchange.connection === before + 1 && exchange.index === 2) socket.destroy();
      else socket.write(ok(`{"on":${exchange.connection - before}}`));
    };
    assert.equal((await post('first')).body.toString(), '{"on":1}');
    assert.equal((await post('second')).body.toString(), '{"on":2}');
    assert.deepEqual(
      server!.exchanges.map((exchange) => [exchange.connection - before, exchange.body]),
      [
        [1, 'first'],
        [1, 'second'],
        [2, 'second'],
      ],
    );
  });

  it('does not send again after part of an answer, nor on a new connection that fails', async () => {
    let before = fresh();
    policy = (exchange, socket) => {
      if (exchange.index === 2) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"');
        setImmediate(() => socket.destroy());
      } else socket.write(ok());
    };
    await post('first');
    await assert.rejects(post('second'), { message: /connection closed|truncated body/ });
    assert.equal(server!.exchanges.length, 2);
    assert.equal(server!.connections - before, 1);

    before = fresh();
    policy = (_exchange, socket) => socket.destroy();
    await assert.rejects(post('once'), { code: 'ECONNRESET' });
    assert.equal(server!.exchanges.length, 1);
    assert.equal(server!.connections - before, 1);
  });

  it('caps the body, whether a length announces it or chunks bring it', async () => {
    fresh();
    const big = 'x'.repeat(2000);
    policy = (exchange, socket) =>
      socket.write(
        exchange.body === 'length'
          ? ok(big)
          : `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'3e8\r\n'.concat('y'.repeat(1000), '\r\n').repeat(3)}0\r\n\r\n`,
      );
    await assert.rejects(post('length', { maxBytes: 1999 }), { message: 'answer larger than 1999 bytes' });
    await assert.rejects(post('chunks', { maxBytes: 2999 }), { message: 'answer larger than 2999 bytes' });
    assert.equal((await post('chunks', { maxBytes: 3000 })).body.length, 3000);
    assert.equal(idleConnectionCount(), 1, 'an oversized answer’s connection is not kept');
  });

  it('gives up at its deadline or when its signal aborts, and closes that connection', async () => {
    const before = fresh();
    policy = () => undefined;
    await assert.rejects(post('slow', { timeoutMs: 50 }), { code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const pending = post('aborted', { signal: controller.signal });
    // (The slow request may have been given up before the server read it, on a loaded machine.)
    await until(() => server!.exchanges.some((exchange) => exchange.body === 'aborted'));
    controller.abort(new Error('caller gave up'));
    await assert.rejects(pending, { message: 'caller gave up' });
    assert.equal(idleConnectionCount(), 0);
    assert.ok(server!.connections - before <= 2);
    await until(() => server!.open === 0);
  });

  it('refuses headers that would write another header', async () => {
    await assert.rejects(post('x', { headers: { 'x-a': 'v\r\nx-b: w' } }), TypeError);
    await assert.rejects(post('x', { headers: { 'x a': 'v' } }), TypeError);
  });

  it('does not hold a process open with an idle connection', async () => {
    fresh();
    policy = (_exchange, socket) => socket.write(ok('{"kept":true}'));
    const child = await runChild(
      `const answer = await client.request({ method: 'POST', url: ${JSON.stringify(server!.url)}, body: '{}' });
      console.log(answer.body.toString(), client.idleConnectionCount());
      setImmediate(() => console.log(JSON.stringify(process.getActiveResourcesInfo())));`,
    );
    assert.equal(child.code, 0);
    const [answer, resources] = child.out.split('\n');
    assert.equal(answer, '{"kept":true} 1');
    assert.ok(!/TCP|TLS/.test(resources ?? ''), resources);
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

const CLIENT = JSON.stringify(new URL('../../authorizer/http-client.ts', import.meta.url).href);

/** `code` (an ES module importing the client as `client`) in a fresh process; its stdout. */
function runChild(
  code: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return runModule(`import * as client from ${CLIENT};\n${code}`, env);
}

/** getJson in a fresh process that trusts `caFile` (NODE_EXTRA_CA_CERTS is read at start-up). */
function getJsonTrusting(caFile: string, url: string): Promise<{ code: number | null; out: string }> {
  return runChild(
    `try {
      const answer = await client.getJson(${JSON.stringify(url)}, { headers: {}, signal: AbortSignal.timeout(5000) });
      console.log(JSON.stringify(await answer.json()));
    } catch (error) {
      console.log('failed ' + (error.code ?? error.message));
    }`,
    { NODE_EXTRA_CA_CERTS: caFile },
  );
}

describe('over HTTPS', () => {
  let dir: string;
  let local: ReturnType<typeof certificate>;
  let elsewhere: ReturnType<typeof certificate>;
  const servers: ReturnType<typeof createHttpsServer>[] = [];

  /** Per TLS connection the server accepted: whether it resumed a session. */
  const accepted: boolean[] = [];

  async function serve(tls: { cert: string; key: string }): Promise<number> {
    const server = createHttpsServer(tls, (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(req.method === 'POST' ? JSON.stringify({ echo: body }) : '{"keys":["tls"]}');
      });
    });
    server.on('secureConnection', (socket) => accepted.push(socket.isSessionReused()));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'anteroom-http-client-'));
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

  it('keeps one TLS connection for several POSTs, and resumes its session on a new one', async () => {
    const port = await serve(local);
    accepted.length = 0;
    const result = await runChild(
      `const post = (body) => client.request({ method: 'POST', url: 'https://localhost:${port}/', body, timeoutMs: 5000 });
      const answers = [await post('one'), await post('two')];
      client.closeIdleConnections();
      answers.push(await post('three'));
      console.log(answers.map((answer) => answer.status + ' ' + answer.body).join(' | '));`,
      { NODE_EXTRA_CA_CERTS: local.file },
    );
    assert.equal(result.out, '200 {"echo":"one"} | 200 {"echo":"two"} | 200 {"echo":"three"}');
    assert.deepEqual(accepted, [false, true], 'two connections for three requests, the second resumed');
  });

  it('refuses an untrusted certificate and a wrong host name on POSTs too', async () => {
    const port = await serve(elsewhere);
    const post = `await client.request({ method: 'POST', url: 'https://localhost:${port}/', body: '{}', timeoutMs: 5000 })
      .then(() => 'answered', (error) => error.code)`;
    assert.equal((await runChild(`console.log(${post});`)).out, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    const trusting = await runChild(`console.log(${post});`, { NODE_EXTRA_CA_CERTS: elsewhere.file });
    assert.equal(trusting.out, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
