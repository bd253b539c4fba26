/**
 * The site gate's Lambda@Edge package: `authorizer/edge.ts` bundled by the local esbuild into one
 * minified ES module (`index.mjs`, handler `index.handler`) and its configuration
 * `anteroom-edge.json` beside it (Lambda@Edge has no environment variables). The AWS SDK is left
 * out: the runtime ships it, and the gate loads it only to read a secret at cold start.
 *
 * Lambda@Edge limits a viewer-request package to 1 MB (zipped); the gate's is far below it
 * (`test/authorizer/gate/bundle.test.ts` measures it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from './entries.ts';

export const EDGE_ENTRY = join(PROJECT_ROOT, 'authorizer', 'edge.ts');
export const EDGE_CONFIG_FILE = 'anteroom-edge.json';
/** Lambda@Edge's limit for a viewer-request function's package. */
export const VIEWER_REQUEST_PACKAGE_LIMIT_BYTES = 1024 * 1024;

/** Writes `index.mjs` and `anteroom-edge.json` into `outdir`; returns the bundle's size in bytes. */
export function bundleEdgeGate(outdir: string, config: Record<string, unknown>): number {
  const result = buildSync({
    entryPoints: [EDGE_ENTRY],
    outfile: join(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    legalComments: 'none',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, EDGE_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  return Object.values(result.metafile?.outputs ?? {}).reduce((sum, output) => sum + output.bytes, 0);
}
