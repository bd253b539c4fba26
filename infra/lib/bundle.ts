/**
 * How a Lambda function's code is built: the local esbuild (no Docker), ES modules for Node 22,
 * minified, split at every `import()` so a cold start loads only the chunks its first request
 * runs (the OIDC provider, the admin app, the AWS SDK clients stay on disk until used; see
 * provider/lambda/handlers.ts), the start-up code in `index.mjs` alone (`mergeStartup`), Koa's
 * body tests kept from loading undici and the web streams (`guardLazyGlobals`), source
 * maps only when the deployment asks for them, and the
 * folders the code reads at run time copied beside it. `bench/lambda-cold.ts` measures what
 * this builds.
 *
 * The AWS SDK (`@aws-sdk/*`) is left to the Lambda runtime, which ships it.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
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

/**
 * `mime-db` (the media type table Koa's `mime-types` reads when an answer's type is set, and
 * `accepts` through its own older `mime-types`) is bundled once, as `JSON.parse` of one string:
 * esbuild turns `db.json` into an object literal, which V8 parses and compiles far more slowly
 * than JSON text, and the project holds two copies (koa's 1.54, accepts' 1.52). Loading both
 * `mime-types` with their literal tables cost a fresh process about 43 ms of CPU here, with one
 * `JSON.parse` table about 21 ms (medians of 11 processes). Every `mime-types` gets the project's top-level
 * table (the newer one: for `accepts`, which only looks up the few type names the code passes
 * to `ctx.accepts`, the same answers).
 */
function mimeDb(dir: string): Record<string, string> {
  let table: string;
  try {
    table = createRequire(import.meta.url).resolve('mime-db/db.json');
  } catch {
    return {}; // nothing bundled reads it
  }
  const file = join(dir, 'mime-db.cjs');
  const json = JSON.stringify(JSON.parse(readFileSync(table, 'utf8')));
  writeFileSync(file, `module.exports = JSON.parse(${JSON.stringify(json)});\n`);
  return { 'mime-db': file };
}

function stubs(dir: string): Record<string, string> {
  const debug = join(dir, 'debug-stub.cjs');
  writeFileSync(debug, DEBUG_STUB);
  return { debug, ...mimeDb(dir) };
}

/**
 * Koa (3.x) asks `instanceof ReadableStream` and `instanceof Response` of every object body, in
 * its body setter (`lib/response.js`) and in `respond()` (`lib/application.js`). Node defines
 * those two globals lazily: the first read of `Response` loads undici (Node's whole fetch), of
 * `ReadableStream` the web streams, tens of milliseconds of CPU on a cold start, paid by the
 * first JSON answer of the admin app and of the OIDC provider though neither answers with one.
 *
 * In the chunks that hold Koa's two files, each `x instanceof Response` (and `ReadableStream`)
 * becomes `(Object.prototype.toString.call(x)==="[object Response]"&&x instanceof Response)`:
 * the global is read only when the value's `Symbol.toStringTag` says it is one. Web classes
 * define that tag on their prototype, so an instance of the class or of a subclass (which
 * inherits it) still takes Koa's branch as before; only an object that overrides the tag while
 * being one would not (Koa would answer it as JSON). A guard on `constructor.name` would miss
 * every subclass. `Blob` is left alone: Node loads it at start anyway.
 *
 * esbuild's synchronous API (the CDK bundles synchronously) takes no plugins, so this rewrites
 * esbuild's output, where the globals keep their names. A chunk holding Koa's file without one
 * of these tests fails the build, so a Koa upgrade cannot silently bring the cost back. Other
 * code in the same chunk with the same test gets the same guard (none today). With source maps,
 * the columns after a rewritten test on its line are off by the guard's length.
 */
export const KOA_LAZY_GLOBALS = ['ReadableStream', 'Response'] as const;
const KOA_PATCHED_INPUT = /(^|\/)node_modules\/koa\/lib\/(response|application)\.js$/;
/** `x instanceof G` where `x` is a whole operand (an identifier after `(`, `,`, `&`, `|`, …). */
const LAZY_INSTANCEOF = new RegExp(
  `(?<=^|[(,;=&|?:{}\\s])([A-Za-z_$][\\w$]*) instanceof (${KOA_LAZY_GLOBALS.join('|')})\\b(?![\\w$.])`,
  'g',
);

/** The guarded source of one output; throws when it lacks a test `KOA_LAZY_GLOBALS` expects. */
export function guardLazyGlobals(name: string, code: string): string {
  const found = new Set<string>();
  const patched = code.replace(LAZY_INSTANCEOF, (_match, value: string, global: string) => {
    found.add(global);
    return `(Object.prototype.toString.call(${value})==="[object ${global}]"&&${value} instanceof ${global})`;
  });
  for (const global of KOA_LAZY_GLOBALS) {
    if (!found.has(global))
      throw new Error(
        `bundle: ${name} holds koa's response.js or application.js but no \`x instanceof ${global}\`: ` +
          'check what this Koa does and update guardLazyGlobals (infra/lib/bundle.ts)',
      );
  }
  return patched;
}

function guardKoaOutputs(metafile: Metafile): void {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.mjs')) continue;
    if (!Object.keys(output.inputs).some((input) => KOA_PATCHED_INPUT.test(input.replaceAll('\\', '/'))))
      continue;
    const path = resolve(file);
    writeFileSync(path, guardLazyGlobals(basename(path), readFileSync(path, 'utf8')));
  }
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
  guardKoaOutputs(result.metafile);
  mergeStartup(options, result.metafile);
  for (const files of options.runtimeFiles ?? []) {
    cpSync(files.from, join(options.outdir, files.to), { recursive: true });
  }
  return result.metafile;
}

/**
 * Folds the chunks `index.mjs` imports statically into `index.mjs` itself: a cold start then
 * opens, resolves and links one file instead of about twenty. Splitting makes a chunk of every
 * set of entry points that share code, and for Node each file costs a resolution (a stat, a
 * realpath) per import of it, a read and a module record: about 0.4 ms of CPU a file here
 * (bench/lambda-cold.ts). The chunks loaded by `import()` are kept, and import what they share
 * with the start-up code from `index.mjs`, which re-exports it: one instance of every module, as
 * before. The metafile returned stays esbuild's (which source is in the start-up code does not
 * change); on disk, what it lists in those chunks is in `index.mjs`.
 */
function mergeStartup(options: BundleOptions, metafile: Metafile): void {
  const outdir = resolve(options.outdir);
  const keyOf = (file: string) => resolve(file);
  const outputs = new Map(Object.entries(metafile.outputs).map(([key, output]) => [keyOf(key), output]));
  const index = join(outdir, 'index.mjs');
  const startup: string[] = [];
  const walk = (file: string) => {
    for (const imported of outputs.get(file)?.imports ?? []) {
      if (imported.kind !== 'import-statement' || imported.external) continue;
      const path = keyOf(imported.path);
      if (path === index || startup.includes(path)) continue;
      startup.push(path);
      walk(path);
    }
  };
  walk(index);
  if (startup.length === 0) return;

  // The merged module: the handlers, and every export of the folded chunks under a name of its own.
  const renamed = new Map<string, Map<string, string>>();
  const lines = ['export * from "./index.mjs";'];
  // `export *` leaves a default export out.
  if (outputs.get(index)?.exports.includes('default')) lines.push('export { default } from "./index.mjs";');
  startup.forEach((file, n) => {
    const names = new Map((outputs.get(file)?.exports ?? []).map((name) => [name, `__start${n}_${name}`]));
    renamed.set(basename(file), names);
    if (names.size > 0) {
      lines.push(
        `export { ${[...names].map(([name, as]) => `${name} as ${as}`).join(', ')} } from "./${basename(file)}";`,
      );
    }
  });
  const entry = join(outdir, '__startup.mjs');
  const merged = join(outdir, '__startup.out.mjs');
  writeFileSync(entry, `${lines.join('\n')}\n`);
  const others = [...outputs.keys()].filter(
    (file) => file.endsWith('.mjs') && file !== index && !startup.includes(file),
  );
  buildSync({
    entryPoints: [entry],
    outfile: merged,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    sourcemap: options.sourceMaps ? 'linked' : false,
    // What `import()` loads stays in its own file; so do the SDK and the built-ins.
    external: [...others, '@aws-sdk/*'],
    legalComments: 'linked',
    logLevel: 'warning',
  });
  // A folded chunk's license file stays: `index.mjs.LEGAL.txt` points to it (its comment
  // naming the file is a legal comment, which the second pass carries).
  const ownLegal = existsSync(`${index}.LEGAL.txt`) ? readFileSync(`${index}.LEGAL.txt`, 'utf8') : '';
  for (const file of [index, ...startup]) {
    for (const extra of ['', '.map']) rmSync(`${file}${extra}`, { force: true });
  }
  rmSync(`${index}.LEGAL.txt`, { force: true });
  rmSync(entry);
  renameSync(merged, index);
  if (existsSync(`${merged}.map`)) {
    const map = JSON.parse(readFileSync(`${merged}.map`, 'utf8'));
    writeFileSync(`${index}.map`, JSON.stringify({ ...map, file: 'index.mjs' }));
    rmSync(`${merged}.map`);
    writeFileSync(index, readFileSync(index, 'utf8').replace(/__startup\.out\.mjs\.map/, 'index.mjs.map'));
  }
  if (existsSync(`${merged}.LEGAL.txt`)) {
    renameSync(`${merged}.LEGAL.txt`, `${index}.LEGAL.txt`);
    writeFileSync(
      index,
      readFileSync(index, 'utf8').replace(/__startup\.out\.mjs\.LEGAL\.txt/, 'index.mjs.LEGAL.txt'),
    );
    // What index.mjs's own license file held (its comment now names the merged one).
    if (ownLegal !== '')
      writeFileSync(`${index}.LEGAL.txt`, `${readFileSync(`${index}.LEGAL.txt`, 'utf8')}\n${ownLegal}`);
  }

  // The other chunks take what they shared with the start-up code from `index.mjs`.
  const folded = new RegExp(
    `(import|export)\\s*(\\{[^}]*\\})?\\s*(from)?\\s*"\\./(${[...renamed.keys()].map((name) => name.replace(/[.]/g, '\\.')).join('|')})"`,
    'g',
  );
  for (const name of readdirSync(outdir).filter((file) => file.endsWith('.mjs') && file !== 'index.mjs')) {
    const path = join(outdir, name);
    const code = readFileSync(path, 'utf8');
    const rewritten = code.replace(
      folded,
      (_match, verb: string, list: string | undefined, from, chunk: string) => {
        const names = renamed.get(chunk) as Map<string, string>;
        if (list === undefined) return `${verb}${from ? ' from' : ''}"./index.mjs"`;
        const bindings = list
          .slice(1, -1)
          .split(',')
          .filter((binding) => binding.trim() !== '')
          .map((binding) => {
            const [name, as] = binding.trim().split(/\s+as\s+/) as [string, string | undefined];
            const exported = names.get(name);
            if (exported === undefined)
              throw new Error(`bundle: ${chunk} has no export ${name} (${basename(path)})`);
            return `${exported} as ${as ?? name}`;
          });
        return `${verb}{${bindings.join(',')}}from"./index.mjs"`;
      },
    );
    for (const chunk of renamed.keys()) {
      if (rewritten.includes(`"./${chunk}"`))
        throw new Error(`bundle: ${name} still loads ${chunk}, folded into index.mjs`);
    }
    if (rewritten !== code) writeFileSync(path, rewritten);
  }
}
