/**
 * Where the Lambda code lives. The handlers are written outside infra/ (API.md section 4); the
 * stack bundles them with esbuild, so a missing file must stop synth with a message that says
 * which file and why, not esbuild's stack trace.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AnteroomError } from '../../queue-core/errors.ts';

export interface LambdaEntries {
  /** `provider/lambda.ts`: exports `publicHandler`, `adminHandler`, `scheduledHandler`. */
  provider: string;
  /** `authorizer/lambda.ts`: exports `handler`. */
  authorizer: string;
  /** `provider/lambda/origin-health-forwarder.ts`: exports `originHealthHandler` (with `originHealth` only). */
  originHealth: string;
}

/** The repository root (the folder holding package-lock.json, which NodejsFunction uses as project root). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const DEFAULT_ENTRIES: LambdaEntries = {
  provider: fileURLToPath(new URL('../../provider/lambda.ts', import.meta.url)),
  authorizer: fileURLToPath(new URL('../../authorizer/lambda.ts', import.meta.url)),
  originHealth: fileURLToPath(new URL('../../provider/lambda/origin-health-forwarder.ts', import.meta.url)),
};

/** A folder the bundled code reads at run time, relative to its own module (`import.meta.url`). */
export interface RuntimeFiles {
  /** Absolute source folder. */
  from: string;
  /** Folder beside the bundle's index.mjs. */
  to: string;
}

/**
 * What the provider bundle reads from disk: the Redis Lua scripts (queue-core/store/redis-store.ts
 * loads `./lua/*.lua`) and the page assets (provider/pages/assets.ts reads `./assets/*`). In the
 * bundle both paths resolve beside index.mjs, so they are copied there after bundling.
 */
export const PROVIDER_RUNTIME_FILES: RuntimeFiles[] = [
  { from: fileURLToPath(new URL('../../queue-core/store/lua', import.meta.url)), to: 'lua' },
  { from: fileURLToPath(new URL('../../provider/pages/assets', import.meta.url)), to: 'assets' },
];

/** Fails with code `lambda_entry_missing` naming every missing file or folder. */
export function checkEntries(entries: LambdaEntries): LambdaEntries {
  const paths = [...Object.values(entries), ...PROVIDER_RUNTIME_FILES.map((files) => files.from)];
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new AnteroomError(
      'lambda_entry_missing',
      `Lambda entry file(s) not found: ${missing.join(', ')}. ` +
        'The CDK app bundles the handlers of API.md section 4 (provider/lambda.ts, authorizer/lambda.ts); ' +
        'they must exist before synth.',
    );
  }
  return entries;
}
