/**
 * Compact JWS signatures and JWT claims, verified with `node:crypto` (one `KeyObject` per
 * published key, `crypto.verify`), the checks jose's `jwtVerify` makes, in its order:
 *
 * 1. three base64url segments; the protected header a JSON object (strict UTF-8);
 * 2. `crit`: only `b64` is understood, anything else refuses the token (RFC 7515 §4.1.11);
 * 3. `alg` present and in the allow-list, which holds asymmetric algorithms only;
 * 4. the keys whose type, curve, `kid`, `alg`, `use` and `key_ops` fit the header (none: unknown key);
 * 5. the signature, with each fitting key (RSA keys under 2048 bits never verify);
 * 6. the payload a JSON object; `b64: false` refused (a JWT's payload is always encoded);
 * 7. claims: required ones present, `iss`, `aud`, then `iat`/`nbf`/`exp` numbers, `nbf` and `exp`
 *    with the leeway.
 *
 * jose did this through WebCrypto (`crypto.subtle.importKey`/`verify`), which a Lambda cold
 * start paid for: about 2 ms to set WebCrypto up and import the key where `createPublicKey` and a
 * synchronous `crypto.verify` take a fraction of that. Every failure is a `TokenError` whose
 * `reason` is the deny reason jose's error would have mapped to.
 */
import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { DenyReason } from './reasons.ts';

export class TokenError extends Error {
  readonly reason: DenyReason;
  constructor(reason: DenyReason, message: string) {
    super(message);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

/** A decoded JOSE header: any JSON object; `alg` is checked before it is used. */
export type JwsHeader = Record<string, unknown> & { alg: string };

/** What an algorithm needs of a key, and how `crypto.verify` is called for it. */
interface Algorithm {
  kty: 'RSA' | 'EC' | 'OKP';
  /** JWK `crv` a key must have (EC, OKP). */
  crv?: string;
  /** Digest for `crypto.verify` (null: the key's own, Ed25519). */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** `KeyObject.asymmetricKeyType` the key must have. */
  keyType: 'rsa' | 'ec' | 'ed25519';
  /** OpenSSL name of the curve (EC). */
  curve?: string;
  /** RSA-PSS salt length (PS*): the digest's length, as RFC 7518 §3.5 fixes it. */
  pssSalt?: number;
}

const rsa = (hash: 'sha256' | 'sha384' | 'sha512', pssSalt?: number): Algorithm => ({
  kty: 'RSA',
  hash,
  keyType: 'rsa',
  ...(pssSalt === undefined ? {} : { pssSalt }),
});
const ec = (crv: string, curve: string, hash: 'sha256' | 'sha384' | 'sha512'): Algorithm => ({
  kty: 'EC',
  crv,
  hash,
  keyType: 'ec',
  curve,
});
const ed25519: Algorithm = { kty: 'OKP', crv: 'Ed25519', hash: null, keyType: 'ed25519' };

/** Signature algorithms a published key can verify (RFC 7518 §3, RFC 8037). No HMAC: no secrets here. */
const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map([
  ['RS256', rsa('sha256')],
  ['RS384', rsa('sha384')],
  ['RS512', rsa('sha512')],
  ['PS256', rsa('sha256', 32)],
  ['PS384', rsa('sha384', 48)],
  ['PS512', rsa('sha512', 64)],
  ['ES256', ec('P-256', 'prime256v1', 'sha256')],
  ['ES384', ec('P-384', 'secp384r1', 'sha384')],
  ['ES512', ec('P-521', 'secp521r1', 'sha512')],
  ['EdDSA', ed25519],
  ['Ed25519', ed25519],
]);

/** RSA keys shorter than this never verify (jose's rule, and NIST's). */
const MIN_RSA_BITS = 2048;

/** A plain JSON object (not an array, not null, not a class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

/** One published key: its JWK (a plain-object snapshot) and, once used, its `KeyObject`. */
export class PublishedKey {
  readonly jwk: Readonly<Record<string, unknown>>;
  /** From a configured key set the fetched one has not confirmed yet (see `./jwks.ts`). */
  readonly provisional: boolean;
  /** undefined: not imported yet; null: the JWK is not a usable public key. */
  #key: KeyObject | null | undefined;

  constructor(jwk: Record<string, unknown>, provisional = false) {
    this.jwk = Object.freeze({ ...jwk });
    this.provisional = provisional;
  }

  /** Whether jose would offer this key for a token with this `alg` and `kid`. */
  fits(alg: string, algorithm: Algorithm, kid: unknown): boolean {
    const { kty, key_ops: keyOps, ext, kid: keyId, alg: keyAlg, use, crv } = this.jwk;
    if (ext !== undefined && typeof ext !== 'boolean') return false;
    if (keyOps !== undefined) {
      if (!Array.isArray(keyOps) || !keyOps.includes('verify')) return false;
      if (keyOps.some((op, index) => typeof op !== 'string' || keyOps.indexOf(op) !== index)) return false;
    }
    if (kty !== algorithm.kty) return false;
    if (kid !== undefined && (typeof kid !== 'string' || kid !== keyId)) return false;
    if (keyAlg !== undefined && keyAlg !== alg) return false;
    if (use !== undefined && use !== 'sig') return false;
    return algorithm.crv === undefined || crv === algorithm.crv;
  }

  /** The public key, imported once; null when the JWK is not one (a private key, bad parameters). */
  imported(): KeyObject | null {
    if (this.#key === undefined) {
      try {
        // A JWK with private parts is refused, not silently reduced to its public half.
        this.#key = 'd' in this.jwk ? null : createPublicKey({ key: { ...this.jwk }, format: 'jwk' });
      } catch {
        this.#key = null;
      }
    }
    return this.#key;
  }

  /** The public key if it can verify this algorithm's signatures, else null. */
  keyFor(algorithm: Algorithm): KeyObject | null {
    const key = this.imported();
    if (key === null || key.asymmetricKeyType !== algorithm.keyType) return null;
    const details = key.asymmetricKeyDetails;
    if (algorithm.curve !== undefined && details?.namedCurve !== algorithm.curve) return null;
    if (algorithm.keyType === 'rsa' && (details?.modulusLength ?? 0) < MIN_RSA_BITS) return null;
    return key;
  }
}

/** A JSON Web Key Set as published: every member must be a JSON object (jose's `isJwkSet`). */
export function publishedKeys(jwks: unknown, provisional = false): PublishedKey[] {
  if (!isPlainObject(jwks) || !Array.isArray(jwks['keys']) || !jwks['keys'].every(isPlainObject)) {
    throw new TypeError('JSON Web Key Set malformed');
  }
  return (jwks['keys'] as Record<string, unknown>[]).map((jwk) => new PublishedKey(jwk, provisional));
}

/** The published keys that fit a token's header: none means the signer's key is unknown. */
export function keysFitting(keys: readonly PublishedKey[], header: JwsHeader): PublishedKey[] {
  const algorithm = ALGORITHMS.get(header.alg);
  if (algorithm === undefined) {
    throw new TokenError('unsupported_algorithm', 'Unsupported "alg" value for a JSON Web Key Set');
  }
  return keys.filter((key) => key.fits(header.alg, algorithm, header['kid']));
}

/** Finds the keys that may have signed a token; may refetch the key set (remote sets). */
export type KeyLookup = (header: JwsHeader) => Promise<readonly PublishedKey[]>;

export interface JwtCheck {
  /** Accepted `iss` values. */
  issuer: readonly string[];
  /** Accepted `aud` values: the token's `aud` must contain one. */
  audience: readonly string[];
  /** Accepted `alg` values (asymmetric only; the caller filtered them). */
  algorithms: ReadonlySet<string>;
  /** Claims that must be present (besides `iss` and `aud`). */
  requiredClaims: readonly string[];
  /** Leeway for `nbf` and `exp`, in seconds. */
  clockToleranceSeconds: number;
  /** The time to check against, in milliseconds since the epoch. */
  nowMs: number;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeSegment(segment: string, what: string): Buffer {
  // Forgiving base64 (jose's `atob`) refuses a length of 4n+1; Buffer would drop the last character.
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw new TokenError('malformed_token', `Failed to base64url decode the ${what}`);
  }
  return Buffer.from(segment, 'base64url');
}

function decodeObject(segment: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(decodeSegment(segment, what)));
  } catch {
    throw new TokenError('malformed_token', `The ${what} is not a JSON object`);
  }
  if (!isPlainObject(parsed)) throw new TokenError('malformed_token', `The ${what} is not a JSON object`);
  return parsed;
}

/** RFC 7515 §4.1.11 as jose applies it: only `b64` is understood. Returns whether `b64: false`. */
function checkCrit(header: Record<string, unknown>): boolean {
  const crit = header['crit'];
  if (crit === undefined) return false;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== 'string' || name.length === 0)
  ) {
    throw new TokenError('malformed_token', '"crit" must be an array of non-empty strings');
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') {
      throw new TokenError('unsupported_algorithm', `Extension Header Parameter "${name}" is not recognized`);
    }
    if (header[name] === undefined) {
      throw new TokenError('malformed_token', `Extension Header Parameter "${name}" is missing`);
    }
  }
  if (typeof header['b64'] !== 'boolean') {
    throw new TokenError('malformed_token', 'The "b64" Header Parameter must be a boolean');
  }
  return header['b64'] === false;
}

function signatureVerifies(algorithm: Algorithm, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  try {
    if (algorithm.keyType === 'ec') {
      return cryptoVerify(algorithm.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (algorithm.pssSalt !== undefined) {
      return cryptoVerify(
        algorithm.hash,
        input,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSalt },
        signature,
      );
    }
    return cryptoVerify(algorithm.hash, input, key, signature);
  } catch {
    return false;
  }
}

function claimFailure(claim: string, message: string): TokenError {
  if (claim === 'iss') return new TokenError('invalid_issuer', message);
  if (claim === 'aud') return new TokenError('invalid_audience', message);
  return new TokenError('invalid_claims', message);
}

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw claimFailure(claim, `"${claim}" claim must be a number`);
  return value;
}

/** jose's `validateClaimsSet` for the options the verifiers use. */
function checkClaims(claims: Record<string, unknown>, check: JwtCheck): void {
  const required = new Set([...check.requiredClaims, 'aud', 'iss'].reverse());
  for (const claim of required) {
    if (!Object.hasOwn(claims, claim)) throw claimFailure(claim, `missing required "${claim}" claim`);
  }
  if (!check.issuer.includes(claims['iss'] as string))
    throw claimFailure('iss', 'unexpected "iss" claim value');
  const aud = claims['aud'];
  const audienceMatches =
    typeof aud === 'string'
      ? check.audience.includes(aud)
      : Array.isArray(aud) && check.audience.some((expected) => aud.includes(expected));
  if (!audienceMatches) throw claimFailure('aud', 'unexpected "aud" claim value');
  const now = Math.floor(check.nowMs / 1000);
  const tolerance = check.clockToleranceSeconds;
  numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > now + tolerance) {
    throw new TokenError('token_not_yet_valid', '"nbf" claim timestamp check failed');
  }
  const exp = numericDate(claims, 'exp');
  if (exp !== undefined && exp <= now - tolerance) {
    throw new TokenError('token_expired', '"exp" claim timestamp check failed');
  }
}

/**
 * The claims of a compact JWS whose signature one of `lookup`'s keys verifies and whose claims
 * pass `check`. Throws a `TokenError` (or what the lookup throws: the key set being unavailable).
 */
export async function verifyJwt(token: string, lookup: KeyLookup, check: JwtCheck): Promise<JWTPayload> {
  return (await verifyJwtWithKey(token, lookup, check)).claims;
}

/** `verifyJwt`, also naming the key that verified the signature. */
export async function verifyJwtWithKey(
  token: string,
  lookup: KeyLookup,
  check: JwtCheck,
): Promise<{ claims: JWTPayload; key: PublishedKey }> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed_token', 'Invalid Compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodeObject(encodedHeader, 'protected header');
  const unencodedPayload = checkCrit(header);
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg === '') {
    throw new TokenError('malformed_token', 'JWS "alg" (Algorithm) Header Parameter missing or invalid');
  }
  if (!check.algorithms.has(alg)) {
    throw new TokenError('unsupported_algorithm', '"alg" (Algorithm) Header Parameter value not allowed');
  }
  if (!BASE64URL.test(encodedPayload))
    throw new TokenError('malformed_token', 'The payload is not base64url');
  const candidates = await lookup(header as JwsHeader);
  if (candidates.length === 0)
    throw new TokenError('unknown_key', 'no applicable key found in the JSON Web Key Set');
  // jose imported a lone fitting key while looking it up, so an unusable one failed before the signature was read.
  if (candidates.length === 1 && (candidates[0] as PublishedKey).imported() === null) {
    throw new TokenError('invalid_signature', 'the key set holds no usable public key for this token');
  }
  const algorithm = ALGORITHMS.get(alg) as Algorithm;
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1');
  const signature = decodeSegment(encodedSignature, 'signature');
  // Without `kid` several keys may fit (a rotation): any of them verifying is enough.
  const verifiedBy = candidates.find((candidate) => {
    const key = candidate.keyFor(algorithm);
    return key !== null && signatureVerifies(algorithm, key, input, signature);
  });
  if (verifiedBy === undefined) throw new TokenError('invalid_signature', 'signature verification failed');
  const claims = decodeObject(encodedPayload, 'claims set');
  if (unencodedPayload) throw new TokenError('malformed_token', 'JWTs MUST NOT use unencoded payload');
  checkClaims(claims, check);
  return { claims: claims as JWTPayload, key: verifiedBy };
}
