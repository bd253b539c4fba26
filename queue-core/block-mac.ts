/**
 * The hot paths' keyed tags, without a crypto object per call.
 *
 * Every enqueue signs a visitor cookie and a request id, and every status poll verifies a
 * request id. `createHmac` builds (and OpenSSL looks up) a new context each call; inside a
 * busy server, with the caches cold, that cost a status poll about as much as the rest of its
 * work (bench/server.ts). Here a key gets one AES-128 context, kept: its tag of a 16-byte block
 * is the block encrypted under the key (AES as a pseudo-random function, the standard MAC for
 * fixed-length messages, truncated by the caller as it needs); `tags` signs many blocks in one
 * call.
 */
import { createCipheriv, hash } from 'node:crypto';

export const BLOCK_BYTES = 16;

/** Tags of 16-byte blocks under one 128-bit key. */
export class BlockMac {
  readonly #cipher;

  /** `key`: 16 bytes. */
  constructor(key: Buffer) {
    if (key.length !== BLOCK_BYTES) throw new Error('a block MAC key is 16 bytes');
    // ECB over single blocks with no padding: each `update` of one block answers its tag at
    // once and keeps nothing, so the context serves every call.
    this.#cipher = createCipheriv('aes-128-ecb', key, null);
    this.#cipher.setAutoPadding(false);
  }

  /** The 16-byte tag of a 16-byte block. */
  tag(block: Buffer): Buffer {
    if (block.length !== BLOCK_BYTES) throw new Error('a block is 16 bytes');
    return this.#cipher.update(block);
  }

  /** The tags of consecutive 16-byte blocks, in one call (each the tag `tag` gives it). */
  tags(blocks: Buffer): Buffer {
    if (blocks.length % BLOCK_BYTES !== 0) throw new Error('blocks are 16 bytes each');
    return this.#cipher.update(blocks);
  }
}

/** A key of its own for one use of a longer secret: the first 16 bytes of SHA-256(label, secret). */
export function blockKey(secret: string | Buffer, label: string): Buffer {
  return hash('sha256', Buffer.concat([Buffer.from(`${label}\n`), Buffer.from(secret)]), 'buffer').subarray(
    0,
    BLOCK_BYTES,
  );
}
