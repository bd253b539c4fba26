/**
 * Admin authentication: `Authorization: Bearer <admin key>`, compared in constant time
 * (SHA-256 digests of equal length through `timingSafeEqual`, against every configured key).
 * A failed attempt is logged; the caller's identity in the audit log is the key fingerprint.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { ApiState } from './context.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Who an admin key is, in logs and the audit trail: never the key itself. */
export function keyFingerprint(key: string): string {
  return `key:${digest(key).toString('hex').slice(0, 12)}`;
}

export function requireAdminKey(keys: string[], publicPaths: string[] = ['/healthz']): Middleware<ApiState> {
  const known = keys.map((key) => ({ digest: digest(key), actor: keyFingerprint(key) }));
  return async function authenticateAdmin(ctx, next) {
    if (publicPaths.includes(ctx.path)) return next();
    const header = ctx.get('Authorization');
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    let actor: string | null = null;
    if (match?.[1]) {
      const given = digest(match[1]);
      // Compare against every key so the time taken does not reveal which one matched.
      for (const candidate of known) {
        if (timingSafeEqual(given, candidate.digest) && actor === null) actor = candidate.actor;
      }
    }
    if (actor === null) {
      ctx.state.deps.logger.warn(
        {
          req_id: ctx.state.traceId,
          ip: ctx.ip,
          method: ctx.method,
          path: ctx.path,
          reason: header ? 'wrong key' : 'no key',
        },
        'admin authentication failed',
      );
      ctx.set('WWW-Authenticate', 'Bearer realm="anteroom-admin"');
      throw new AnteroomError('unauthorized', 'A valid admin key is required (Authorization: Bearer <key>)', {
        status: 401,
      });
    }
    ctx.state.actor = actor;
    await next();
  };
}
