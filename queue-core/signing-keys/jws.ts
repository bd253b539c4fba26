/**
 * Compact JWS (RFC 7515) on `node:crypto`: the one home of its primitives. The algorithms and
 * what each needs of a key, strict base64url and JSON segments, `crypto.sign`/`crypto.verify`
 * with the right ECDSA encoding or RSA-PSS padding. The key ring and the admission tokens use
 * them below (import a stored JWK, generate a key, sign and verify the provider's own ES256 and
 * RS256 tokens); the authorizer (`authorizer/jws.ts`) lays jose's `jwtVerify` checks on top.
 * `jose` (45 KiB, and WebCrypto's `importJWK`) is then no part of a Lambda cold start; the
 * tokens are the same bytes (ES256 signatures as raw `r || s`), and any JOSE library verifies them.
 *
 * `verifyCompact` is deliberately narrow: the algorithm comes from the key the `kid` names (a
 * token's `alg` must equal it), and a header with `crit` or `b64` (extensions this code does not
 * implement) is refused.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyAlgorithm } from './document.ts';

/** What an algorithm needs of a key (JWK `kty`, `crv`) and how `node:crypto` signs with it. */
export interface Algorithm {
  kty: 'RSA' | 'EC' | 'OKP';
  crv?: string;
  /** The digest (null: the key's own, Ed25519). */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSA-PSS salt length (PS*): the digest's length, as RFC 7518 §3.5 fixes it. */
  pssSalt?: number;
}

/** Signature algorithms of a key pair (RFC 7518 §3, RFC 8037). No HMAC, never `none`. */
export const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>([
  ['RS256', { kty: 'RSA', hash: 'sha256' }],
  ['RS384', { kty: 'RSA', hash: 'sha384' }],
  ['RS512', { kty: 'RSA', hash: 'sha512' }],
  ['PS256', { kty: 'RSA', hash: 'sha256', pssSalt: 32 }],
  ['PS384', { kty: 'RSA', hash: 'sha384', pssSalt: 48 }],
  ['PS512', { kty: 'RSA', hash: 'sha512', pssSalt: 64 }],
  ['ES256', { kty: 'EC', crv: 'P-256', hash: 'sha256' }],
  ['ES384', { kty: 'EC', crv: 'P-384', hash: 'sha384' }],
  ['ES512', { kty: 'EC', crv: 'P-521', hash: 'sha512' }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519', hash: null }],
  ['Ed25519', { kty: 'OKP', crv: 'Ed25519', hash: null }],
]);

/** A JWK's members as stored or published (kty, crv, x, y, n, e, d, kid, …). */
export type JwkMembers = Record<string, unknown>;

/** Whether a JWK is of the type and curve `algorithm` signs with (importing it yields that key). */
export function jwkFits(jwk: JwkMembers, algorithm: Algorithm): boolean {
  return jwk['kty'] === algorithm.kty && (algorithm.crv === undefined || jwk['crv'] === algorithm.crv);
}

/** False for an RSA key under 2048 bits: it never signs nor verifies (jose's rule, and NIST's). */
export function strongEnough(key: KeyObject): boolean {
  return key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
}

/** The key as `crypto.sign`/`crypto.verify` take it for `algorithm`. */
function keyInput(algorithm: Algorithm, key: KeyObject) {
  if (algorithm.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' as const };
  if (algorithm.pssSalt === undefined) return key;
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSalt };
}

/** Whether `signature` is `key`'s signature of `input` under `algorithm` (a key that cannot: false). */
export function signatureVerifies(
  algorithm: Algorithm,
  key: KeyObject,
  input: Buffer,
  signature: Buffer,
): boolean {
  try {
    return verify(algorithm.hash, input, keyInput(algorithm, key), signature);
  } catch {
    return false;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Whether a segment has only base64url characters (no padding). */
export function isBase64url(segment: string): boolean {
  return BASE64URL.test(segment);
}

/** A base64url segment's bytes, or undefined (a length of 4n+1, which Buffer would cut short, too). */
export function base64urlBytes(segment: string): Buffer | undefined {
  return BASE64URL.test(segment) && segment.length % 4 !== 1 ? Buffer.from(segment, 'base64url') : undefined;
}

/** A plain JSON object (not an array, not null, not a class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON object a segment encodes (strict base64url, strict UTF-8), or undefined. */
export function jsonObjectOf(segment: string): Record<string, unknown> | undefined {
  const bytes = base64urlBytes(segment);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a JWT's `aud` (a string or a list of them, RFC 7519 §4.1.3) names one of `expected`. */
export function audienceIncludes(aud: unknown, expected: readonly string[]): boolean {
  return typeof aud === 'string'
    ? expected.includes(aud)
    : Array.isArray(aud) && expected.some((one) => aud.includes(one));
}

// ---------------------------------------------------------------------------------------
// The ring's keys and the provider's own tokens: ES256 and RS256.

/** A `KeyObject` from a JWK of `alg`: P-256 for ES256, RSA of 2048 bits or more for RS256. Throws on anything else. */
export function importJwk(jwk: JwkMembers, alg: KeyAlgorithm, kind: 'private' | 'public'): KeyObject {
  if (!jwkFits(jwk, ALGORITHMS.get(alg) as Algorithm)) throw new TypeError(`not an ${alg} key`);
  const input = { key: jwk as JsonWebKey, format: 'jwk' as const };
  const key = kind === 'private' ? createPrivateKey(input) : createPublicKey(input);
  if (!strongEnough(key)) throw new TypeError('RS256 needs an RSA key of 2048 bits or more');
  return key;
}

/** A fresh key pair of `alg` (P-256, or RSA 2048 with e = 65537), as a private JWK. */
export async function generateJwk(alg: KeyAlgorithm): Promise<JwkMembers> {
  const generate = promisify(generateKeyPair);
  const { privateKey } =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return privateKey.export({ format: 'jwk' }) as JwkMembers;
}

/** The RFC 7638 thumbprint (SHA-256, base64url) of an EC or RSA JWK: its required members, sorted. */
export function jwkThumbprint(jwk: JwkMembers): string {
  const members = jwk['kty'] === 'RSA' ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x', 'y'];
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `base64url(header).base64url(payload).base64url(signature)`, the header's members in the order given. */
export function signCompact(
  header: { alg: KeyAlgorithm } & Record<string, unknown>,
  payload: object,
  key: KeyObject,
): string {
  const input = `${encode(header)}.${encode(payload)}`;
  const algorithm = ALGORITHMS.get(header.alg) as Algorithm;
  return `${input}.${sign(algorithm.hash, Buffer.from(input), keyInput(algorithm, key)).toString('base64url')}`;
}

/** The key that may verify a token: found by the header's `kid`, with its algorithm. */
export type KeyLookup = (kid: string) => { alg: KeyAlgorithm; key: KeyObject } | undefined;

/** Why a compact JWS was refused (never shown to a client; the caller answers one message). */
export class JwsRefused extends Error {
  override readonly name = 'JwsRefused';
}

function refuse(message: string): never {
  throw new JwsRefused(message);
}

/**
 * The header and payload of a compact JWS whose signature a key of `lookup` verifies. Both
 * must be JSON objects; the header's `alg` must be the key's own; anything else throws
 * `JwsRefused`.
 */
export function verifyCompact(
  token: string,
  lookup: KeyLookup,
): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = token.split('.');
  if (parts.length !== 3) refuse('not a compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = jsonObjectOf(encodedHeader) ?? refuse('the header is not a JSON object');
  if (header['crit'] !== undefined || header['b64'] !== undefined) refuse('unsupported header');
  if (typeof header['kid'] !== 'string') refuse('no kid');
  const found = lookup(header['kid']) ?? refuse('unknown kid');
  if (header['alg'] !== found.alg) refuse('alg does not match the key');
  const payload = jsonObjectOf(encodedPayload) ?? refuse('the payload is not a JSON object');
  const signature = base64urlBytes(encodedSignature) ?? refuse('the signature is not base64url');
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  if (!signatureVerifies(ALGORITHMS.get(found.alg) as Algorithm, found.key, input, signature)) {
    refuse('signature verification failed');
  }
  return { header, payload };
}
