/**
 * A proof-of-work solver for tests and the bench, written from API.md alone (not from the
 * server's code): the first decimal nonce whose SHA-256 of `<prefix>:<nonce>` starts with
 * `difficulty` zero bits.
 */
import { createHash } from 'node:crypto';

export function solvePow(prefix: string, difficulty: number): string {
  for (let nonce = 0; ; nonce++) {
    const answer = `${prefix}:${nonce}`;
    const digest = createHash('sha256').update(answer, 'utf8').digest();
    let bits = 0;
    for (const byte of digest) {
      if (byte === 0) {
        bits += 8;
        continue;
      }
      bits += Math.clz32(byte) - 24;
      break;
    }
    if (bits >= difficulty) return answer;
  }
}
