/**
 * Signing keys: a key ring loaded once at start-up from its source (`sources.ts`), its keys
 * imported into `KeyObject`s once (`node:crypto`, see `jws.ts`). The stored form and key generation are `document.ts`; the
 * OIDC provider's view of the ring is `oidc-views.ts`.
 *
 * For the file source, missing keys are generated and written (mode 0600); env and Secrets
 * Manager sources are read-only inputs and must already hold both keys. The ring rotates keys
 * (a rotated key signs only KEY_PUBLISH_SECONDS after its creation) and re-reads its source
 * (`reload`), so a rotation made elsewhere reaches every process.
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { DEFAULT_KEY_ALGORITHM, KEY_RELOAD_SECONDS } from '../defaults.ts';
import { AnteroomError } from '../errors.ts';
import {
  generateKeys,
  generateStoredKey,
  hasActive,
  invalidKeys,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyStatus,
  type KeysDocument,
  OIDC_ALGORITHM,
  parseKeysDocument,
  privateFields,
  publicFields,
  requiredAlgorithms,
  type StoredKey,
} from './document.ts';
import { importJwk } from './jws.ts';
import { oidcJwksOf, oidcKeysVersionOf } from './oidc-views.ts';
import {
  type KeySource,
  type KeySourceOptions,
  type KeysSourceConfig,
  keySource,
  memorySource,
} from './sources.ts';

export type KeysConfig = KeysSourceConfig & {
  /** Algorithm of admission tokens (default ES256). */
  algorithm?: KeyAlgorithm | undefined;
};

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

export interface RingKey {
  kid: string;
  alg: KeyAlgorithm;
  key: KeyObject;
}

export interface LoadKeyRingOptions extends KeySourceOptions {
  /** Clock in epoch seconds (key `createdAt`). */
  now?: () => number;
}

interface LoadedKey {
  stored: StoredKey;
  privateKey: KeyObject;
  publicKey: KeyObject;
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
    return oidcJwksOf(
      this.entries.map((entry) => entry.stored),
      this.signer(OIDC_ALGORITHM).stored,
    );
  }

  /**
   * Changes whenever `oidcJwks()` may: the keys changed, or a rotated RS256 key started
   * signing. Cheap enough to compare on every OIDC request.
   */
  oidcKeysVersion(): string {
    return oidcKeysVersionOf(this.revision, this.signer(OIDC_ALGORITHM).stored);
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
  return document.keys.map((stored, index) => {
    const publicJwk = publicFields(stored);
    try {
      const privateKey = importJwk(privateFields(stored), stored.alg, 'private');
      const publicKey = importJwk(publicJwk, stored.alg, 'public');
      return { stored, privateKey, publicKey, publicJwk };
    } catch (error) {
      throw invalidKeys(`${description}: keys[${index}] is not a valid ${stored.alg} private key`, error);
    }
  });
}
