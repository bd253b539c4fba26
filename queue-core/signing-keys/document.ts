/**
 * The signing keys' stored form, and what can be done with it without a source or a ring:
 * validate it, generate keys, tell the public members of a key from the private ones.
 *
 * A JSON document, the same in the keys file, in `$ANTEROOM_KEYS` and in the Secrets Manager
 * secret's `SecretString`:
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
 * A document always holds an active key for the admission-token algorithm (ES256 by default)
 * and an active RS256 key (OIDC ID tokens are RS256: what ALB and edge handlers accept).
 * `retired` keys no longer sign but still verify. `createKeysDocument()` produces a fresh one.
 */
import type { JWK } from 'jose';
import { DEFAULT_KEY_ALGORITHM } from '../defaults.ts';
import { AnteroomError } from '../errors.ts';
import { generateJwk, jwkThumbprint } from './jws.ts';

export type KeyAlgorithm = 'ES256' | 'RS256';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ES256', 'RS256'];
/** OIDC ID tokens are signed with this algorithm whatever the admission algorithm is. */
export const OIDC_ALGORITHM: KeyAlgorithm = 'RS256';

export type KeyStatus = 'active' | 'retired';

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

/** A fresh key document (admission key + RS256 key), e.g. for a Secrets Manager secret. */
export async function createKeysDocument(
  algorithm: KeyAlgorithm = DEFAULT_KEY_ALGORITHM,
  now = Math.floor(Date.now() / 1000),
): Promise<KeysDocument> {
  return { keys: await generateKeys(requiredAlgorithms(algorithm), now) };
}

/** The algorithms a ring of admission algorithm `algorithm` must hold an active key for. */
export function requiredAlgorithms(algorithm: KeyAlgorithm): KeyAlgorithm[] {
  return algorithm === OIDC_ALGORITHM ? [algorithm] : [algorithm, OIDC_ALGORITHM];
}

export function hasActive(document: KeysDocument, alg: KeyAlgorithm): boolean {
  return document.keys.some((key) => key.alg === alg && key.status === 'active');
}

export async function generateKeys(algs: KeyAlgorithm[], now: number): Promise<StoredKey[]> {
  return Promise.all(algs.map((alg) => generateStoredKey(alg, now)));
}

export async function generateStoredKey(alg: KeyAlgorithm, now: number): Promise<StoredKey> {
  const jwk = (await generateJwk(alg)) as JWK;
  const kid = jwkThumbprint(jwk);
  return { ...privateFields(jwk), kid, alg, use: 'sig', createdAt: now, status: 'active' };
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

export function publicFields(stored: StoredKey): JWK {
  const jwk: JWK = pick(stored, PUBLIC_MEMBERS[stored.alg]);
  return { ...jwk, alg: stored.alg, kid: stored.kid, use: 'sig' };
}

export function privateFields(jwk: JWK): JWK {
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

export function parseKeysDocument(raw: unknown, description: string): KeysDocument {
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

export function invalidKeys(message: string, cause?: unknown): AnteroomError {
  return new AnteroomError('invalid_keys', message, { cause });
}
