/**
 * The proof-of-work challenge: signed, stateless prefixes bound to one event, answers checked
 * exactly as API.md says (SHA-256 of the UTF-8 `<prefix>:<nonce>` starts with `difficulty`
 * zero bits), and everything forged, late or too easy refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkPow, issuePow, leadingZeroBits } from '../../queue-core/entry/pow.ts';
import { solvePow } from '../support/pow.ts';

const SECRET = Buffer.alloc(32, 1);
const NOW = 1_700_000_000;

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    assert.equal(leadingZeroBits(Uint8Array.from([0x80])), 0);
    assert.equal(leadingZeroBits(Uint8Array.from([0x01])), 7);
    assert.equal(leadingZeroBits(Uint8Array.from([0x00, 0x00, 0x3f])), 18);
    assert.equal(leadingZeroBits(Uint8Array.from([0, 0])), 16);
  });

  it('issues a prefix without ":" that expires, and accepts a correct answer once issued', () => {
    const offer = issuePow(SECRET, 'sale', 10, NOW, 300);
    assert.deepEqual(Object.keys(offer), ['type', 'algorithm', 'prefix', 'difficulty', 'expires_at']);
    assert.equal(offer.type, 'pow');
    assert.equal(offer.algorithm, 'sha256');
    assert.equal(offer.expires_at, NOW + 300);
    assert.doesNotMatch(offer.prefix, /:/);
    assert.notEqual(issuePow(SECRET, 'sale', 10, NOW, 300).prefix, offer.prefix, 'random per issue');
    const answer = solvePow(offer.prefix, offer.difficulty);
    const digest = createHash('sha256').update(answer, 'utf8').digest();
    assert.ok(leadingZeroBits(digest) >= 10);
    assert.deepEqual(checkPow(SECRET, 'sale', 10, answer, NOW + 300), {
      kind: 'valid',
      prefix: offer.prefix,
      expiresAt: NOW + 300,
    });
  });

  it('refuses a missing, late, foreign, forged, too easy or wrong answer', () => {
    const offer = issuePow(SECRET, 'sale', 12, NOW, 300);
    const answer = solvePow(offer.prefix, offer.difficulty);
    assert.deepEqual(checkPow(SECRET, 'sale', 12, undefined, NOW), { kind: 'missing' });
    assert.deepEqual(checkPow(SECRET, 'sale', 12, '', NOW), { kind: 'missing' });
    const invalid = { kind: 'invalid' };
    assert.deepEqual(checkPow(SECRET, 'sale', 12, answer, NOW + 301), invalid, 'expired');
    assert.deepEqual(checkPow(SECRET, 'other', 12, answer, NOW), invalid, 'another event');
    assert.deepEqual(checkPow(Buffer.alloc(32, 2), 'sale', 12, answer, NOW), invalid, 'another secret');
    assert.deepEqual(checkPow(SECRET, 'sale', 13, answer, NOW), invalid, 'issued easier than asked now');
    assert.equal(checkPow(SECRET, 'sale', 11, answer, NOW).kind, 'valid', 'issued harder than asked now');
    // A prefix whose difficulty byte was lowered no longer carries a valid signature.
    const bytes = Buffer.from(offer.prefix, 'base64url');
    bytes[1] = 8;
    const forged = bytes.toString('base64url');
    assert.deepEqual(checkPow(SECRET, 'sale', 8, solvePow(forged, 8), NOW), invalid, 'forged difficulty');
    // A nonce whose hash misses the difficulty.
    let nonce = 0;
    while (leadingZeroBits(createHash('sha256').update(`${offer.prefix}:${nonce}`).digest()) >= 12) nonce++;
    assert.deepEqual(checkPow(SECRET, 'sale', 12, `${offer.prefix}:${nonce}`, NOW), invalid, 'wrong nonce');
    for (const garbage of [
      offer.prefix,
      `${offer.prefix}:`,
      `x:${nonce}`,
      `${offer.prefix}:a b`,
      `${offer.prefix}:${'1'.repeat(65)}`,
    ]) {
      assert.deepEqual(checkPow(SECRET, 'sale', 12, garbage, NOW), invalid, garbage);
    }
  });
});
