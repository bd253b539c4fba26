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

  /** Participant `a` before `b` (< 0), after (> 0): their keys compared. */
  readonly compare = (a: number, b: number): number => {
    const { keys, heads } = this;
    return heads[a]! - heads[b]! || keys.compare(keys, b * 32, b * 32 + 32, a * 32, a * 32 + 32);
  };

  /** The participants' indices in drawn order (ascending key), in one go (`orderInSlices`: in slices). */
  order(): Uint32Array {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[i] = i;
    order.sort(this.compare);
    return order;
  }
}

/**
 * `DrawKeys.order()` cut into bounded slices, with `pause` awaited between them (the caller
 * yields the event loop there), so a million participants never hold a process for long: one
 * sort of a million would block it for about a second. The keys are HMAC outputs, spread
 * evenly: the indices are spread into buckets by the top bits of their head (two linear passes,
 * in slices), then each bucket is sorted with the same comparison as `order()`, a few buckets
 * per slice. Buckets cover ascending key ranges, so the result is `order()`'s, element for element.
 */
export async function orderInSlices(
  keys: DrawKeys,
  pause: () => Promise<void>,
  sliceSize = ORDER_SLICE,
): Promise<Uint32Array> {
  const { count, heads } = keys;
  const order = new Uint32Array(count);
  if (count === 0) return order;
  // About 1,024 keys a bucket; heads are 48-bit numbers.
  const bits = Math.min(24, Math.max(0, Math.ceil(Math.log2(count / 1024))));
  const divisor = 2 ** (48 - bits);
  const buckets = 2 ** bits;
  const starts = new Uint32Array(buckets + 1);
  for (let from = 0; from < count; from += sliceSize) {
    const to = Math.min(count, from + sliceSize);
    for (let i = from; i < to; i++) starts[Math.floor(heads[i]! / divisor) + 1]! += 1;
    await pause();
  }
  for (let b = 0; b < buckets; b++) starts[b + 1]! += starts[b]!;
  const next = starts.slice(0, buckets);
  for (let from = 0; from < count; from += sliceSize) {
    const to = Math.min(count, from + sliceSize);
    for (let i = from; i < to; i++) order[next[Math.floor(heads[i]! / divisor)]!++] = i;
    await pause();
  }
  let sorted = 0;
  for (let b = 0; b < buckets; b++) {
    const bucket = order.subarray(starts[b]!, starts[b + 1]!);
    if (bucket.length > 1) bucket.sort(keys.compare);
    sorted += bucket.length;
    if (sorted >= sliceSize) {
      sorted = 0;
      await pause();
    }
  }
  return order;
}

/** Keys handled between two pauses of `orderInSlices`: a few milliseconds of work. */
const ORDER_SLICE = 5_000;

/** The indices of `digests` in shuffled (drawn) order. */
export function shuffledOrder(seed: Buffer, digests: (index: number) => string, count: number): Uint32Array {
  const keys = new DrawKeys(count);
  for (let i = 0; i < count; i++) keys.set(i, seed, digests(i));
  return keys.order();
}
