/**
 * How a Lambda function's code is built: the local esbuild (no Docker), ES modules for Node 22,
 * minified, split at every `import()` so a cold start loads only the chunks its first request
 * runs (the OIDC provider, the admin app, the AWS SDK clients stay on disk until used; see
 * provider/lambda/handlers.ts), source maps only when the deployment asks for them, and the
 * folders the code reads at run time copied beside it. `bench/lambda-cold.ts` measures what
 * this builds.
 *
 * The AWS SDK (`@aws-sdk/*`) is left to the Lambda runtime, which ships it.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync, type Metafile } from 'esbuild';
import type { RuntimeFiles } from './entries.ts';

export interface BundleOptions {
  /** The module whose exports are the handlers. */
  entry: string;
  outdir: string;
  /** Emit `.map` files (the function then runs with `--enable-source-maps`). */
  sourceMaps: boolean;
  /** Folders copied beside the bundle, for code that reads files relative to its module. */
  runtimeFiles?: RuntimeFiles[] | undefined;
}

/**
 * esbuild emits ESM, which has no `require`; a bundled CommonJS dependency that calls it at run
 * time with a name esbuild could not see (none of ours does today) gets one from the banner. It
 * is made through `process.getBuiltinModule`, not `import … from 'node:module'`, for the reason
 * `builtinShims` gives.
 */
const ESM_REQUIRE_BANNER =
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";

/**
 * Node built-ins reached as CommonJS (`process.getBuiltinModule`), not as ES modules: importing
 * a built-in as an ES module builds a facade that reads every export, and some exports are lazy
 * getters: `node:http`'s loads undici (about 20 ms of a cold start here). Each built-in, with and
 * without `node:`, is aliased to a one-line module that hands back the CommonJS object.
 *
 * That object is handed back behind an empty object whose prototype it is: every file that
 * imports a built-in gets esbuild's `__toESM` copy of the module's own properties (a getter per
 * export: `node:fs` has about a hundred), once per importing file, about 3 ms of a cold start in
 * all; through the prototype every export still reads as before, and nothing is copied. A
 * built-in that is itself a function (`events`, `assert`, `stream`, `module`) is handed back as
 * it is, so it can still be called and extended.
 */
function builtinShims(dir: string): Record<string, string> {
  const alias: Record<string, string> = {};
  for (const name of builtinModules) {
    if (name.startsWith('_')) continue; // internal helpers (`_http_agent`, …), never imported
    const file = join(dir, `${name.replaceAll('/', '__')}.cjs`);
    writeFileSync(
      file,
      `const m = process.getBuiltinModule(${JSON.stringify(`node:${name}`)});\n` +
        "module.exports = typeof m === 'function' ? m : Object.create(m);\n",
    );
    alias[name] = file;
    alias[`node:${name}`] = file;
  }
  return alias;
}

/**
 * The `debug` package (ioredis, the OIDC provider and the Koa router log through it, and only
 * when the `DEBUG` variable names them) stands in as a function that is never enabled: the real
 * one opens stderr as a TTY stream and reads colour support when imported, a few milliseconds
 * of the queue API's cold start (ioredis imports it). `DEBUG=ioredis:*` therefore prints nothing
 * on Lambda; `anteroom serve` keeps the real package.
 */
const DEBUG_STUB = `function createDebug(namespace) {
  const debug = () => {};
  debug.namespace = namespace;
  debug.enabled = false;
  debug.log = () => {};
  debug.destroy = () => true;
  debug.extend = (name, delimiter) => createDebug(namespace + (delimiter === undefined ? ':' : delimiter) + name);
  return debug;
}
createDebug.debug = createDebug;
createDebug.default = createDebug;
createDebug.enable = () => {};
createDebug.disable = () => '';
createDebug.enabled = () => false;
createDebug.formatters = {};
createDebug.names = [];
createDebug.skips = [];
module.exports = createDebug;
`;

function stubs(dir: string): Record<string, string> {
  const debug = join(dir, 'debug-stub.cjs');
  writeFileSync(debug, DEBUG_STUB);
  return { debug };
}

/** Writes `index.mjs`, its chunks and the runtime files into `outdir`; returns esbuild's metafile. */
export function bundleFunction(options: BundleOptions): Metafile {
  const shims = mkdtempSync(join(tmpdir(), 'anteroom-builtins-'));
  try {
    return build(options, { ...builtinShims(shims), ...stubs(shims) });
  } finally {
    rmSync(shims, { recursive: true, force: true });
  }
}

function build(options: BundleOptions, alias: Record<string, string>): Metafile {
  const result = buildSync({
    alias,
    entryPoints: { index: options.entry },
    outdir: options.outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    // Chunks sit beside index.mjs: code that reads `./lua/` or `./assets/` relative to its own
    // module finds them wherever esbuild put it.
    chunkNames: 'chunk-[hash]',
    minify: true,
    sourcemap: options.sourceMaps ? 'linked' : false,
    banner: { js: ESM_REQUIRE_BANNER },
    external: ['@aws-sdk/*'],
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  for (const files of options.runtimeFiles ?? []) {
    cpSync(files.from, join(options.outdir, files.to), { recursive: true });
  }
  return result.metafile;
}
