/**
 * The audit trail of admin actions. The room writes one entry per state-changing call
 * (who = admin key fingerprint, what, when, before/after); this module adds the entries of
 * admin calls that change no queue state but matter (token issuance with an issuer or a
 * validity override) and renders the trail for admin `GET /audit`.
 */
import type { AuditEntry, QueueStore } from '../../queue-core/types.ts';

export interface AuditView {
  time: number;
  actor: string;
  action: string;
  event_id: string | null;
  before: unknown;
  after: unknown;
}

export async function recordAudit(
  store: QueueStore,
  entry: { actor: string; action: string; eventId?: string; before?: unknown; after?: unknown },
  now: number,
): Promise<void> {
  await store.appendAudit({ time: now, ...entry });
}

export function auditView(entry: AuditEntry): AuditView {
  return {
    time: entry.time,
    actor: entry.actor,
    action: entry.action,
    event_id: entry.eventId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
  };
}
