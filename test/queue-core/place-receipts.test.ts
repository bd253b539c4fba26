/** Signed place receipts (queue-core/place-receipts.ts): what a receipt proves, and what it refuses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeReceiptSigner } from '../../queue-core/place-receipts.ts';

const KEY_A = 'a'.repeat(43);
const KEY_B = 'b'.repeat(43);
const RECEIPT = { position: 123_456, entryTime: 1_764_730_000, resets: 2 };

describe('place receipts', () => {
  it('carry the position, entry time and reset count they were issued for', () => {
    const signer = placeReceiptSigner(() => [KEY_A]);
    const value = signer.issue('demo', RECEIPT);
    assert.match(value, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(signer.verify('demo', value), RECEIPT);
    assert.deepEqual(
      signer.verify('demo', signer.issue('demo', { ...RECEIPT, position: 2 ** 48 - 1 }))?.position,
      2 ** 48 - 1,
    );
  });

  it('verify only for the event and keys that signed them', () => {
    const signer = placeReceiptSigner(() => [KEY_A]);
    const value = signer.issue('demo', RECEIPT);
    assert.equal(signer.verify('other', value), null, 'another event');
    assert.equal(placeReceiptSigner(() => [KEY_B]).verify('demo', value), null, 'another server key');
    // A rotation: the new key signs, the old one still verifies until it leaves the ring.
    assert.deepEqual(placeReceiptSigner(() => [KEY_B, KEY_A]).verify('demo', value), RECEIPT);
  });

  it('refuse anything edited or malformed', () => {
    const signer = placeReceiptSigner(() => [KEY_A]);
    const value = signer.issue('demo', RECEIPT);
    const [block, tag] = value.split('.') as [string, string];
    const edited = Buffer.from(block, 'base64url');
    edited[5] = edited[5]! ^ 1; // another position
    assert.equal(signer.verify('demo', `${edited.toString('base64url')}.${tag}`), null);
    const retagged = Buffer.from(tag, 'base64url');
    retagged[0] = retagged[0]! ^ 1;
    assert.equal(signer.verify('demo', `${block}.${retagged.toString('base64url')}`), null);
    for (const bad of [null, undefined, '', 'x', `${block}.`, `${block}${tag}`, `${block}.${tag}x`]) {
      assert.equal(signer.verify('demo', bad), null, String(bad));
    }
  });
});
