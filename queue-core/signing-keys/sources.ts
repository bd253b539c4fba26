/**
 * Where a key document is kept: a file (generated on first start, mode 0600), an environment
 * variable, a Secrets Manager secret (`secrets-manager.ts` speaks to it), or this process's
 * memory. A source reads the raw document and, unless read-only, writes a new one.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { invalidKeys, type KeysDocument } from './document.ts';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerLike,
  sdkSecretsManager,
} from './secrets-manager.ts';

export const DEFAULT_KEYS_VARIABLE = 'ANTEROOM_KEYS';

/**
 * `node:fs/promises`, loaded by the file source's first read or write: loading it costs a Lambda
 * cold start (whose keys come from Secrets Manager) about 1.5 ms of CPU for nothing.
 */
const files = () => process.getBuiltinModule('node:fs/promises');

export type KeysSourceConfig =
  | { type: 'file'; path: string }
  | { type: 'env' /** Default `ANTEROOM_KEYS`. */; variable?: string | undefined }
  | {
      type: 'secrets-manager';
      secretId: string;
      region?: string | undefined;
      /** Never write the secret (no first-start generation, no rotation): a process that must not. */
      readOnly?: boolean | undefined;
    };

/** Where a key document is kept. `write` is absent for read-only sources. */
export interface KeySource {
  readonly description: string;
  /** The raw (unvalidated) document, or null when there is none yet. */
  read(): Promise<unknown>;
  write?: (document: KeysDocument, mode: 'create' | 'replace') => Promise<'written' | 'exists'>;
}

export interface KeySourceOptions {
  /** Environment to read the `env` source from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Secrets Manager client (default: the AWS SDK's client for the configured region, loaded on first use). */
  secretsManager?: SecretsManagerLike;
  /** One-time operator notices (loose file permissions). */
  onNotice?: (message: string) => void;
}

export function keySource(config: KeysSourceConfig, options: KeySourceOptions): KeySource {
  switch (config.type) {
    case 'file':
      return fileSource(config.path, options.onNotice);
    case 'env':
      return envSource(config.variable ?? DEFAULT_KEYS_VARIABLE, options.env ?? process.env);
    case 'secrets-manager':
      return secretsManagerSource(config.secretId, config.region, options.secretsManager, config.readOnly);
    default:
      throw invalidKeys(`keys.type must be file, env or secrets-manager`);
  }
}

/** Keys held only by this process (tests, embedded use): rotation works, nothing is shared. */
export function memorySource(initial: KeysDocument): KeySource {
  let current: KeysDocument = initial;
  return {
    description: 'in-memory keys',
    read: async () => current,
    write: async (document) => {
      current = document;
      return 'written';
    },
  };
}

function fileSource(path: string, onNotice: ((message: string) => void) | undefined): KeySource {
  const description = `keys file ${path}`;
  return {
    description,
    async read() {
      const { readFile, stat } = files();
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw invalidKeys(`${description} cannot be read`, error);
      }
      if (((await stat(path)).mode & 0o077) !== 0) {
        onNotice?.(`${description} is readable by other users; chmod 600 it`);
      }
      return parseJson(text, description);
    },
    async write(document, mode) {
      return writePrivateFile(path, `${JSON.stringify(document, null, 2)}\n`, mode);
    },
  };
}

/**
 * Write via a temporary file in the same directory, then `rename` (atomic replace) or
 * `link` (atomic create that fails when another process created the file first).
 */
async function writePrivateFile(
  path: string,
  text: string,
  mode: 'create' | 'replace',
): Promise<'written' | 'exists'> {
  const { chmod, link, mkdir, open, rename, rm } = files();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temporary, 0o600); // the umask may have narrowed, never widened, but be explicit
  try {
    if (mode === 'replace') {
      await rename(temporary, path);
      return 'written';
    }
    await link(temporary, path);
    return 'written';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw invalidKeys(`keys file ${path} cannot be written`, error);
  } finally {
    await rm(temporary, { force: true });
  }
}

function envSource(variable: string, env: Record<string, string | undefined>): KeySource {
  const description = `environment variable ${variable}`;
  return {
    description,
    async read() {
      const text = env[variable];
      if (text === undefined || text.trim() === '') throw invalidKeys(`${description} is not set`);
      return parseJson(text, description);
    },
  };
}

function secretsManagerSource(
  secretId: string,
  region: string | undefined,
  injected: SecretsManagerLike | undefined,
  readOnly = false,
): KeySource {
  const description = `secret ${secretId}`;
  // The SDK is loaded only when no client is given and this source is used.
  const client = injected ?? sdkSecretsManager(region);
  const source: KeySource = {
    description,
    async read() {
      let output: { SecretString?: string | undefined };
      try {
        output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      } catch (error) {
        throw invalidKeys(`${description} cannot be read`, error);
      }
      if (output.SecretString === undefined || output.SecretString.trim() === '') {
        throw invalidKeys(
          `${description} has no value: store a key document (see queue-core/signing-keys/document.ts)`,
        );
      }
      return parseJson(output.SecretString, description);
    },
    async write(document) {
      try {
        await client.send(
          new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(document) }),
        );
      } catch (error) {
        throw invalidKeys(`${description} cannot be written`, error);
      }
      return 'written';
    },
  };
  if (readOnly) delete source.write;
  return source;
}

function parseJson(text: string, description: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Never echo the text: it holds private keys.
    throw invalidKeys(`${description} is not valid JSON`, error);
  }
}
