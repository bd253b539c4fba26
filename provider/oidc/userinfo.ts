/**
 * The userinfo endpoint (`<issuer>/me`), answered here rather than by oidc-provider: Anteroom's
 * access tokens are JWTs for the client's resource (so APIs and the authorizer verify them
 * offline), and oidc-provider's own userinfo refuses any token with an audience. This one
 * verifies the JWT (RS256 with a known `kid`, `typ: at+jwt`, issuer, lifetime, the client's
 * audience), checks its grant still stands (a replayed code, a reused refresh token or a
 * revocation revokes the grant) and the admission is still live (ended sessions stop working at once), and
 * answers plain JSON: `sub` and the waiting-room claims. Errors follow RFC 6750.
 */
import { createLocalJWKSet, type JWK, errors as joseErrors, jwtVerify } from 'jose';
import type Koa from 'koa';
import { isServerFailure } from '../../queue-core/errors.ts';
import { GRANT_CLAIM } from './provider.ts';
import type { ClientRegistry } from './registry.ts';
import { admissionClaims, type WaitingRoom } from './waiting.ts';

export interface UserinfoDeps {
  issuer: string;
  /** The provider's JWKs (private members are dropped here). */
  jwks: JWK[];
  registry: ClientRegistry;
  waitingRoom: WaitingRoom;
  /** Whether the grant of this id still stands (revocation removes it from the provider's store). */
  grantExists: (grantId: string) => Promise<boolean>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_BODY_BYTES = 16 * 1024;

class BearerError extends Error {
  readonly status: number;
  readonly error: string;
  constructor(status: number, error: string, description: string) {
    super(description);
    this.status = status;
    this.error = error;
  }
}

export function userinfoHandler(deps: UserinfoDeps): Koa.Middleware {
  const publicKeys = deps.jwks
    .filter((key) => key.alg === 'RS256')
    .map(
      (key) =>
        Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.includes(name))) as JWK,
    );
  const keySet = createLocalJWKSet({ keys: publicKeys });
  const realm = `Bearer realm="${deps.issuer}"`;

  return async (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      ctx.set('Access-Control-Max-Age', '3600');
      ctx.status = 204;
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'POST') {
      ctx.set('Allow', 'GET, POST, OPTIONS');
      ctx.status = 405;
      return;
    }
    try {
      const token = await bearerToken(ctx);
      ctx.body = await claimsFor(token, deps, keySet);
    } catch (error) {
      if (isServerFailure(error)) {
        // The queue store is down: a retry will do, the token is not at fault.
        if (error.retryAfter !== undefined) ctx.set('Retry-After', String(error.retryAfter));
        ctx.status = 503;
        ctx.body = { error: 'temporarily_unavailable', error_description: 'try again shortly' };
        return;
      }
      const failure =
        error instanceof BearerError
          ? error
          : new BearerError(401, 'invalid_token', 'invalid token provided');
      ctx.status = failure.status;
      ctx.set(
        'WWW-Authenticate',
        `${realm}, error="${failure.error}", error_description="${failure.message.replace(/["\\]/g, '')}"`,
      );
      ctx.body = { error: failure.error, error_description: failure.message };
    }
  };
}

/** The access token from the Authorization header or a form body (RFC 6750 §2.1, §2.2), never both. */
async function bearerToken(ctx: Koa.Context): Promise<string> {
  const header = ctx.get('Authorization');
  let fromHeader: string | undefined;
  if (header !== '') {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (match === null)
      throw new BearerError(400, 'invalid_request', 'invalid Authorization header value format');
    fromHeader = match[1];
  }
  let fromBody: string | undefined;
  if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
    fromBody = new URLSearchParams(await readBody(ctx)).get('access_token') ?? undefined;
  }
  if (fromHeader !== undefined && fromBody !== undefined) {
    throw new BearerError(400, 'invalid_request', 'access token must only be provided using one mechanism');
  }
  const token = fromHeader ?? fromBody;
  if (token === undefined) throw new BearerError(401, 'invalid_token', 'no access token provided');
  return token;
}

async function readBody(ctx: Koa.Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BearerError(400, 'invalid_request', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function claimsFor(
  token: string,
  deps: UserinfoDeps,
  keySet: ReturnType<typeof createLocalJWKSet>,
): Promise<Record<string, unknown>> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keySet, {
      issuer: deps.issuer,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    }));
  } catch (error) {
    const expired = error instanceof joseErrors.JWTExpired;
    throw new BearerError(
      401,
      'invalid_token',
      expired ? 'access token is expired' : 'invalid token provided',
    );
  }
  const client = deps.registry.get(
    typeof payload['client_id'] === 'string' ? payload['client_id'] : undefined,
  );
  const audiences = Array.isArray(payload['aud']) ? payload['aud'] : [payload['aud']];
  if (client === undefined || !audiences.includes(client.audience)) {
    throw new BearerError(401, 'invalid_token', 'invalid token provided');
  }
  const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
  if (!scopes.includes('openid')) {
    throw new BearerError(403, 'insufficient_scope', 'access token missing openid scope');
  }
  const sub = payload['sub'];
  if (typeof sub !== 'string') throw new BearerError(401, 'invalid_token', 'invalid token provided');
  const grantId = payload[GRANT_CLAIM];
  if (typeof grantId !== 'string' || !(await deps.grantExists(grantId))) {
    throw new BearerError(401, 'invalid_token', 'the grant of this token was revoked');
  }
  const admission = await deps.waitingRoom.admission(client.eventId, sub);
  if (admission === null)
    throw new BearerError(401, 'invalid_token', 'the admission of this token has ended');
  return { sub, ...admissionClaims(admission) };
}
