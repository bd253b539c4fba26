/**
 * The draw's arithmetic (API.md section 6), shared by the server and `anteroom verify-draw`:
 * a participant is published as hex(SHA-256(request id)); with `shuffle` the participants are
 * ordered by HMAC-SHA256(key = the seed's 32 bytes, message = that hex string, as ASCII), the
 * lower-case hex HMACs compared as text; with `fifo` by arrival. The commitment is the hex
 * SHA-256 of the seed's bytes.
 */
import { createHash, createHmac } from 'node:crypto';

export type DrawAlgorithm = 'hmac-sha256' | 'fifo';

/** hex(SHA-256(request id)): how the participants list names a participant. */
export function participantDigest(requestId: string): string {
  return createHash('sha256').update(requestId).digest('hex');
}

/** hex SHA-256 of the seed's bytes: published before anyone joins. */
export function seedCommitment(seed: Buffer): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** A participant's draw key: lower-case hex HMAC-SHA256(seed, digest). */
export function drawKey(seed: Buffer, digest: string): string {
  return createHmac('sha256', seed).update(digest, 'ascii').digest('hex');
}

/**
 * The draw keys of many participants, kept as one buffer of 32-byte HMACs plus the first 6
 * bytes of each as a number (compared first; on a tie byte by byte, the same order as comparing
 * the hex strings as text), so a million participants need about 40 MB.
 */
export class DrawKeys {
  readonly count: number;
  readonly keys: Buffer;
  readonly heads: Float64Array;

  constructor(count: number) {
    this.count = count;
    this.keys = Buffer.allocUnsafe(count * 32);
    this.heads = new Float64Array(count);
  }

  /** The key of participant `index` (0-based), from its published digest. */
  set(index: number, seed: Buffer, digest: string): void {
    const hmac = createHmac('sha256', seed).update(digest, 'ascii').digest();
    hmac.copy(this.keys, index * 32);
    this.heads[index] = hmac.readUIntBE(0, 6);
  }

  /** The participants' indices in drawn order (ascending key). */
  order(): Uint32Array {
    const { keys, heads } = this;
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[i] = i;
    order.sort(
      (a, b) => heads[a]! - heads[b]! || keys.compare(keys, b * 32, b * 32 + 32, a * 32, a * 32 + 32),
    );
    return order;
  }
}

/** The indices of `digests` in shuffled (drawn) order. */
export function shuffledOrder(seed: Buffer, digests: (index: number) => string, count: number): Uint32Array {
  const keys = new DrawKeys(count);
  for (let i = 0; i < count; i++) keys.set(i, seed, digests(i));
  return keys.order();
}
