/**
 * The verifier checks tokens on `node:crypto` (`authorizer/jws.ts`) where it used jose's
 * `jwtVerify`. This suite decides hundreds of crafted tokens both ways and wants the same answer
 * and the same deny reason: the reference below is the verifier as it was (jose's `jwtVerify`
 * over `createLocalJWKSet`, each fitting key tried when the token names no `kid`, jose's errors
 * mapped onto deny reasons), so any drift from jose's semantics shows here.
 */
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyOptions, jwtVerify } from 'jose';
import { createVerifier } from '../../authorizer/index.ts';
import { ASYMMETRIC_ALGORITHMS } from '../../authorizer/options.ts';
import type { DenyReason } from '../../authorizer/reasons.ts';
import { b64url, EVENT_ID, ISSUER, T0 } from './support.ts';

// ---------------------------------------------------------------------------------------
// The reference: the verifier's signature and claim checks as they were on jose.

function claimReason(claim: string, why: string): DenyReason {
  if (claim === 'iss') return 'invalid_issuer';
  if (claim === 'aud') return 'invalid_audience';
  if (claim === 'nbf' && why === 'check_failed') return 'token_not_yet_valid';
  return 'invalid_claims';
}

function joseReason(error: unknown): DenyReason {
  if (error instanceof errors.JWTExpired) return 'token_expired';
  if (error instanceof errors.JWTClaimValidationFailed) return claimReason(error.claim, error.reason);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'unsupported_algorithm';
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed_token';
  return 'invalid_signature';
}

async function joseDecision(token: string, jwks: JSONWebKeySet, algorithms: string[]): Promise<string> {
  const getKey = createLocalJWKSet(jwks);
  const options: JWTVerifyOptions = {
    issuer: [ISSUER],
    audience: [EVENT_ID],
    algorithms,
    clockTolerance: 5,
    requiredClaims: ['exp', 'sub'],
    currentDate: new Date(T0),
  };
  try {
    try {
      await jwtVerify(token, getKey, options);
    } catch (error) {
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      let verified = false;
      for await (const key of error) {
        try {
          await jwtVerify(token, key, options);
          verified = true;
          break;
        } catch (inner) {
          if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
        }
      }
      if (!verified) throw new errors.JWSSignatureVerificationFailed();
    }
    return 'signature and claims ok';
  } catch (error) {
    return joseReason(error);
  }
}

/** The verifier's answer, reduced to what jose decided (the admission claims are checked after). */
async function ourDecision(token: string, jwks: JSONWebKeySet, algorithms: string[]): Promise<string> {
  const verifier = createVerifier({
    jwks,
    issuer: ISSUER,
    audience: EVENT_ID,
    algorithms,
    clockToleranceSeconds: 5,
    cacheMaxEntries: 0,
    now: () => T0,
  });
  const decision = await verifier.verify(token);
  return decision.allow ? 'signature and claims ok' : decision.reason;
}

// ---------------------------------------------------------------------------------------
// Keys and hand-made tokens (any header, any payload, any signature).

interface Signer {
  alg: string;
  jwk: Record<string, unknown>;
  privateKey: KeyObject;
}

function signerOf(alg: string, kid: string, pair: { publicKey: KeyObject; privateKey: KeyObject }): Signer {
  return { alg, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid }, privateKey: pair.privateKey };
}

const ec = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve });
const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const es256 = signerOf('ES256', 'es-a', ec('P-256'));
const es256b = signerOf('ES256', 'es-b', ec('P-256'));
const es384 = signerOf('ES384', 'es-384', ec('P-384'));
const es512 = signerOf('ES512', 'es-512', ec('P-521'));
const rs256 = signerOf('RS256', 'rs-a', rsa(2048));
const ps256 = signerOf('PS256', 'ps-a', rsa(2048));
const rsWeak = signerOf('RS256', 'rs-weak', rsa(1024));
const ed = signerOf('EdDSA', 'ed-a', generateKeyPairSync('ed25519'));
const SIGNERS = [es256, es256b, es384, es512, rs256, ps256, rsWeak, ed];

/** The published set: some keys with `alg`/`use`, some without, and a few that must never verify. */
const JWKS = {
  keys: [
    { ...es256.jwk, alg: 'ES256', use: 'sig' },
    es256b.jwk,
    { ...es384.jwk, key_ops: ['verify'] },
    { ...es512.jwk, alg: 'ES512' },
    { ...rs256.jwk, alg: 'RS256', use: 'sig' },
    { ...ps256.jwk, alg: 'PS256' },
    rsWeak.jwk,
    { ...ed.jwk, alg: 'EdDSA' },
    // Never usable: another use, another operation, a private key.
    { ...ec('P-256').publicKey.export({ format: 'jwk' }), kid: 'enc-key', use: 'enc' },
    { ...ec('P-256').publicKey.export({ format: 'jwk' }), kid: 'sign-only', key_ops: ['sign'] },
    { ...ec('P-256').privateKey.export({ format: 'jwk' }), kid: 'private' },
  ],
} as JSONWebKeySet;

function signature(signer: Signer, alg: string, input: string): string {
  const data = Buffer.from(input);
  const key = signer.privateKey;
  const hash = `sha${alg.slice(2) === 'DSA' ? '' : alg.slice(2)}`;
  try {
    if (alg.startsWith('ES'))
      return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    if (alg.startsWith('PS')) {
      return sign(hash, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(alg.slice(2)) / 8,
      }).toString('base64url');
    }
    if (alg.startsWith('RS')) return sign(hash, data, key).toString('base64url');
    return sign(null, data, key).toString('base64url');
  } catch {
    // The key cannot make this algorithm's signature: a signature of the right size that is wrong.
    return Buffer.alloc(64, 7).toString('base64url');
  }
}

const NOW = Math.floor(T0 / 1000);
const GOOD_CLAIMS = {
  iss: ISSUER,
  aud: EVENT_ID,
  sub: 'req-1',
  queue_position: 3,
  token_use: 'access',
  iat: NOW,
  nbf: NOW,
  exp: NOW + 600,
};

interface Recipe {
  signer: Signer;
  /** The `alg` the signature is made with (default: the header's, else the signer's). */
  signWith?: string;
  header: Record<string, unknown>;
  payload: unknown;
  /** Applied to the finished token. */
  tamper?: (token: string) => string;
}

function tokenOf(recipe: Recipe): string {
  const header = b64url(recipe.header);
  const payload = typeof recipe.payload === 'string' ? recipe.payload : b64url(recipe.payload);
  const alg = recipe.signWith ?? (typeof recipe.header['alg'] === 'string' ? recipe.header['alg'] : 'ES256');
  const token = `${header}.${payload}.${signature(recipe.signer, alg, `${header}.${payload}`)}`;
  return recipe.tamper ? recipe.tamper(token) : token;
}

const HEADERS: ((signer: Signer) => Record<string, unknown>)[] = [
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], typ: 'JWT' }),
  (s) => ({ alg: s.alg }),
  (s) => ({ alg: s.alg, kid: 'nobody' }),
  (s) => ({ alg: s.alg, kid: 7 }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: ['b64'], b64: true }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: ['b64'], b64: false }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: ['b64'] }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: ['b64'], b64: 'no' }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: ['exp'], exp: 1 }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: [] }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], crit: 'b64', b64: true }),
  (s) => ({ alg: s.alg, kid: s.jwk['kid'], b64: false }),
  (s) => ({ kid: s.jwk['kid'] }),
  (s) => ({ alg: '', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'none', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'HS256', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'XS999', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'RS256', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'PS256', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'ES384', kid: s.jwk['kid'] }),
  (s) => ({ alg: 'Ed25519', kid: s.jwk['kid'] }),
  () => ({ alg: 'ES256', kid: 'enc-key' }),
  () => ({ alg: 'ES256', kid: 'sign-only' }),
  () => ({ alg: 'ES256', kid: 'private' }),
];

const PAYLOADS: unknown[] = [
  GOOD_CLAIMS,
  { ...GOOD_CLAIMS, iss: 'https://elsewhere.example' },
  { ...GOOD_CLAIMS, iss: undefined },
  { ...GOOD_CLAIMS, aud: ['other', EVENT_ID] },
  { ...GOOD_CLAIMS, aud: ['other'] },
  { ...GOOD_CLAIMS, aud: undefined },
  { ...GOOD_CLAIMS, aud: 7 },
  { ...GOOD_CLAIMS, sub: undefined },
  { ...GOOD_CLAIMS, exp: undefined },
  { ...GOOD_CLAIMS, exp: NOW - 5 },
  { ...GOOD_CLAIMS, exp: NOW - 4 },
  { ...GOOD_CLAIMS, exp: String(NOW + 600) },
  { ...GOOD_CLAIMS, nbf: NOW + 5 },
  { ...GOOD_CLAIMS, nbf: NOW + 6 },
  { ...GOOD_CLAIMS, nbf: 'soon' },
  { ...GOOD_CLAIMS, iat: 'then' },
  { ...GOOD_CLAIMS, nbf: NOW + 60, exp: NOW - 60 },
  { ...GOOD_CLAIMS, iss: 'https://elsewhere.example', aud: 'other', exp: NOW - 60 },
  [GOOD_CLAIMS],
  b64url('not json'),
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url'),
  `${b64url(GOOD_CLAIMS)}A`,
];

const TAMPERS: ((token: string) => string)[] = [
  (token) => token,
  (token) => {
    const at = token.lastIndexOf('.') + 5;
    return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
  },
  (token) => `${token.slice(0, token.lastIndexOf('.') + 1)}`,
  (token) => `${token}A`,
  (token) => `${token.slice(0, token.lastIndexOf('.') + 1)}AAAA`,
];

const ALGORITHM_LISTS = [['ES256', 'RS256'], [...ASYMMETRIC_ALGORITHMS]];

function recipeOf(signer: Signer, header: number, payload: number, tamper: number): Recipe {
  return {
    signer,
    header: (HEADERS[header] as (s: Signer) => Record<string, unknown>)(signer),
    payload: PAYLOADS[payload],
    tamper: TAMPERS[tamper] as (token: string) => string,
  };
}

async function assertSameDecision(recipe: Recipe, algorithms: string[]): Promise<void> {
  const token = tokenOf(recipe);
  const expected = await joseDecision(token, JWKS, algorithms);
  const actual = await ourDecision(token, JWKS, algorithms);
  // The verifier refuses what does not even look like a compact JWS before it is parsed.
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
    assert.equal(actual, 'malformed_token', token);
    return;
  }
  assert.equal(
    actual,
    expected,
    `${JSON.stringify(recipe.header)} ${JSON.stringify(recipe.payload)} ${token}`,
  );
}

describe('the node:crypto verifier decides as jose did', () => {
  it('for every key, with its own header, each payload and each tampering', async () => {
    let admitted = 0;
    for (const algorithms of ALGORITHM_LISTS) {
      for (const signer of SIGNERS) {
        for (let payload = 0; payload < PAYLOADS.length; payload++) {
          for (let tamper = 0; tamper < TAMPERS.length; tamper++) {
            const recipe = recipeOf(signer, 0, payload, tamper);
            await assertSameDecision(recipe, algorithms);
            if ((await ourDecision(tokenOf(recipe), JWKS, algorithms)) === 'signature and claims ok')
              admitted++;
          }
        }
      }
    }
    // Not a suite of refusals only: every algorithm of the wide list admits its good tokens.
    assert.ok(admitted >= 10, `${admitted} admitted`);
  });

  it('for every key, with each header (kid, crit, b64, alg), a good payload', async () => {
    for (const algorithms of ALGORITHM_LISTS) {
      for (const signer of SIGNERS) {
        for (let header = 0; header < HEADERS.length; header++) {
          await assertSameDecision(recipeOf(signer, header, 0, 0), algorithms);
          await assertSameDecision(recipeOf(signer, header, 0, 1), algorithms);
        }
      }
    }
  });

  it('for random combinations, signed with any algorithm', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SIGNERS),
        fc.nat(HEADERS.length - 1),
        fc.nat(PAYLOADS.length - 1),
        fc.nat(TAMPERS.length - 1),
        fc.constantFrom('ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'),
        fc.constantFrom(...ALGORITHM_LISTS),
        async (signer, header, payload, tamper, signWith, algorithms) => {
          await assertSameDecision({ ...recipeOf(signer, header, payload, tamper), signWith }, algorithms);
        },
      ),
      { numRuns: 300 },
    );
  });
});
