/**
 * The trace of a failed admin authentication: a log line and an audit entry, both with the
 * client address (who), the reason code (why), the method and path (what), the scheme and, for
 * a signature, the access key id it named (public, unlike the secret). Never the key, the
 * signature or any header value presented.
 *
 * The audit trail keeps its newest entries only, so failures could push real admin actions
 * out of it: at most `AUDITED_FAILURES_PER_MINUTE` failures a minute are audited one by one
 * (per process); the next one audited after a pause says how many were left out. The per-client
 * budget already stops each client after a few; this bounds many clients together. Every
 * failure is still logged.
 */
import { recordAudit } from '../admin/audit-trail.ts';
import type { AppDeps } from '../apps/deps.ts';
import type { AdminAuthRefusal } from './admin-auth-failures.ts';
import type { ApiContext } from './context.ts';

export const AUDITED_FAILURES_PER_MINUTE = 60;
const MINUTE_MS = 60_000;

export function createAuthFailureRecorder(
  deps: Pick<AppDeps, 'store' | 'logger' | 'nowMs'>,
): (ctx: ApiContext, failure: AdminAuthRefusal, throttled: boolean) => Promise<void> {
  let windowStart = Number.NEGATIVE_INFINITY;
  let audited = 0;
  let leftOut = 0;

  const admit = (now: number): number | null => {
    if (now - windowStart >= MINUTE_MS) {
      windowStart = now;
      audited = 0;
    }
    if (audited >= AUDITED_FAILURES_PER_MINUTE) {
      leftOut += 1;
      return null;
    }
    audited += 1;
    const count = leftOut;
    leftOut = 0;
    return count;
  };

  return async function recordAuthFailure(ctx, failure, throttled) {
    const details = {
      reason: failure.reason,
      scheme: failure.scheme,
      method: ctx.method,
      path: ctx.path,
      ...(failure.accessKeyId === undefined ? {} : { access_key_id: failure.accessKeyId }),
      ...(throttled ? { throttled: true } : {}),
    };
    deps.logger.warn({ req_id: ctx.state.traceId, ip: ctx.ip, ...details }, 'admin authentication failed');
    const now = deps.nowMs();
    const leftOutBefore = admit(now);
    if (leftOutBefore === null) return;
    try {
      await recordAudit(
        deps.store,
        {
          actor: `client:${ctx.ip}`,
          action: 'admin_auth_failed',
          after: leftOutBefore > 0 ? { ...details, unaudited_before: leftOutBefore } : details,
        },
        Math.floor(now / 1000),
      );
    } catch (error) {
      // The 401 stands whatever the store does; the log line above keeps the trace.
      deps.logger.warn(
        { req_id: ctx.state.traceId, err: error },
        'could not audit a failed admin authentication',
      );
    }
  };
}
