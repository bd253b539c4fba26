/**
 * Checking a published draw (API.md section 6), for `anteroom verify-draw` and for anyone who
 * wants to do it in code: the seed matches the commitment published before the pre-queue
 * opened, and the participants list is in the order the seed gives them (ascending
 * HMAC-SHA256(seed, participant) as lower-case hex text). What this proves, and what it does
 * not, is in docs/scheduled-sales.md.
 */
import { drawKey, seedCommitment } from './order.ts';

/** `GET /events/{id}/draw` as published. */
export interface PublishedDraw {
  event_id: string;
  algorithm: string;
  commitment: string | null;
  seed: string | null;
  participants: number | null;
  drawn_at: number | null;
}

export type DrawVerdict =
  | { ok: true; algorithm: 'hmac-sha256' | 'fifo'; participants: number; checked: string[] }
  | { ok: false; reason: string };

const HEX64 = /^[0-9a-f]{64}$/;

/** Check `participants` (hex digests, in published order) against the published draw. */
export function verifyDraw(draw: PublishedDraw, participants: string[]): DrawVerdict {
  if (draw.drawn_at === null || draw.participants === null)
    return { ok: false, reason: 'the draw has not happened yet' };
  if (participants.length !== draw.participants) {
    return {
      ok: false,
      reason: `the draw announces ${draw.participants} participants, the list holds ${participants.length}`,
    };
  }
  const seen = new Set<string>();
  for (const [index, digest] of participants.entries()) {
    if (!HEX64.test(digest))
      return { ok: false, reason: `participant ${index + 1} is not a hex SHA-256 digest` };
    if (seen.has(digest)) return { ok: false, reason: `participant ${index + 1} appears twice` };
    seen.add(digest);
  }
  if (draw.algorithm === 'fifo') {
    // Arrival order is the server's record: there is nothing public to recompute it from.
    return {
      ok: true,
      algorithm: 'fifo',
      participants: participants.length,
      checked: ['count', 'uniqueness'],
    };
  }
  if (draw.algorithm !== 'hmac-sha256') return { ok: false, reason: `unknown algorithm "${draw.algorithm}"` };
  if (draw.seed === null || !HEX64.test(draw.seed))
    return { ok: false, reason: 'the seed is not 32 bytes of hex' };
  if (draw.commitment === null) return { ok: false, reason: 'no commitment was published' };
  const seed = Buffer.from(draw.seed, 'hex');
  if (seedCommitment(seed) !== draw.commitment) {
    return { ok: false, reason: 'the seed does not match the commitment (SHA-256 of the seed differs)' };
  }
  let previous = '';
  for (const [index, digest] of participants.entries()) {
    const key = drawKey(seed, digest);
    if (key <= previous) {
      return {
        ok: false,
        reason: `participant ${index + 1} is out of order: the seed puts it before participant ${index}`,
      };
    }
    previous = key;
  }
  return {
    ok: true,
    algorithm: 'hmac-sha256',
    participants: participants.length,
    checked: ['commitment', 'count', 'uniqueness', 'order'],
  };
}
