/**
 * The lean Redis client against a real redis-server: the URL's credentials and database, TLS
 * through node:tls defaults (NODE_EXTRA_CA_CERTS, the host name checked), scripts (EVAL once per
 * connection, EVALSHA after, EVAL again after NOSCRIPT), MULTI/EXEC, bytes, and the connection
 * policy of redis-connection.ts: wait for the first connection, fail fast after it, never
 * resend, bound every attempt. The store-level policy tests (READONLY, a reply lost in flight,
 * an outage, a frozen server) are in test/queue-core/store.redis.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ReplyError, RespClient } from '../../../queue-core/store/resp-client.ts';
import { runModule } from '../../support/module-child.ts';
import { freePort, type RedisServer, redisSkipReason, startRedis } from '../../support/redis.ts';

const skip = redisSkipReason();

function client(url: string, connectTimeoutMs = 2000): RespClient {
  const redis = new RespClient({ url, connectTimeoutMs, reconnectDelay: () => 20 });
  redis.on('error', () => {});
  return redis;
}

/** A command's count in INFO commandstats. */
async function calls(redis: RespClient, command: string): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check().catch(() => false))) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('resp client: commands and replies', { skip }, () => {
  let server: RedisServer;
  let redis: RespClient;
  before(async () => {
    server = await startRedis();
    redis = client(server.url);
  });
  after(async () => {
    await redis?.quit();
    await server?.stop();
  });

  it('answers plain commands as ioredis does (text, integers, nulls, arrays, bytes)', async () => {
    assert.equal(await redis.ping(), 'PONG');
    assert.equal(await redis.set('k', 'héllo'), 'OK');
    assert.equal(await redis.get('k'), 'héllo');
    assert.equal(await redis.get('missing'), null);
    assert.equal(await redis.set('k', 'x', 'NX'), null);
    assert.equal(await redis.hsetnx('h', 'a', 1), 1);
    assert.deepEqual(await redis.hmget('h', 'a', 'b'), ['1', null]);
    assert.equal(await redis.hget('h', 'a'), '1');
    await redis.call('ZADD', 'z', 1, 'one', 2, 'two', 3, 'three');
    assert.equal(await redis.zcount('z', '(1', '+inf'), 2);
    await redis.call('RPUSH', 'l', 'a', 'b', 'c');
    assert.deepEqual(await redis.lrange('l', 0, -1), ['a', 'b', 'c']);
    assert.equal(await redis.del('k', 'h', 'z', 'l'), 4);
    await assert.rejects(redis.call('NOSUCHCOMMAND'), (error: unknown) => error instanceof ReplyError);
    assert.equal(await redis.ping(), 'PONG', 'an error answer leaves the connection in step');
  });

  it('sends and reads bytes and large values unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await redis.call('SET', 'b', bytes);
    assert.deepEqual(await redis.getrangeBuffer('b', 0, -1), bytes);
    assert.deepEqual(await redis.getrangeBuffer('b', 10, 13), bytes.subarray(10, 14));
    const large = 'v'.repeat(4 * 1024 * 1024);
    await redis.set('large', large);
    assert.equal(await redis.get('large'), large);
    await redis.del('b', 'large');
  });

  it('keeps the order of many calls written in one turn', async () => {
    const replies = await Promise.all(Array.from({ length: 2000 }, () => redis.call('INCR', 'n')));
    assert.deepEqual(
      replies,
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );
    await redis.del('n');
  });

  it('runs a script with EVAL once per connection, EVALSHA after, and EVAL again after NOSCRIPT', async () => {
    const scripts = client(server.url);
    try {
      scripts.defineCommand('bump', {
        numberOfKeys: 1,
        lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
      });
      const bump = (scripts as unknown as { bump: (...args: string[]) => Promise<number> }).bump;
      await scripts.call('SCRIPT', 'FLUSH');
      await scripts.call('CONFIG', 'RESETSTAT');
      assert.deepEqual(await Promise.all([bump('s', '1'), bump('s', '2'), bump('s', '3')]), [1, 3, 6]);
      assert.equal(await calls(scripts, 'eval'), 1);
      assert.equal(await calls(scripts, 'evalsha'), 2);
      await scripts.call('SCRIPT', 'FLUSH');
      assert.equal(await bump('s', '10'), 16, 'after NOSCRIPT the same call ran once, by EVAL');
      assert.equal(await calls(scripts, 'eval'), 2);
      assert.equal(await scripts.get('s'), '16');
      await scripts.del('s');
    } finally {
      await scripts.quit();
    }
  });

  it('reads a script given as a function when it is first sent, once', async () => {
    const lazy = client(server.url);
    try {
      let reads = 0;
      lazy.defineCommand('echoArg', {
        numberOfKeys: 0,
        lua: () => {
          reads++;
          return 'return ARGV[1]';
        },
      });
      const echoArg = (lazy as unknown as { echoArg: (...args: string[]) => Promise<string> }).echoArg;
      assert.equal(reads, 0, 'not read when defined');
      assert.deepEqual(await Promise.all([echoArg('a'), echoArg('b')]), ['a', 'b']);
      await lazy.call('SCRIPT', 'FLUSH');
      assert.equal(await echoArg('c'), 'c');
      assert.equal(reads, 1);
      lazy.defineCommand('unreadable', {
        lua: () => {
          throw new Error('no such file');
        },
      });
      const unreadable = (lazy as unknown as { unreadable: (...args: string[]) => Promise<string> })
        .unreadable;
      await assert.rejects(unreadable('0'), /no such file/);
      assert.equal(await lazy.ping(), 'PONG', 'nothing was sent for it');
    } finally {
      await lazy.quit();
    }
  });

  it('runs MULTI/EXEC, and runs nothing of a transaction Redis refused', async () => {
    await redis.set('t1', 'a');
    const results = await redis.multi().unlink('t1', 't2').incr('t3').exec();
    assert.deepEqual(results, [
      [null, 1],
      [null, 1],
    ]);
    await redis.set('t4', 'not a number');
    const mixed = await redis.multi().incr('t4').incr('t3').exec();
    assert.ok(mixed?.[0]?.[0] instanceof ReplyError, 'a command that failed while running is its error');
    assert.deepEqual(mixed?.[1], [null, 2]);
    await redis.del('t3', 't4');
  });
});

describe('resp client: the URL', { skip }, () => {
  it('authenticates with the user and password of the URL and selects its database', async () => {
    const server = await startRedis([
      '--user',
      'default',
      'off',
      '--user',
      'queue',
      'on',
      '>p@ss:w/rd',
      '~*',
      '&*',
      '+@all',
    ]);
    const redis = client(`redis://queue:${encodeURIComponent('p@ss:w/rd')}@127.0.0.1:${server.port}/3`);
    const other = client(`redis://queue:${encodeURIComponent('p@ss:w/rd')}@127.0.0.1:${server.port}/0`);
    const wrong = client(`redis://queue:nope@127.0.0.1:${server.port}/3`, 300);
    try {
      assert.equal(await redis.set('where', 'db3'), 'OK');
      assert.equal(await redis.call('ACL', 'WHOAMI'), 'queue');
      assert.equal(await other.get('where'), null, 'not in database 0');
      assert.equal(await other.call('SELECT', 3), 'OK');
      assert.equal(await other.get('where'), 'db3');
      await assert.rejects(wrong.ping(), 'a refused AUTH fails the waiting command, no hang');
    } finally {
      wrong.disconnect();
      await redis.quit();
      await other.quit();
      await server.stop();
    }
  });
});

describe('resp client: connection policy', { skip }, () => {
  it('waits for the first connection, then fails fast while disconnected and reconnects on its own', async () => {
    const server = await startRedis();
    const redis = client(server.url);
    try {
      assert.equal(await redis.ping(), 'PONG', 'issued before the connection opened');
      await server.kill();
      await until(async () => redis.status !== 'ready', 'the client saw the connection close');
      await assert.rejects(redis.ping(), /not connected/);
      await server.restart();
      await until(async () => (await redis.ping()) === 'PONG', 'the client did not reconnect');
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it('rejects the commands waiting for a first connection that fails', { timeout: 10_000 }, async () => {
    const redis = client(`redis://127.0.0.1:${await freePort()}`, 200);
    try {
      await assert.rejects(redis.ping(), /Connection is closed/);
    } finally {
      redis.disconnect();
    }
  });

  it('gives up an attempt that gets no answer after the connect timeout, and tries again', {
    timeout: 10_000,
  }, async () => {
    // Accepts TCP, never answers: the AUTH of the handshake hangs.
    const sockets = new Set<Socket>();
    let accepted = 0;
    const mute = createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const { port } = mute.address() as { port: number };
    const redis = client(`redis://:secret@127.0.0.1:${port}`, 150);
    try {
      await assert.rejects(redis.ping(), /Connection is closed/);
      await until(async () => accepted >= 2, 'the client did not try again');
    } finally {
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });

  it('stops for good after quit or disconnect', async () => {
    const server = await startRedis();
    try {
      const quitting = client(server.url);
      assert.equal(await quitting.ping(), 'PONG');
      assert.equal(await quitting.quit(), 'OK');
      await until(async () => quitting.status === 'end', 'the client did not end');
      await assert.rejects(quitting.ping(), /Connection is closed/);
      const dropped = client(server.url);
      const pending = dropped.ping();
      dropped.disconnect();
      await assert.rejects(pending, /Connection is closed/);
      assert.equal(dropped.status, 'end');
    } finally {
      await server.stop();
    }
  });
});

/** A self-signed certificate for `localhost`, or null without the openssl command. */
function certificate(dir: string): { cert: string; key: string } | null {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return { cert, key };
  } catch {
    return null;
  }
}

/** Ping `url` from a fresh process (NODE_EXTRA_CA_CERTS is read at start-up): its output. */
async function pingFrom(url: string, env: Record<string, string>): Promise<string> {
  const clientModule = fileURLToPath(new URL('../../../queue-core/store/resp-client.ts', import.meta.url));
  const script = `
    import { RespClient } from ${JSON.stringify(clientModule)};
    const redis = new RespClient({ url: ${JSON.stringify(url)}, connectTimeoutMs: 2000, reconnectDelay: () => 50 });
    let failure = '';
    redis.on('error', (error) => { failure = error.code ?? error.message; });
    redis.ping().then((pong) => console.log(pong), () => console.log('refused ' + failure)).finally(() => redis.disconnect());
  `;
  return (await runModule(script, env)).out;
}

describe('resp client: TLS (rediss://)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'anteroom-resp-tls-'));
  const files = certificate(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects through node:tls defaults: the CA from NODE_EXTRA_CA_CERTS, the host name checked', {
    skip: files === null ? 'the openssl command is not installed' : false,
  }, async () => {
    const { cert, key } = files as { cert: string; key: string };
    const tlsPort = await freePort();
    const server = await startRedis([
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-auth-clients',
      'no',
    ]);
    writeFileSync(join(dir, 'empty.pem'), '');
    try {
      assert.equal(await pingFrom(`rediss://localhost:${tlsPort}`, { NODE_EXTRA_CA_CERTS: cert }), 'PONG');
      assert.match(
        await pingFrom(`rediss://localhost:${tlsPort}`, {}),
        /^refused .*(SELF_SIGNED|self-signed)/i,
        'an unknown CA is refused',
      );
      assert.match(
        await pingFrom(`rediss://127.0.0.1:${tlsPort}`, { NODE_EXTRA_CA_CERTS: cert }),
        /^refused ERR_TLS_CERT_ALTNAME_INVALID/,
        'a certificate for another name is refused',
      );
    } finally {
      await server.stop();
    }
  });
});
