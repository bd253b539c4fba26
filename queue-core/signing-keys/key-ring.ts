/**
 * Signing keys: a key ring loaded once at start-up.
 *
 * Stored form (a JSON document, the same in the keys file, in `$ANTEROOM_KEYS` and in
 * the Secrets Manager secret's `SecretString`):
 *
 * ```json
 * {"keys": [
 *   {"kid": "<RFC 7638 thumbprint>", "alg": "ES256", "use": "sig", "createdAt": 1767225600,
 *    "status": "active", "kty": "EC", "crv": "P-256", "x": "…", "y": "…", "d": "…"},
 *   {"kid": "…", "alg": "RS256", "use": "sig", "createdAt": 1767225600, "status": "active",
 *    "kty": "RSA", "n": "…", "e": "AQAB", "d": "…", "p": "…", "q": "…", "dp": "…", "dq": "…", "qi": "…"}
 * ]}
 * ```
 *
 * The ring always holds an active key for the admission-token algorithm (ES256 by
 * default) and an active RS256 key (OIDC ID tokens are RS256: what ALB and edge
 * handlers accept). `retired` keys no longer sign but still verify, so tokens issued
 * before a rotation stay valid until they are removed. For the file source, missing
 * keys are generated and written (mode 0600); env and Secrets Manager sources are
 * read-only inputs and must already hold both keys — `createKeysDocument()` produces
 * such a document. Keys are imported into `CryptoKey`s once, at load.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { DEFAULT_KEY_ALGORITHM, KEY_RELOAD_SECONDS } from '../defaults.ts';
import { AnteroomError } from '../errors.ts';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerLike,
  sdkSecretsManager,
} from './secrets-manager.ts';

export type { SecretsManagerLike } from './secrets-manager.ts';

export type KeyAlgorithm = 'ES256' | 'RS256';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ES256', 'RS256'];
/** OIDC ID tokens are signed with this algorithm whatever the admission algorithm is. */
export const OIDC_ALGORITHM: KeyAlgorithm = 'RS256';
export const DEFAULT_KEYS_VARIABLE = 'ANTEROOM_KEYS';

export type KeysSourceConfig =
  | { type: 'file'; path: string }
  | { type: 'env' /** Default `ANTEROOM_KEYS`. */; variable?: string | undefined }
  | { type: 'secrets-manager'; secretId: string; region?: string | undefined };

export type KeysConfig = KeysSourceConfig & {
  /** Algorithm of admission tokens (default ES256). */
  algorithm?: KeyAlgorithm | undefined;
};

export type KeyStatus = 'active' | 'retired';

/**
 * A key added by a rotation is published at once but signs only this long after its creation:
 * by then every process has reloaded and serves it in its JWKS, so no verifier meets a token
 * whose `kid` the JWKS it fetched does not list. Until then the key it replaced signs.
 */
export const KEY_PUBLISH_SECONDS = 2 * KEY_RELOAD_SECONDS;

/** What `anteroom keys list` shows of a key: never key material. */
export interface KeySummary {
  kid: string;
  alg: KeyAlgorithm;
  status: KeyStatus;
  createdAt: number;
  /** Whether this key signs new tokens of its algorithm now. */
  signing: boolean;
}

/** One key as stored: a private JWK plus its metadata. */
export interface StoredKey extends JWK {
  kid: string;
  alg: KeyAlgorithm;
  use: 'sig';
  /** Epoch seconds. */
  createdAt: number;
  status: KeyStatus;
}

export interface KeysDocument {
  keys: StoredKey[];
}

export interface RingKey {
  kid: string;
  alg: KeyAlgorithm;
  key: CryptoKey;
}

export interface LoadKeyRingOptions {
  /** Environment to read the `env` source from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Secrets Manager client (default: a new `SecretsManagerClient` for the configured region). */
  secretsManager?: SecretsManagerLike;
  /** Clock in epoch seconds (key `createdAt`). */
  now?: () => number;
  /** One-time operator notices ("generated signing keys in …", loose file permissions). */
  onNotice?: (message: string) => void;
}

/** Where a key document is kept. `write` is absent for read-only sources. */
interface KeySource {
  readonly description: string;
  /** The raw (unvalidated) document, or null when there is none yet. */
  read(): Promise<unknown>;
  write?: (document: KeysDocument, mode: 'create' | 'replace') => Promise<'written' | 'exists'>;
}

interface LoadedKey {
  stored: StoredKey;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

// ---------------------------------------------------------------------------------
// Loading

export async function loadKeyRing(config: KeysConfig, options: LoadKeyRingOptions = {}): Promise<KeyRing> {
  const algorithm = config.algorithm ?? DEFAULT_KEY_ALGORITHM;
  if (!KEY_ALGORITHMS.includes(algorithm)) {
    throw invalidKeys(`keys.algorithm must be one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const source = keySource(config, options);
  const document = await readOrGenerate(source, algorithm, now, options.onNotice);
  return KeyRing.fromDocument(document, { algorithm, source, now });
}

/** A fresh key document (admission key + RS256 key), e.g. for a Secrets Manager secret. */
export async function createKeysDocument(
  algorithm: KeyAlgorithm = 'ES256',
  now = Math.floor(Date.now() / 1000),
): Promise<KeysDocument> {
  return { keys: await generateKeys(requiredAlgorithms(algorithm), now) };
}

async function readOrGenerate(
  source: KeySource,
  algorithm: KeyAlgorithm,
  now: () => number,
  onNotice: ((message: string) => void) | undefined,
): Promise<KeysDocument> {
  // Two processes starting at once on an empty file: one creates it, the other reads it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await source.read();
    const document = found === null ? { keys: [] } : parseKeysDocument(found, source.description);
    const missing = requiredAlgorithms(algorithm).filter((alg) => !hasActive(document, alg));
    if (missing.length === 0) return document;
    if (source.write === undefined) {
      throw invalidKeys(`${source.description} has no active ${missing.join(' or ')} key`);
    }
    const generated = await generateKeys(missing, now());
    const next = { keys: [...document.keys, ...generated] };
    const outcome = await source.write(next, found === null ? 'create' : 'replace');
    if (outcome === 'written') {
      onNotice?.(`generated ${missing.join(' and ')} signing key(s) in ${source.description}`);
      return next;
    }
  }
  throw invalidKeys(`${source.description} could not be created`);
}

function requiredAlgorithms(algorithm: KeyAlgorithm): KeyAlgorithm[] {
  return algorithm === OIDC_ALGORITHM ? [algorithm] : [algorithm, OIDC_ALGORITHM];
}

function hasActive(document: KeysDocument, alg: KeyAlgorithm): boolean {
  return document.keys.some((key) => key.alg === alg && key.status === 'active');
}

async function generateKeys(algs: KeyAlgorithm[], now: number): Promise<StoredKey[]> {
  return Promise.all(algs.map((alg) => generateStoredKey(alg, now)));
}

async function generateStoredKey(alg: KeyAlgorithm, now: number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...privateFields(jwk), kid, alg, use: 'sig', createdAt: now, status: 'active' };
}

// ---------------------------------------------------------------------------------
// The ring

export class KeyRing {
  /** Algorithm of admission tokens. */
  readonly algorithm: KeyAlgorithm;
  private readonly source: KeySource;
  private readonly now: () => number;
  private entries: LoadedKey[];
  /** Bumped whenever the keys change (a reload that found changes, a rotation, a removal). */
  private revision = 0;

  private constructor(
    entries: LoadedKey[],
    settings: { algorithm: KeyAlgorithm; source: KeySource; now: () => number },
  ) {
    this.entries = entries;
    this.algorithm = settings.algorithm;
    this.source = settings.source;
    this.now = settings.now;
  }

  /** Build a ring from a parsed document (keys are imported here, once). */
  static async fromDocument(
    document: KeysDocument,
    settings: { algorithm: KeyAlgorithm; source?: KeySource; now?: () => number },
  ): Promise<KeyRing> {
    const parsed = parseKeysDocument(document, 'key document');
    for (const alg of requiredAlgorithms(settings.algorithm)) {
      if (!hasActive(parsed, alg)) throw invalidKeys(`key document has no active ${alg} key`);
    }
    return new KeyRing(await importAll(parsed, 'key document'), {
      algorithm: settings.algorithm,
      source: settings.source ?? memorySource(parsed),
      now: settings.now ?? (() => Math.floor(Date.now() / 1000)),
    });
  }

  /** The key that signs for `alg` now (default: the admission algorithm); see KEY_PUBLISH_SECONDS. */
  signingKey(alg: KeyAlgorithm = this.algorithm): RingKey {
    const entry = this.signer(alg);
    return { kid: entry.stored.kid, alg, key: entry.privateKey };
  }

  /** Every key with its status and whether it signs now, newest first (the last added first among equals). */
  summary(): KeySummary[] {
    const signing = new Set(this.signers());
    return [...this.entries]
      .reverse()
      .sort((a, b) => b.stored.createdAt - a.stored.createdAt)
      .map((entry) => ({
        kid: entry.stored.kid,
        alg: entry.stored.alg,
        status: entry.stored.status,
        createdAt: entry.stored.createdAt,
        signing: signing.has(entry),
      }));
  }

  /** Every key that still verifies (active and retired), public halves. */
  verifyKeys(): RingKey[] {
    return this.entries.map((entry) => ({
      kid: entry.stored.kid,
      alg: entry.stored.alg,
      key: entry.publicKey,
    }));
  }

  /** The verification key with this `kid`, if the ring still holds it. */
  verifyKey(kid: string): RingKey | undefined {
    const entry = this.entries.find((candidate) => candidate.stored.kid === kid);
    return entry && { kid, alg: entry.stored.alg, key: entry.publicKey };
  }

  /** Algorithms a verifier should accept (never `none` or HS*). */
  algorithms(): KeyAlgorithm[] {
    return KEY_ALGORITHMS.filter((alg) => this.entries.some((entry) => entry.stored.alg === alg));
  }

  /** Public JWKS of every key that still verifies: public members only. */
  jwks(): { keys: JWK[] } {
    return { keys: this.entries.map((entry) => ({ ...entry.publicJwk })) };
  }

  /** The current admission signing key as one bare public JWK (AWS-compatible `/public_key`). */
  publicJwk(): JWK {
    return { ...this.signer(this.algorithm).publicJwk };
  }

  /**
   * Private JWKs for oidc-provider's `jwks` option. oidc-provider signs with the first
   * key of an algorithm, so the RS256 key that signs now comes first, then the other RS256
   * keys (still published for verification), then the rest. The list changes when the keys
   * are reloaded and when a rotated key starts signing: the OIDC middleware rebuilds its
   * provider then (on the next OIDC request, `oidcKeysVersion`).
   */
  oidcJwks(): JWK[] {
    const signer = this.signer(OIDC_ALGORITHM);
    const rank = (entry: LoadedKey): number =>
      entry === signer
        ? 0
        : (entry.stored.alg === OIDC_ALGORITHM ? 1 : 3) + (entry.stored.status === 'active' ? 0 : 1);
    return [...this.entries]
      .sort((a, b) => rank(a) - rank(b) || b.stored.createdAt - a.stored.createdAt)
      .map((entry) => ({
        ...privateFields(entry.stored),
        kid: entry.stored.kid,
        alg: entry.stored.alg,
        use: 'sig',
      }));
  }

  /**
   * Changes whenever `oidcJwks()` may: the keys changed, or a rotated RS256 key started
   * signing. Cheap enough to compare on every OIDC request.
   */
  oidcKeysVersion(): string {
    return `${this.revision}:${this.signer(OIDC_ALGORITHM).stored.kid}`;
  }

  /** The stored form (private!) — for persistence only. */
  toDocument(): KeysDocument {
    return { keys: this.entries.map((entry) => ({ ...entry.stored })) };
  }

  /**
   * New active key for `alg` — the admission algorithm (default) or OIDC_ALGORITHM (ID tokens);
   * the previous active ones of that algorithm are retired (they keep verifying until
   * `removeRetired`). Persisted before it takes effect. Returns the new key's kid.
   */
  async rotate(alg: KeyAlgorithm = this.algorithm): Promise<string> {
    if (!requiredAlgorithms(this.algorithm).includes(alg)) {
      throw invalidKeys(`the ring signs ${requiredAlgorithms(this.algorithm).join(' and ')}, not ${alg}`);
    }
    const fresh = await generateStoredKey(alg, this.now());
    const keys = this.toDocument().keys.map((key) =>
      key.alg === alg && key.status === 'active' ? { ...key, status: 'retired' as const } : key,
    );
    await this.replace({ keys: [...keys, fresh] });
    return fresh.kid;
  }

  /**
   * Drop a retired key: tokens it signed stop verifying. False when no retired key has this
   * kid, or when it still signs (a rotation less than KEY_PUBLISH_SECONDS ago).
   */
  async removeRetired(kid: string): Promise<boolean> {
    const keys = this.toDocument().keys;
    const signing = new Set(this.signers().map((entry) => entry.stored.kid));
    const remaining = keys.filter(
      (key) => !(key.kid === kid && key.status === 'retired' && !signing.has(kid)),
    );
    if (remaining.length === keys.length) return false;
    await this.replace({ keys: remaining });
    return true;
  }

  /** Re-read the source (another process rotated the keys). True when the keys changed. */
  async reload(): Promise<boolean> {
    const found = await this.source.read();
    if (found === null) throw invalidKeys(`${this.source.description} no longer exists`);
    const document = parseKeysDocument(found, this.source.description);
    for (const alg of requiredAlgorithms(this.algorithm)) {
      if (!hasActive(document, alg)) throw invalidKeys(`${this.source.description} has no active ${alg} key`);
    }
    const fingerprint = (keys: StoredKey[]) => keys.map((key) => `${key.kid}:${key.status}`).join(',');
    if (fingerprint(document.keys) === fingerprint(this.entries.map((entry) => entry.stored))) return false;
    this.entries = await importAll(document, this.source.description);
    this.revision += 1;
    return true;
  }

  private async replace(document: KeysDocument): Promise<void> {
    if (this.source.write === undefined) {
      throw new AnteroomError(
        'keys_read_only',
        `${this.source.description} is read-only: rotate keys at the source`,
      );
    }
    const entries = await importAll(document, 'key document');
    await this.source.write(document, 'replace');
    this.entries = entries;
    this.revision += 1;
  }

  /** The key that signs now, for each algorithm the ring holds. */
  private signers(): LoadedKey[] {
    return KEY_ALGORITHMS.filter((alg) => this.entries.some((entry) => entry.stored.alg === alg)).map((alg) =>
      this.signer(alg),
    );
  }

  /**
   * The newest active key, unless a rotation added it less than KEY_PUBLISH_SECONDS ago: then
   * the newest older key of that algorithm (the one it replaced) while the ring still holds it.
   */
  private signer(alg: KeyAlgorithm): LoadedKey {
    const active = this.newestActive(alg);
    if (this.now() - active.stored.createdAt >= KEY_PUBLISH_SECONDS) return active;
    let previous: LoadedKey | undefined;
    for (const entry of this.entries) {
      if (entry === active || entry.stored.alg !== alg || entry.stored.createdAt > active.stored.createdAt)
        continue;
      // Document order breaks ties: a rotation appends its key.
      if (previous === undefined || entry.stored.createdAt >= previous.stored.createdAt) previous = entry;
    }
    return previous ?? active;
  }

  private newestActive(alg: KeyAlgorithm): LoadedKey {
    let newest: LoadedKey | undefined;
    for (const entry of this.entries) {
      if (entry.stored.alg !== alg || entry.stored.status !== 'active') continue;
      if (newest === undefined || entry.stored.createdAt >= newest.stored.createdAt) newest = entry;
    }
    if (newest === undefined) throw invalidKeys(`no active ${alg} signing key`);
    return newest;
  }
}

async function importAll(document: KeysDocument, description: string): Promise<LoadedKey[]> {
  return Promise.all(
    document.keys.map(async (stored, index) => {
      const publicJwk = publicFields(stored);
      try {
        const privateKey = (await importJWK(privateFields(stored), stored.alg)) as CryptoKey;
        const publicKey = (await importJWK(publicJwk, stored.alg)) as CryptoKey;
        return { stored, privateKey, publicKey, publicJwk };
      } catch (error) {
        throw invalidKeys(`${description}: keys[${index}] is not a valid ${stored.alg} private key`, error);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------
// JWK members: explicit allow-lists, so a private member can never leak into a public JWK.

const PUBLIC_MEMBERS: Record<KeyAlgorithm, readonly string[]> = {
  ES256: ['kty', 'crv', 'x', 'y'],
  RS256: ['kty', 'n', 'e'],
};
const PRIVATE_MEMBERS: Record<KeyAlgorithm, readonly string[]> = {
  ES256: ['d'],
  RS256: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
};

function publicFields(stored: StoredKey): JWK {
  const jwk: JWK = pick(stored, PUBLIC_MEMBERS[stored.alg]);
  return { ...jwk, alg: stored.alg, kid: stored.kid, use: 'sig' };
}

function privateFields(jwk: JWK): JWK {
  const alg: KeyAlgorithm = jwk.kty === 'RSA' ? 'RS256' : 'ES256';
  return pick(jwk, [...PUBLIC_MEMBERS[alg], ...PRIVATE_MEMBERS[alg]]);
}

function pick(jwk: JWK, members: readonly string[]): JWK {
  const source = jwk as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const member of members) if (source[member] !== undefined) result[member] = source[member];
  return result as JWK;
}

// ---------------------------------------------------------------------------------
// Validation of a stored document

const KEY_TYPE: Record<KeyAlgorithm, string> = { ES256: 'EC', RS256: 'RSA' };
const STORED_FIELDS = new Set(['kid', 'alg', 'use', 'createdAt', 'status']);

function parseKeysDocument(raw: unknown, description: string): KeysDocument {
  const fail = (field: string, problem: string): AnteroomError =>
    invalidKeys(`${description}: ${field} ${problem}`);
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { keys?: unknown }).keys)) {
    throw fail('keys', 'must be an array (expected {"keys": [...]})');
  }
  const kids = new Set<string>();
  const keys = (raw as { keys: unknown[] }).keys.map((item, index): StoredKey => {
    const at = `keys[${index}]`;
    if (typeof item !== 'object' || item === null) throw fail(at, 'must be an object');
    const key = item as Record<string, unknown>;
    const alg = key['alg'];
    if (alg !== 'ES256' && alg !== 'RS256') throw fail(`${at}.alg`, 'must be ES256 or RS256');
    if (typeof key['kid'] !== 'string' || key['kid'] === '')
      throw fail(`${at}.kid`, 'must be a non-empty string');
    if (kids.has(key['kid'])) throw fail(`${at}.kid`, `"${key['kid']}" is listed twice`);
    kids.add(key['kid']);
    if (key['use'] !== undefined && key['use'] !== 'sig') throw fail(`${at}.use`, 'must be "sig"');
    if (!Number.isInteger(key['createdAt']))
      throw fail(`${at}.createdAt`, 'must be an integer (epoch seconds)');
    if (key['status'] !== 'active' && key['status'] !== 'retired') {
      throw fail(`${at}.status`, 'must be "active" or "retired"');
    }
    if (key['kty'] !== KEY_TYPE[alg]) throw fail(`${at}.kty`, `must be ${KEY_TYPE[alg]} for ${alg}`);
    for (const member of [...PUBLIC_MEMBERS[alg], ...PRIVATE_MEMBERS[alg]]) {
      if (typeof key[member] !== 'string')
        throw fail(`${at}.${member}`, 'is missing (a private JWK is required)');
    }
    const extra = Object.keys(key).filter((name) => !STORED_FIELDS.has(name));
    return {
      ...pick(key as JWK, extra),
      kid: key['kid'],
      alg,
      use: 'sig',
      createdAt: key['createdAt'] as number,
      status: key['status'],
    } as StoredKey;
  });
  return { keys };
}

function invalidKeys(message: string, cause?: unknown): AnteroomError {
  return new AnteroomError('invalid_keys', message, { cause });
}

// ---------------------------------------------------------------------------------
// Sources

function keySource(config: KeysSourceConfig, options: LoadKeyRingOptions): KeySource {
  switch (config.type) {
    case 'file':
      return fileSource(config.path, options.onNotice);
    case 'env':
      return envSource(config.variable ?? DEFAULT_KEYS_VARIABLE, options.env ?? process.env);
    case 'secrets-manager':
      return secretsManagerSource(config.secretId, config.region, options.secretsManager);
    default:
      throw invalidKeys(`keys.type must be file, env or secrets-manager`);
  }
}

/** Keys held only by this process (tests, embedded use): rotation works, nothing is shared. */
function memorySource(initial: KeysDocument): KeySource {
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
): KeySource {
  const description = `secret ${secretId}`;
  // The SDK is loaded only when no client is given and this source is used.
  const client = injected ?? sdkSecretsManager(region);
  return {
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
          `${description} has no value: store a key document (see queue-core/signing-keys/key-ring.ts)`,
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
}

function parseJson(text: string, description: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Never echo the text: it holds private keys.
    throw invalidKeys(`${description} is not valid JSON`, error);
  }
}
