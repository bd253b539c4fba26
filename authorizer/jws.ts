/**
 * Compact JWS signatures and JWT claims, verified with `node:crypto` (one `KeyObject` per
 * published key, `crypto.verify`; the algorithms, segment decoding and signature calls are the
 * shared ones of `queue-core/signing-keys/jws.ts`), the checks jose's `jwtVerify` makes, in its order:
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
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import {
  ALGORITHMS,
  type Algorithm,
  audienceIncludes,
  base64urlBytes,
  isBase64url,
  isPlainObject,
  jsonObjectOf,
  jwkFits,
  signatureVerifies,
  strongEnough,
} from '../queue-core/signing-keys/jws.ts';
import type { DenyReason } from './reasons.ts';

export class TokenError extends Error {
  readonly reason: DenyReason;
  constructor(reason: DenyReason, message: string) {
    super(message);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

function malformed(message: string): never {
  throw new TokenError('malformed_token', message);
}

/** A decoded JOSE header: any JSON object; `alg` is checked before it is used. */
export type JwsHeader = Record<string, unknown> & { alg: string };

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
    const { key_ops: keyOps, ext, kid: keyId, alg: keyAlg, use } = this.jwk;
    if (ext !== undefined && typeof ext !== 'boolean') return false;
    if (keyOps !== undefined) {
      if (!Array.isArray(keyOps) || !keyOps.includes('verify')) return false;
      if (keyOps.some((op, index) => typeof op !== 'string' || keyOps.indexOf(op) !== index)) return false;
    }
    if (!jwkFits(this.jwk, algorithm)) return false;
    if (kid !== undefined && (typeof kid !== 'string' || kid !== keyId)) return false;
    if (keyAlg !== undefined && keyAlg !== alg) return false;
    return use === undefined || use === 'sig';
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

  /** The public key if it can verify signatures (an RSA key of 2048 bits or more), else null. */
  usable(): KeyObject | null {
    const key = this.imported();
    return key !== null && strongEnough(key) ? key : null;
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

/** RFC 7515 §4.1.11 as jose applies it: only `b64` is understood. Returns whether `b64: false`. */
function checkCrit(header: Record<string, unknown>): boolean {
  const crit = header['crit'];
  if (crit === undefined) return false;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== 'string' || name.length === 0)
  ) {
    malformed('"crit" must be an array of non-empty strings');
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') {
      throw new TokenError('unsupported_algorithm', `Extension Header Parameter "${name}" is not recognized`);
    }
    if (header[name] === undefined) malformed(`Extension Header Parameter "${name}" is missing`);
  }
  if (typeof header['b64'] !== 'boolean') malformed('The "b64" Header Parameter must be a boolean');
  return header['b64'] === false;
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
  if (!audienceIncludes(claims['aud'], check.audience))
    throw claimFailure('aud', 'unexpected "aud" claim value');
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
  if (parts.length !== 3) malformed('Invalid Compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = jsonObjectOf(encodedHeader) ?? malformed('The protected header is not a JSON object');
  const unencodedPayload = checkCrit(header);
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg === '')
    malformed('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  if (!check.algorithms.has(alg)) {
    throw new TokenError('unsupported_algorithm', '"alg" (Algorithm) Header Parameter value not allowed');
  }
  if (!isBase64url(encodedPayload)) malformed('The payload is not base64url');
  const candidates = await lookup(header as JwsHeader);
  if (candidates.length === 0)
    throw new TokenError('unknown_key', 'no applicable key found in the JSON Web Key Set');
  // jose imported a lone fitting key while looking it up, so an unusable one failed before the signature was read.
  if (candidates.length === 1 && (candidates[0] as PublishedKey).imported() === null) {
    throw new TokenError('invalid_signature', 'the key set holds no usable public key for this token');
  }
  const algorithm = ALGORITHMS.get(alg) as Algorithm;
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1');
  // Forgiving base64 (jose's `atob`) refuses a length of 4n+1: so does `base64urlBytes`.
  const signature = base64urlBytes(encodedSignature) ?? malformed('Failed to base64url decode the signature');
  // Without `kid` several keys may fit (a rotation): any of them verifying is enough.
  const verifiedBy = candidates.find((candidate) => {
    const key = candidate.usable();
    return key !== null && signatureVerifies(algorithm, key, input, signature);
  });
  if (verifiedBy === undefined) throw new TokenError('invalid_signature', 'signature verification failed');
  const claims = jsonObjectOf(encodedPayload) ?? malformed('The claims set is not a JSON object');
  if (unencodedPayload) malformed('JWTs MUST NOT use unencoded payload');
  checkClaims(claims, check);
  return { claims: claims as JWTPayload, key: verifiedBy };
}
