/**
 * What the CDK app builds for each Lambda function (`infra/lib/bundle.ts`), read from esbuild's
 * metafile: the code a cold start runs (`index.mjs` and the chunks it imports statically) holds
 * only what a first queue API request or authorizer decision needs, built-ins are reached as
 * CommonJS, and source maps ship only when asked for. bench/lambda-cold.ts times the result.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Metafile } from 'esbuild';
import { bundleFunction } from '../../infra/lib/bundle.ts';
import { DEFAULT_ENTRIES, PROVIDER_RUNTIME_FILES } from '../../infra/lib/entries.ts';

const dir = mkdtempSync(join(tmpdir(), 'anteroom-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function build(name: string, entry: string, sourceMaps = false) {
  const outdir = join(dir, name);
  const metafile = bundleFunction({ entry, outdir, sourceMaps, runtimeFiles: PROVIDER_RUNTIME_FILES });
  return { outdir, metafile };
}

/**
 * An output and every chunk reachable from it by static imports: what importing it loads.
 * `from`: `index.mjs`, or the chunk that holds the given source file.
 */
function staticOutputs(metafile: Metafile, from: string | RegExp = 'index.mjs'): string[] {
  const outputs = metafile.outputs;
  const byName = (path: string) =>
    Object.keys(outputs).find((key) => key.endsWith(`/${path.split('/').pop()}`));
  const start =
    typeof from === 'string'
      ? byName(from)
      : Object.keys(outputs).find((key) =>
          Object.keys(outputs[key]!.inputs).some((input) => from.test(input)),
        );
  assert.ok(start, `no output holds ${from}`);
  const seen = new Set<string>();
  const visit = (key: string | undefined) => {
    if (key === undefined || seen.has(key)) return;
    seen.add(key);
    for (const imported of outputs[key]!.imports) {
      if (!imported.external && imported.kind === 'import-statement') visit(byName(imported.path));
    }
  };
  visit(start);
  return [...seen];
}

function staticInputs(metafile: Metafile, from?: string | RegExp): string[] {
  return staticOutputs(metafile, from).flatMap((key) => Object.keys(metafile.outputs[key]!.inputs));
}

/** What a cold start loads: `index.mjs`'s static graph, which then imports the handlers' module. */
function startupOutputs(metafile: Metafile): string[] {
  return staticOutputs(metafile);
}

function allInputs(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs));
}

const loads = (inputs: string[], pattern: RegExp) => inputs.some((input) => pattern.test(input));

describe('the provider functions bundle', () => {
  const { outdir, metafile } = build('provider', DEFAULT_ENTRIES.provider);
  const startup = staticInputs(metafile);

  it('stubs the debug package (ioredis imports it; the real one opens stderr as a TTY)', () => {
    assert.ok(!loads(allInputs(metafile), /node_modules\/debug\//), 'the debug package is bundled');
  });

  it("holds one media type table, read with JSON.parse (not mime-db's db.json as object literals)", () => {
    const inputs = allInputs(metafile);
    assert.ok(loads(inputs, /node_modules\/mime-types\//), 'mime-types is bundled');
    assert.ok(!loads(inputs, /mime-db\/db\.json$/), 'a mime-db table is bundled as an object literal');
    assert.equal(inputs.filter((input) => /mime-db\.cjs$/.test(input)).length, 1);
  });

  it('holds no pino (the functions log with provider/telemetry/logger.ts)', () => {
    assert.ok(
      !loads(allInputs(metafile), /node_modules\/(pino|sonic-boom|thread-stream)\//),
      'pino is bundled',
    );
  });

  it('starts without the OIDC provider, Koa, the admin app, the scheduled run or prom-client’s index', () => {
    for (const [what, pattern] of [
      ['oidc-provider', /node_modules\/oidc-provider\//],
      ['koa', /node_modules\/koa\//],
      ['@koa/router', /node_modules\/@koa\/router\//],
      ['the public Koa app', /provider\/apps\/public-app\.ts$/],
      ['the admin app', /provider\/apps\/admin-app\.ts$/],
      ['the scheduled run', /provider\/lambda\/scheduled\.ts$/],
      ['prom-client’s index (Pushgateway, cluster, zlib)', /node_modules\/prom-client\/index\.js$/],
    ] as const) {
      assert.ok(!loads(startup, pattern), `${what} is loaded at start`);
    }
    // …which are all in the bundle, for the requests that need them.
    assert.ok(loads(allInputs(metafile), /node_modules\/oidc-provider\//));
    assert.ok(loads(allInputs(metafile), /provider\/apps\/admin-app\.ts$/));
    // What the first queue request does need is there from the start.
    assert.ok(loads(startup, /queue-core\/store\/resp-client\.ts$/));
    assert.ok(loads(startup, /provider\/server\/hot-path\.ts$/));
  });

  it('starts without jose, serverless-http, prom-client or the in-memory store', () => {
    for (const [what, pattern] of [
      ['jose', /node_modules\/jose\//],
      ['serverless-http', /node_modules\/serverless-http\//],
      // The metrics registry is built by the admin API's first `GET /metrics` (`metrics.ready()`).
      ['prom-client', /node_modules\/prom-client\//],
      // A Lambda container runs on Redis (`openConfiguredStore`).
      ['the in-memory store', /queue-core\/store\/memory-store\.ts$/],
    ] as const) {
      assert.ok(!loads(startup, pattern), `${what} is loaded at start`);
      // …but in the bundle: enqueue tokens and OIDC use jose, other requests the app.
      assert.ok(loads(allInputs(metafile), pattern), `${what} is not in the bundle`);
    }
  });

  it('starts without ioredis: one Redis node is the lean client’s, ioredis loads for a cluster or OIDC', () => {
    assert.ok(
      !loads(
        startup,
        /node_modules\/(ioredis|@ioredis|redis-errors|redis-parser|cluster-key-slot|denque|standard-as-callback|lodash\.)/,
      ),
      'ioredis is loaded at start',
    );
    assert.ok(loads(allInputs(metafile), /node_modules\/ioredis\//), 'ioredis is in the bundle');
  });

  it('leaves the AWS SDK to the runtime, and starts without it', () => {
    assert.ok(!loads(allInputs(metafile), /node_modules\/@aws-sdk\//), 'the SDK is bundled');
    const atStart = startupOutputs(metafile).filter((key) =>
      metafile.outputs[key]!.imports.some(
        (i) => i.path.startsWith('@aws-sdk/') && i.kind === 'import-statement',
      ),
    );
    assert.deepEqual(atStart, [], 'code loaded at start imports the SDK');
    // DynamoDB (OIDC state, ledger) is called without it (provider/lambda/dynamodb.ts).
    const dynamo = Object.keys(metafile.outputs).filter((key) =>
      metafile.outputs[key]!.imports.some((i) => i.path === '@aws-sdk/client-dynamodb'),
    );
    assert.deepEqual(dynamo, [], 'a chunk imports @aws-sdk/client-dynamodb');
  });

  it('starts from one file: the chunks it would import are folded into index.mjs, which the others import', () => {
    const index = readFileSync(join(outdir, 'index.mjs'), 'utf8');
    assert.equal(/(?:^|[;}])\s*(?:import|export)[^"'()]*["']\.\/chunk-/.exec(index)?.[0], undefined);
    assert.match(index, /import\("\.\/chunk-[A-Z0-9]+\.mjs"\)/, 'the chunks loaded by import() are kept');
    const names = readdirSync(outdir).filter((file) => file.endsWith('.mjs'));
    const folded = staticOutputs(metafile)
      .map((key) => key.split('/').pop() as string)
      .filter((name) => name !== 'index.mjs');
    assert.ok(folded.length > 0);
    for (const name of folded) assert.ok(!names.includes(name), `${name} is still a file of its own`);
    const sharing = names.filter((name) =>
      readFileSync(join(outdir, name), 'utf8').includes('from"./index.mjs"'),
    );
    assert.ok(sharing.length > 0, 'no chunk imports the start-up code from index.mjs');
  });

  it('links every chunk: what each imports from the folded start-up code is exported by index.mjs', () => {
    // Each chunk imported in a child process, after index.mjs as at run time. A chunk that
    // imports the AWS SDK cannot resolve it from a temporary folder (the runtime ships it):
    // that is the only failure allowed.
    const script = `
      import { readdirSync } from 'node:fs';
      const dir = ${JSON.stringify(outdir)};
      await import(dir + '/index.mjs');
      const failed = [];
      for (const name of readdirSync(dir).filter((file) => file.endsWith('.mjs'))) {
        try { await import(dir + '/' + name); }
        catch (error) {
          if (!(error.code === 'ERR_MODULE_NOT_FOUND' && /@aws-sdk\\//.test(error.message))) failed.push(name + ': ' + error.message);
        }
      }
      process.stdout.write(JSON.stringify(failed));
      process.exit(0);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), []);
  });

  it('reaches Node built-ins as CommonJS, never through an ES module facade', () => {
    for (const name of readdirSync(outdir).filter((file) => file.endsWith('.mjs'))) {
      const code = readFileSync(join(outdir, name), 'utf8');
      const esmBuiltin = /from\s*["'](node:)?(http|https|crypto|fs|net|tls|module)["']/.exec(code);
      assert.equal(esmBuiltin?.[0], undefined, `${name} imports a built-in as an ES module`);
    }
  });

  it('is minified, with the Lua scripts and page assets beside it, and no source map', () => {
    const index = readFileSync(join(outdir, 'index.mjs'), 'utf8');
    // Minified: long lines (template literals with line breaks keep some of their own).
    assert.ok(index.length / index.split('\n').length > 500, 'index.mjs is not minified');
    assert.ok(existsSync(join(outdir, 'lua', 'enqueue.lua')));
    assert.ok(readdirSync(join(outdir, 'assets')).length > 0);
    assert.deepEqual(
      readdirSync(outdir).filter((name) => name.endsWith('.map')),
      [],
    );
  });

  it('ships source maps when the deployment asks for them', () => {
    const withMaps = build('provider-maps', DEFAULT_ENTRIES.provider, true);
    assert.ok(readdirSync(withMaps.outdir).includes('index.mjs.map'));
  });
});

describe('the authorizer bundle', () => {
  const { metafile } = build('authorizer', DEFAULT_ENTRIES.authorizer);

  it('holds the verifier and nothing of the provider', () => {
    const inputs = allInputs(metafile);
    assert.ok(loads(inputs, /authorizer\/verify\.ts$/));
    assert.ok(!loads(inputs, /node_modules\/(ioredis|koa|pino|oidc-provider)\//));
  });
});
