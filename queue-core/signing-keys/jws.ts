/**
 * The ring's keys and compact JWS (RFC 7515) on `node:crypto`: import a stored JWK as a
 * `KeyObject`, sign and verify ES256 and RS256, generate a key. This is all the ring and the
 * admission tokens need of a JOSE library, and `jose` (45 KiB, and WebCrypto's `importJWK`)
 * is then no part of a Lambda cold start; the tokens are the same bytes (`header.payload.sig`,
 * ES256 signatures as raw `r || s`), and any JOSE library verifies them.
 *
 * Verification is deliberately narrow: the algorithm comes from the key the `kid` names (a
 * token's `alg` must equal it), only ES256 and RS256 exist here (never `none` or an HMAC), and a
 * header with `crit` or `b64` (extensions this code does not implement) is refused.
 */
import {
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

export type JwsAlgorithm = 'ES256' | 'RS256';

/** A JWK's members as stored or published (string members only: kty, crv, x, y, n, e, d, …). */
export type JwkMembers = Record<string, unknown>;

const generatePair = promisify(generateKeyPair);

/** The ECDSA signature encoding JWS uses: `r || s`, 32 bytes each for P-256. */
const ES256_ENCODING = { dsaEncoding: 'ieee-p1363' } as const;

/**
 * A `KeyObject` from a JWK, checked to be a key of `alg`: P-256 for ES256, RSA of at least 2048
 * bits for RS256 (what JOSE libraries require). Throws on anything else.
 */
export function importJwk(jwk: JwkMembers, alg: JwsAlgorithm, kind: 'private' | 'public'): KeyObject {
  const input = { key: jwk as JsonWebKey, format: 'jwk' as const };
  const key = kind === 'private' ? createPrivateKey(input) : createPublicKey(input);
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'ES256' && !(key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1')) {
    throw new TypeError('ES256 needs a P-256 key');
  }
  if (alg === 'RS256' && !(key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048)) {
    throw new TypeError('RS256 needs an RSA key of 2048 bits or more');
  }
  return key;
}

/** A fresh key pair of `alg` (P-256, or RSA 2048 with e = 65537), as a private JWK. */
export async function generateJwk(alg: JwsAlgorithm): Promise<JwkMembers> {
  const { privateKey } =
    alg === 'ES256'
      ? await generatePair('ec', { namedCurve: 'P-256' })
      : await generatePair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return privateKey.export({ format: 'jwk' }) as JwkMembers;
}

/** The RFC 7638 thumbprint (SHA-256, base64url) of an EC or RSA JWK: its required members, sorted. */
export function jwkThumbprint(jwk: JwkMembers): string {
  const members = jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x', 'y'];
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/** `base64url(header).base64url(payload).base64url(signature)`, the header's members in the order given. */
export function signCompact(
  header: { alg: JwsAlgorithm } & Record<string, unknown>,
  payload: object,
  key: KeyObject,
): string {
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    header.alg === 'ES256' ? { key, ...ES256_ENCODING } : key,
  );
  return `${input}.${signature.toString('base64url')}`;
}

/** The key that may verify a token: found by the header's `kid`, with its algorithm. */
export type KeyLookup = (kid: string) => { alg: JwsAlgorithm; key: KeyObject } | undefined;

/** Why a compact JWS was refused (never shown to a client; the caller answers one message). */
export class JwsRefused extends Error {
  override readonly name = 'JwsRefused';
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
  if (parts.length !== 3) throw new JwsRefused('not a compact JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodeObject(encodedHeader, 'header');
  if (header.crit !== undefined || header.b64 !== undefined) throw new JwsRefused('unsupported header');
  if (typeof header.kid !== 'string') throw new JwsRefused('no kid');
  const found = lookup(header.kid);
  if (found === undefined) throw new JwsRefused('unknown kid');
  if (header.alg !== found.alg) throw new JwsRefused('alg does not match the key');
  const signature = decodeBase64url(encodedSignature, 'signature');
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  const valid =
    found.alg === 'ES256'
      ? verify('sha256', input, { key: found.key, ...ES256_ENCODING }, signature)
      : verify('sha256', input, found.key, signature);
  if (!valid) throw new JwsRefused('signature verification failed');
  return { header, payload: decodeObject(encodedPayload, 'payload') };
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeBase64url(text: string, part: string): Buffer {
  if (!BASE64URL.test(text)) throw new JwsRefused(`${part} is not base64url`);
  return Buffer.from(text, 'base64url');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeObject(text: string, part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(decodeBase64url(text, part)));
  } catch (error) {
    if (error instanceof JwsRefused) throw error;
    throw new JwsRefused(`${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwsRefused(`${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
