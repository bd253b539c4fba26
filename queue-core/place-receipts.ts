/**
 * Signed place receipts (API.md section 5, docs/reliability.md): what lets the server re-create
 * a waiting visitor's place that the store lost (Redis restarted empty, or failed over to a
 * replica that lacked the queue's era).
 *
 * A request id is signed under the event's era, a secret kept in the store (request-ids.ts): a
 * store that comes back empty draws a new era, and every earlier id reads as unknown, on purpose
 * (the new era may hand those positions out again). A receipt is signed by the server's own key
 * instead (the key that signs visitor cookies, which every instance shares) and names the
 * position, its entry time and the event's reset count when it was handed out, so the server
 * can trust it when the store has forgotten everything: the store re-creates the place at the
 * same position in the new era, if nobody was given that position in the new era yet
 * (store.restorePlace), and never after a reset.
 *
 * Layout: one 16-byte block — bytes 0–5 the position (48 bits), bytes 6–10 the entry time
 * (epoch seconds, 40 bits), bytes 11–14 the reset count (32 bits), byte 15 the version (1) —
 * and its 128-bit tag under a key derived from the signing key and the event id (block-mac.ts:
 * one AES context per key and event, kept), both base64url, joined by a dot (45 characters).
 * One tag per receipt: one AES block.
 */
import { timingSafeEqual } from 'node:crypto';
import { BLOCK_BYTES, BlockMac, blockKey } from './block-mac.ts';

export interface PlaceReceipt {
  position: number;
  /** Epoch seconds. */
  entryTime: number;
  /** The event's reset count when the place was handed out. */
  resets: number;
}

export interface PlaceReceiptSigner {
  /** The receipt of a place in `eventId`. */
  issue(eventId: string, receipt: PlaceReceipt): string;
  /** What a receipt carries, or null when this server (any key of its ring) did not sign it for `eventId`. */
  verify(eventId: string, value: string | null | undefined): PlaceReceipt | null;
}

const VERSION = 1;
const SHAPE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/;
/** Kept tag contexts per (key, event); events are few, the bound guards memory. */
const MAX_MACS = 1000;

function writeBlock(into: Buffer, at: number, { position, entryTime, resets }: PlaceReceipt): void {
  into.writeUIntBE(position, at, 6);
  into.writeUIntBE(Math.max(0, Math.floor(entryTime)), at + 6, 5);
  into.writeUInt32BE(resets >>> 0, at + 11);
  into[at + 15] = VERSION;
}

/** Signs with `keys()[0]`, verifies with any of `keys()` (the cookie keys, as visitor cookies use them). */
export function placeReceiptSigner(keys: () => readonly string[]): PlaceReceiptSigner {
  let source: readonly string[] | null = null;
  let macs = new Map<string, BlockMac[]>();
  const macsOf = (eventId: string): BlockMac[] => {
    const now = keys();
    if (now !== source) {
      source = now;
      macs = new Map();
    }
    let list = macs.get(eventId);
    if (list === undefined) {
      if (macs.size >= MAX_MACS) macs.clear();
      list = now.map((key) => new BlockMac(blockKey(`${key}\n${eventId}`, 'anteroom-place-receipt-v1')));
      macs.set(eventId, list);
    }
    return list;
  };
  return {
    issue(eventId, receipt) {
      const block = Buffer.alloc(BLOCK_BYTES);
      writeBlock(block, 0, receipt);
      const tag = (macsOf(eventId)[0] as BlockMac).tag(block);
      return `${block.toString('base64url')}.${tag.toString('base64url')}`;
    },
    verify(eventId, value) {
      if (!value || !SHAPE.test(value)) return null;
      const block = Buffer.from(value.slice(0, 22), 'base64url');
      const given = Buffer.from(value.slice(23), 'base64url');
      if (block.length !== BLOCK_BYTES || given.length !== BLOCK_BYTES || block[15] !== VERSION) return null;
      for (const mac of macsOf(eventId)) {
        if (timingSafeEqual(given, mac.tag(block))) {
          const position = block.readUIntBE(0, 6);
          if (position < 1) return null;
          return { position, entryTime: block.readUIntBE(6, 5), resets: block.readUInt32BE(11) };
        }
      }
      return null;
    },
  };
}
