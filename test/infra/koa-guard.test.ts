/**
 * The bundles guard Koa's `instanceof Response` / `instanceof ReadableStream` body tests
 * (infra/lib/bundle.ts, `guardLazyGlobals`): a JSON answer of a bundled Koa app loads neither
 * undici nor the web streams, and every body kind Koa knows answers exactly as the same app run
 * from source does. Real HTTP on loopback, each case in a fresh Node process (what a global has
 * loaded is per process).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleFunction, guardLazyGlobals } from '../../infra/lib/bundle.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/koa-bodies.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anteroom-koa-guard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const outdir = join(dir, 'bundle');
bundleFunction({ entry: FIXTURE, outdir, sourceMaps: false });

/** Imports `module`, answers once with the body `kind` names, prints what it saw and loaded. */
const RUN = `
const [module, kind] = process.argv.slice(2);
const { answerOnce } = await import(module);
const bodies = {
  json: () => ({ ok: true, list: [1, 2] }),
  response: () => new Response('from a Response', { status: 201, headers: { 'x-kind': 'response', 'content-type': 'text/plain' } }),
  subclass: () => { class Mine extends Response {} return new Mine('from a subclass', { status: 202 }); },
  stream: () => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('from a stream')); c.close(); } }),
  blob: () => new Blob(['from a blob'], { type: 'text/plain' }),
  accepts: (ctx) => ({ accepts: ctx.accepts('json', 'html'), type: ctx.is('json') }),
  svg: (ctx) => { ctx.type = 'svg'; return '<svg/>'; },
};
const answer = await answerOnce(bodies[kind]);
delete answer.headers.date;
const loaded = process.moduleLoadList;
console.log(JSON.stringify({
  answer,
  undici: loaded.some((name) => name.includes('internal/deps/undici')),
  webstreams: loaded.some((name) => name.includes('internal/webstreams/readablestream')),
}));
`;
const runner = join(dir, 'run.mjs');
writeFileSync(runner, RUN);

function answer(module: string, kind: string) {
  const child = spawnSync(process.execPath, [runner, module, kind], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as {
    answer: { status: number; headers: Record<string, string>; text: string };
    undici: boolean;
    webstreams: boolean;
  };
}

const bundled = join(outdir, 'index.mjs');

describe("the bundled Koa's body tests", () => {
  it('guard both tests in the bundle (no bare `instanceof Response` or `ReadableStream` left)', () => {
    const code = readFileSync(bundled, 'utf8');
    const tests = code.match(/[\w$]+ instanceof (Response|ReadableStream)\b/g) ?? [];
    assert.equal(tests.length, 4, 'two tests in the body setter, two in respond()');
    for (const global of ['Response', 'ReadableStream']) {
      const guarded = code.match(
        new RegExp(`"\\[object ${global}\\]"&&[\\w$]+ instanceof ${global}\\b`, 'g'),
      );
      assert.equal(guarded?.length, 2, `${global}: both tests guarded`);
    }
  });

  it('answer a JSON body without loading undici or the web streams', () => {
    const { answer: got, undici, webstreams } = answer(bundled, 'json');
    assert.equal(got.status, 200);
    assert.equal(got.text, '{"ok":true,"list":[1,2]}');
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(undici, false, 'undici was loaded');
    assert.equal(webstreams, false, 'the web streams were loaded');
  });

  it('the same JSON answer from source loads undici (what the guard saves)', () => {
    const { answer: got, undici } = answer(FIXTURE, 'json');
    assert.equal(got.text, '{"ok":true,"list":[1,2]}');
    assert.equal(undici, true);
  });

  for (const [kind, text] of [
    ['json', '{"ok":true,"list":[1,2]}'],
    ['response', 'from a Response'],
    ['subclass', 'from a subclass'],
    ['stream', 'from a stream'],
    ['blob', 'from a blob'],
    // The media type table (mime-db, bundled once as JSON): accepts' and Koa's own lookups.
    ['accepts', '{"accepts":"html","type":null}'],
    ['svg', '<svg/>'],
  ] as const) {
    it(`answer a ${kind} body as Koa from source does`, () => {
      const fromBundle = answer(bundled, kind).answer;
      assert.equal(fromBundle.text, text);
      assert.deepEqual(fromBundle, answer(FIXTURE, kind).answer);
    });
  }

  it('types an answer from the bundled media type table', () => {
    assert.equal(answer(bundled, 'svg').answer.headers['content-type'], 'image/svg+xml');
  });

  it('Response bodies keep their status and headers', () => {
    const { answer: got } = answer(bundled, 'response');
    assert.equal(got.status, 201);
    assert.equal(got.headers['x-kind'], 'response');
    assert.equal(answer(bundled, 'subclass').answer.status, 202);
  });
});

describe('guardLazyGlobals', () => {
  it('guards a whole-operand test and leaves other code alone', () => {
    const code = 'if(e instanceof ReadableStream)a();let s=t?u:i instanceof Response?1:o.p instanceof Blob;';
    assert.equal(
      guardLazyGlobals('chunk.mjs', code),
      'if((Object.prototype.toString.call(e)==="[object ReadableStream]"&&e instanceof ReadableStream))a();' +
        'let s=t?u:(Object.prototype.toString.call(i)==="[object Response]"&&i instanceof Response)?1:o.p instanceof Blob;',
    );
  });

  it('fails the build when a chunk holding Koa lacks one of the tests (a Koa that changed)', () => {
    assert.throws(
      () => guardLazyGlobals('chunk-X.mjs', 'if(e instanceof ReadableStream)a();'),
      /chunk-X\.mjs .*instanceof Response/,
    );
    assert.throws(() => guardLazyGlobals('chunk-X.mjs', 'if(e.body instanceof Response)a();'), /instanceof/);
  });
});
