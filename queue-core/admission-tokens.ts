/**
 * Admission tokens: three JWTs (access, id, refresh) signed from a stored session.
 *
 * Claims (API.md): `iss`, `aud` (event id), `sub` (request id), `queue_position`,
 * `token_use`, `iat`, `nbf`, `exp`, `jti`. They come from the `SessionRecord` the
 * store kept at first issuance, so a re-issue re-signs the same claims and never
 * extends `exp`; only `jti` differs, unique per token. Header: `alg`, `kid`, `typ: JWT`.
 */
import { randomUUID } from 'node:crypto';
import { type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AnteroomError } from './errors.ts';
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
  return new SignJWT({ ...claims }).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
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
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const found = header.kid === undefined ? undefined : ring.verifyKey(header.kid);
        if (found === undefined || found.alg !== header.alg) throw new Error('no matching key');
        return found.key;
      },
      {
        algorithms: ring.algorithms(),
        typ: 'JWT',
        requiredClaims: ['iss', 'aud', 'sub', 'iat', 'nbf', 'exp', 'jti'],
        ...(options.audience === undefined ? {} : { audience: options.audience }),
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.now === undefined ? {} : { currentDate: new Date(options.now * 1000) }),
        ...(options.clockToleranceSeconds === undefined
          ? {}
          : { clockTolerance: options.clockToleranceSeconds }),
      },
    ));
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

function isTokenUse(value: unknown): value is TokenUse {
  return value === 'access' || value === 'id' || value === 'refresh';
}

function invalidToken(message: string, cause?: unknown): AnteroomError {
  return new AnteroomError('invalid_token', message, { cause });
}
