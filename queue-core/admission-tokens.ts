/**
 * Admission tokens: three JWTs (access, id, refresh) signed from a stored session.
 *
 * Claims (API.md): `iss`, `aud` (event id), `sub` (request id), `queue_position`,
 * `token_use`, `iat`, `nbf`, `exp`, `jti`. They come from the `SessionRecord` the
 * store kept at first issuance, so a re-issue re-signs the same claims and never
 * extends `exp`; only `jti` differs, unique per token. Header: `alg`, `kid`, `typ: JWT`.
 * Signed and verified on `node:crypto` (`signing-keys/jws.ts`): any JOSE library verifies them
 * against the JWKS; the checks below are jose's `jwtVerify` ones for these options.
 */
import { randomUUID } from 'node:crypto';
import { AnteroomError } from './errors.ts';
import { audienceIncludes, signCompact, verifyCompact } from './signing-keys/jws.ts';
import type { KeyRing } from './signing-keys/key-ring.ts';
import type { SessionRecord } from './types.ts';

export type TokenUse = 'access' | 'id' | 'refresh';

export interface AdmissionClaims {
  iss: string;
  aud: string;
  sub: string;
  queue_position: number;
  token_use: TokenUse;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
}

/** The `generate_token` answer (AWS-compatible keys). */
export interface AdmissionTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  token_type: 'Bearer';
  /** Seconds until `exp`, never negative (an expired set is returned with 0). */
  expires_in: number;
}

export interface VerifyAdmissionOptions {
  /** Expected event id(s). */
  audience?: string | string[] | undefined;
  issuer?: string | undefined;
  tokenUse?: TokenUse | undefined;
  /** Clock for `exp`/`nbf` checks, epoch seconds (default: now). */
  now?: number | undefined;
  /** Seconds of clock skew tolerated. */
  clockToleranceSeconds?: number | undefined;
}

/** The claims of one token of a session (no signing). */
export function admissionClaims(session: SessionRecord, tokenUse: TokenUse): AdmissionClaims {
  return {
    iss: session.issuer,
    aud: session.eventId,
    sub: session.requestId,
    queue_position: session.position,
    token_use: tokenUse,
    iat: session.issuedAt,
    nbf: session.issuedAt,
    exp: session.expiresAt,
    jti: randomUUID(),
  };
}

/** Sign the three tokens of a session with the ring's current admission key. */
export async function issueAdmissionTokens(
  ring: KeyRing,
  session: SessionRecord,
  now: number,
): Promise<AdmissionTokens> {
  const [access, id, refresh] = await Promise.all(
    (['access', 'id', 'refresh'] as const).map((use) => signClaims(ring, admissionClaims(session, use))),
  );
  return {
    access_token: access!,
    refresh_token: refresh!,
    id_token: id!,
    token_type: 'Bearer',
    expires_in: Math.max(0, session.expiresAt - now),
  };
}

/** Sign one claim set with the ring's current admission key (imported once, reused). */
export async function signClaims(ring: KeyRing, claims: AdmissionClaims): Promise<string> {
  const { kid, alg, key } = ring.signingKey();
  return signCompact({ alg, kid, typ: 'JWT' }, claims, key);
}

/**
 * Verify an admission token against the ring: signature by a key the ring still holds
 * (matched by `kid`, algorithms limited to the ring's — never `none` or HS*), time
 * claims, and the expected audience, issuer and `token_use`. Throws `invalid_token` (401).
 */
export async function verifyAdmissionToken(
  ring: KeyRing,
  token: string,
  options: VerifyAdmissionOptions = {},
): Promise<AdmissionClaims> {
  let payload: Record<string, unknown>;
  try {
    const verified = verifyCompact(token, (kid) => ring.verifyKey(kid));
    payload = verified.payload;
    checkClaims(verified.header, payload, options);
  } catch (error) {
    throw invalidToken('The token is not valid.', error);
  }
  const claims = payload as Partial<AdmissionClaims>;
  if (typeof claims.queue_position !== 'number' || !isTokenUse(claims.token_use)) {
    throw invalidToken('The token is not an admission token.');
  }
  if (options.tokenUse !== undefined && claims.token_use !== options.tokenUse) {
    throw invalidToken(`The token's token_use must be ${options.tokenUse}.`);
  }
  return claims as AdmissionClaims;
}

const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'iat', 'nbf', 'exp', 'jti'] as const;

/** `typ: JWT`, every claim of API.md present, issuer, audience and the time claims. Throws on the first miss. */
function checkClaims(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  options: VerifyAdmissionOptions,
): void {
  if (typeof header.typ !== 'string' || !/^(application\/)?jwt$/i.test(header.typ))
    throw new Error('typ is not JWT');
  for (const claim of REQUIRED_CLAIMS) {
    if (!Object.hasOwn(payload, claim)) throw new Error(`missing ${claim}`);
  }
  if (options.issuer !== undefined && payload.iss !== options.issuer) throw new Error('unexpected iss');
  if (options.audience !== undefined && !audienceIncludes(payload.aud, [options.audience].flat())) {
    throw new Error('unexpected aud');
  }
  const { iat, nbf, exp } = payload;
  if (typeof iat !== 'number' || typeof nbf !== 'number' || typeof exp !== 'number') {
    throw new Error('iat, nbf and exp must be numbers');
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (nbf > now + tolerance) throw new Error('not yet valid');
  if (exp <= now - tolerance) throw new Error('expired');
}

function isTokenUse(value: unknown): value is TokenUse {
  return value === 'access' || value === 'id' || value === 'refresh';
}

function invalidToken(message: string, cause?: unknown): AnteroomError {
  return new AnteroomError('invalid_token', message, { cause });
}
