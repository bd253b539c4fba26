/**
 * Admin authentication, in order:
 *
 * 1. a client whose failure budget is spent (`auth-throttle.ts`) gets 429 with `Retry-After`;
 * 2. `Authorization: Bearer <admin key>`: compared in constant time (SHA-256 digests of equal
 *    length through `timingSafeEqual`, against every configured key), or
 *    `Authorization: AWS4-HMAC-SHA256 …`: a SigV4 signature by a key pair of `adminSigV4Keys`
 *    (`sigv4.ts`; the body is read here, as it is part of what was signed);
 * 3. a failure draws on the client's budget, is logged and audited (who: the client address;
 *    what: a stable reason code of `admin-auth-failures.ts`; never the secret presented) and
 *    answers 401.
 *
 * The caller's identity in the audit trail is `key:<fingerprint>` for a bearer key and
 * `sigv4:<access key id>` for a signature. A bearer key limited by `scopes`
 * (`admin-scopes.ts`) calling anything else answers 403 `insufficient_scope`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { AppDeps } from '../apps/deps.ts';
import { ADMIN_AUTH_FAILURES, type AdminAuthRefusal } from './admin-auth-failures.ts';
import { type AdminScope, type ScopedAdminKey, scopeAllows } from './admin-scopes.ts';
import { createAuthFailureRecorder } from './auth-failure-record.ts';
import { createAuthThrottle } from './auth-throttle.ts';
import { readBodyBytes } from './body.ts';
import type { ApiContext, ApiState } from './context.ts';
import { createSigV4Verifier, hasQuerySignature, isSigV4Authorization } from './sigv4.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Who an admin key is, in logs and the audit trail: never the key itself. */
export function keyFingerprint(key: string): string {
  return `key:${digest(key).toString('hex').slice(0, 12)}`;
}

/** `scopes`: null for every call. */
type AdminCaller = { actor: string; scopes: readonly AdminScope[] | null };
type AdminAttempt = ({ ok: true } & AdminCaller) | ({ ok: false } & AdminAuthRefusal);

function bearerVerifier(
  keys: readonly string[],
  scopedKeys: readonly ScopedAdminKey[],
): (given: string) => AdminCaller | null {
  const known = [
    ...keys.map((key) => ({ digest: digest(key), actor: keyFingerprint(key), scopes: null })),
    ...scopedKeys.map(({ key, scopes }) => ({ digest: digest(key), actor: keyFingerprint(key), scopes })),
  ];
  return (given) => {
    const candidate = digest(given);
    let caller: AdminCaller | null = null;
    // Compare against every key so the time taken does not reveal which one matched.
    for (const key of known) {
      if (timingSafeEqual(candidate, key.digest) && caller === null) caller = key;
    }
    return caller === null ? null : { actor: caller.actor, scopes: caller.scopes };
  };
}

function tooManyFailures(retryAfter: number): AnteroomError {
  return new AnteroomError(
    'rate_limited',
    'Too many failed admin authentications from this client; retry later',
    { retryAfter },
  );
}

export function requireAdmin(deps: AppDeps, publicPaths: string[] = ['/healthz']): Middleware<ApiState> {
  const bearer = bearerVerifier(deps.config.adminKeys, deps.config.scopedAdminKeys);
  const verifySigV4 = createSigV4Verifier(deps.config.adminSigV4Keys, deps.nowMs);
  const throttle = createAuthThrottle(deps.config.limits.adminFailuresPerClientPerMinute, deps.nowMs);
  const recordFailure = createAuthFailureRecorder(deps);

  async function authenticate(ctx: ApiContext): Promise<AdminAttempt> {
    const header = ctx.get('Authorization');
    if (isSigV4Authorization(header)) {
      ctx.state.rawBody = await readBodyBytes(ctx.req);
      const outcome = verifySigV4({
        method: ctx.method,
        url: ctx.originalUrl,
        headers: ctx.headers,
        body: ctx.state.rawBody,
      });
      if (outcome.ok) return { ok: true, actor: `sigv4:${outcome.accessKeyId}`, scopes: null };
      return { ok: false, reason: outcome.reason, scheme: 'sigv4', accessKeyId: outcome.accessKeyId };
    }
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (match?.[1]) {
      const caller = bearer(match[1]);
      return caller === null ? { ok: false, reason: 'wrong_key', scheme: 'bearer' } : { ok: true, ...caller };
    }
    if (header) return { ok: false, reason: 'unsupported_scheme', scheme: 'none' };
    if (hasQuerySignature(ctx.originalUrl)) return { ok: false, reason: 'query_signature', scheme: 'sigv4' };
    return { ok: false, reason: 'no_credentials', scheme: 'none' };
  }

  return async function authenticateAdmin(ctx, next) {
    if (publicPaths.includes(ctx.path)) return next();
    const wait = throttle.retryAfter(ctx.ip);
    if (wait > 0) throw tooManyFailures(wait);
    const attempt = await authenticate(ctx as ApiContext);
    if (!attempt.ok) {
      const { exhausted } = throttle.fail(ctx.ip);
      await recordFailure(ctx as ApiContext, attempt, exhausted);
      ctx.set('WWW-Authenticate', 'Bearer realm="anteroom-admin"');
      throw new AnteroomError('unauthorized', ADMIN_AUTH_FAILURES[attempt.reason]);
    }
    if (attempt.scopes !== null && !scopeAllows(attempt.scopes, ctx.method, ctx.path)) {
      throw new AnteroomError(
        'insufficient_scope',
        `This admin key may only call: ${attempt.scopes.join(', ')}`,
      );
    }
    ctx.state.actor = attempt.actor;
    await next();
  };
}
