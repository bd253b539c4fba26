/**
 * The site gate's Lambda@Edge package: `authorizer/edge.ts` built as every function of the stack
 * is (`bundle.ts`: minified ES modules, `index.mjs` with handler `index.handler`, the AWS SDK
 * left to the runtime, which the gate loads only to read a secret at cold start) and its
 * configuration `anteroom-edge.json` beside it (Lambda@Edge has no environment variables).
 *
 * Lambda@Edge limits a viewer-request package to 1 MB (zipped); the gate's is far below it
 * (`test/authorizer/gate/bundle.test.ts` measures it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFunction } from './bundle.ts';
import { PROJECT_ROOT } from './entries.ts';

export const EDGE_ENTRY = join(PROJECT_ROOT, 'authorizer', 'edge.ts');
export const EDGE_CONFIG_FILE = 'anteroom-edge.json';
/** Lambda@Edge's limit for a viewer-request function's package. */
export const VIEWER_REQUEST_PACKAGE_LIMIT_BYTES = 1024 * 1024;

/** Writes the bundle and `anteroom-edge.json` into `outdir`; returns the size of the code in bytes. */
export function bundleEdgeGate(outdir: string, config: Record<string, unknown>): number {
  const metafile = bundleFunction({ entry: EDGE_ENTRY, outdir, sourceMaps: false });
  writeFileSync(join(outdir, EDGE_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  return Object.entries(metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
}
