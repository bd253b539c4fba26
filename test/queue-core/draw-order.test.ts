/**
 * The shuffled draw's order computed in slices (`orderInSlices`, what `runDraw` uses so a
 * million participants never hold the event loop for long) is the order of one sort
 * (`DrawKeys.order()`, and the published rule: ascending hex HMAC compared as text), element for
 * element, and it does yield between slices.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DrawKeys, drawKey, orderInSlices, participantDigest } from '../../queue-core/draw/order.ts';

function keysFor(count: number, seed: Buffer): { keys: DrawKeys; digests: string[] } {
  const keys = new DrawKeys(count);
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    const digest = participantDigest(`participant-${i}`);
    digests.push(digest);
    keys.set(i, seed, digest);
  }
  return { keys, digests };
}

describe('the draw order in slices', () => {
  const seed = randomBytes(32);

  it('is the order of one sort, and of the published rule, at every size', async () => {
    for (const count of [0, 1, 2, 7, 1_000, 5_000, 50_000]) {
      const { keys, digests } = keysFor(count, seed);
      const sliced = await orderInSlices(keys, async () => {}, 997);
      assert.deepEqual(sliced, keys.order(), `${count} participants`);
      if (count <= 5_000) {
        const byRule = digests
          .map((digest, index) => ({ index, key: drawKey(seed, digest) }))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .map(({ index }) => index);
        assert.deepEqual([...sliced], byRule, `${count} participants, by the published rule`);
      }
    }
  });

  it('keeps the order when keys crowd into one bucket (heads alike: the full keys decide)', async () => {
    const { keys } = keysFor(3_000, seed);
    // The same 48-bit head for a third of them: one bucket, ties broken by the whole key.
    for (let i = 0; i < 3_000; i += 3) keys.heads[i] = keys.heads[0]!;
    assert.deepEqual(await orderInSlices(keys, async () => {}, 500), keys.order());
  });

  it('pauses between slices: about one pause per slice of work', async () => {
    const { keys } = keysFor(20_000, seed);
    let pauses = 0;
    await orderInSlices(
      keys,
      async () => {
        pauses += 1;
      },
      1_000,
    );
    // Two passes of 20 slices each, and the buckets' sorting in about 20 more.
    assert.ok(pauses >= 55 && pauses <= 65, `${pauses} pauses`);
  });
});
