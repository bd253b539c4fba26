/**
 * The RESP2 reply parser of the lean Redis client: every reply type, nested and null, each
 * reply fed whole, byte by byte and cut at every byte boundary, and several replies per chunk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '../../../queue-core/store/resp-client.ts';
import { type Reply, ReplyError, RespParser } from '../../../queue-core/store/resp-parser.ts';

/** Parse `chunks` in order; `buffers` says, per reply, whether its bulk strings are bytes. */
function parse(chunks: Buffer[], buffers: boolean[] = []): Reply[] {
  const replies: Reply[] = [];
  const parser = new RespParser(
    (reply) => replies.push(reply),
    () => buffers[replies.length] === true,
  );
  for (const chunk of chunks) parser.feed(chunk);
  return replies;
}

/** The bytes cut into two at `at`. */
function cut(bytes: Buffer, at: number): Buffer[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

const big = 'x'.repeat(200_000) + 'é'.repeat(50_000);

const CASES: { name: string; wire: string; expected: Reply }[] = [
  { name: 'simple string', wire: '+OK\r\n', expected: 'OK' },
  { name: 'empty simple string', wire: '+\r\n', expected: '' },
  { name: 'integer', wire: ':1234567\r\n', expected: 1234567 },
  { name: 'negative integer', wire: ':-42\r\n', expected: -42 },
  { name: 'zero', wire: ':0\r\n', expected: 0 },
  { name: 'large integer', wire: ':9007199254740991\r\n', expected: 9007199254740991 },
  { name: 'bulk string', wire: '$5\r\nhello\r\n', expected: 'hello' },
  { name: 'bulk string with CRLF inside', wire: '$4\r\na\r\nb\r\n', expected: 'a\r\nb' },
  { name: 'UTF-8 bulk string', wire: `$${Buffer.byteLength('héllo ✓')}\r\nhéllo ✓\r\n`, expected: 'héllo ✓' },
  { name: 'empty bulk string', wire: '$0\r\n\r\n', expected: '' },
  { name: 'null bulk string', wire: '$-1\r\n', expected: null },
  { name: 'null array', wire: '*-1\r\n', expected: null },
  { name: 'empty array', wire: '*0\r\n', expected: [] },
  {
    name: 'array of mixed values',
    wire: '*4\r\n$1\r\na\r\n:7\r\n$-1\r\n+OK\r\n',
    expected: ['a', 7, null, 'OK'],
  },
  {
    name: 'nested arrays',
    wire: '*3\r\n*2\r\n:1\r\n*1\r\n$2\r\nhi\r\n*0\r\n*-1\r\n',
    expected: [[1, ['hi']], [], null],
  },
  { name: 'big bulk string', wire: `$${Buffer.byteLength(big)}\r\n${big}\r\n`, expected: big },
];

describe('RESP parser', () => {
  for (const { name, wire, expected } of CASES) {
    it(`parses a ${name}, whole and cut at every byte boundary`, () => {
      const bytes = Buffer.from(wire);
      assert.deepEqual(parse([bytes]), [expected]);
      // A long reply is cut at a spread of points (every one would take minutes), a short one at all.
      const step = bytes.length > 1000 ? 997 : 1;
      for (let at = 1; at < bytes.length; at += step) {
        assert.deepEqual(parse(cut(bytes, at)), [expected], `cut at ${at}`);
      }
    });
  }

  it('parses replies fed one byte at a time', () => {
    const wire = Buffer.from(
      CASES.filter((c) => c.name !== 'big bulk string')
        .map((c) => c.wire)
        .join(''),
    );
    const bytes = Array.from(wire, (byte) => Buffer.from([byte]));
    assert.deepEqual(
      parse(bytes),
      CASES.filter((c) => c.name !== 'big bulk string').map((c) => c.expected),
    );
  });

  it('parses several replies in one chunk, and a chunk ending in the middle of the next', () => {
    const wire = Buffer.from('+OK\r\n:1\r\n$3\r\nabc\r\n*2\r\n:1\r\n:2\r\n');
    for (let at = 1; at < wire.length; at++) {
      assert.deepEqual(parse(cut(wire, at)), ['OK', 1, 'abc', [1, 2]], `cut at ${at}`);
    }
  });

  it('gives an error reply as a ReplyError, on its own and inside an array', () => {
    const wire = Buffer.from('-NOSCRIPT No matching script. Please use EVAL.\r\n*2\r\n-ERR inner\r\n:3\r\n');
    for (let at = 1; at < wire.length; at++) {
      const [top, array] = parse(cut(wire, at));
      assert.ok(top instanceof ReplyError);
      assert.equal(top.message, 'NOSCRIPT No matching script. Please use EVAL.');
      assert.ok(Array.isArray(array));
      assert.ok(array[0] instanceof ReplyError);
      assert.equal(array[0].message, 'ERR inner');
      assert.equal(array[1], 3);
    }
  });

  it('gives bulk strings as bytes when the reply asks for them, text otherwise', () => {
    const binary = Buffer.from([0, 255, 13, 10, 128, 1]);
    const wire = Buffer.concat([
      Buffer.from('$6\r\n'),
      binary,
      Buffer.from('\r\n$6\r\n'),
      binary,
      Buffer.from('\r\n'),
    ]);
    for (let at = 1; at < wire.length; at++) {
      const [bytes, text] = parse(cut(wire, at), [true, false]);
      assert.ok(Buffer.isBuffer(bytes));
      assert.deepEqual(bytes, binary);
      assert.equal(typeof text, 'string');
    }
  });

  it('copies a large bulk string once it is complete, from many small chunks', () => {
    const value = Buffer.alloc(3 * 1024 * 1024, 'ab');
    const wire = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n:5\r\n')]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < wire.length; at += 1500) chunks.push(wire.subarray(at, at + 1500));
    const [text, five] = parse(chunks);
    assert.equal(text, value.toString());
    assert.equal(five, 5);
  });

  it('refuses bytes that are not RESP', () => {
    assert.throws(() => parse([Buffer.from('HTTP/1.1 400 Bad Request\r\n')]), /unexpected Redis reply type/);
  });
});

describe('RESP command encoding', () => {
  it('writes text, numbers and bytes as bulk strings with their byte length', () => {
    assert.equal(encode(['SET', 'k', 'é', 12]), '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\n12\r\n');
    const bytes = encode(['SET', Buffer.from([0, 13, 10]), 'v']);
    assert.ok(Buffer.isBuffer(bytes));
    assert.deepEqual(
      bytes,
      Buffer.concat([
        Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\n'),
        Buffer.from([0, 13, 10]),
        Buffer.from('\r\n$1\r\nv\r\n'),
      ]),
    );
  });
});
