/**
 * Request ids that carry their position, so a store keeps no request id → position map: the
 * id names the position, and a MAC under the event's era (a secret the store draws when the
 * event's queue starts, and draws again after a reset) proves the store issued it.
 *
 * Layout, a UUIDv8 (RFC 9562) in lower-case hex: bytes 0–5 the position (48 bits), byte 6
 * `0x80` (version 8, kind 0 = a position; the other kinds are free for ids issued before a
 * position exists), byte 7 and the low 6 bits of byte 8 (variant `10`) and bytes 9–15: 70 bits
 * of the tag of bytes 0–6 (zero-padded to a block) under a key drawn from the era and the event
 * id (`block-mac.ts`: one AES context per era, kept; no HMAC context built per poll). Guessing
 * another visitor's id means guessing 70 bits online; an id of an earlier era (a reset event)
 * fails its MAC and reads as unknown.
 *
 * Kind 1 (byte 6 `0x81`) is an arrival in a pre-queue (API.md section 6): bytes 0–5 carry the
 * arrival number (1, 2, …) instead of a position; the kind byte is in the tagged block, so an
 * arrival's id never passes for a position's. The draw gives it a position later; the id never
 * changes.
 *
 * Visitor keys (cookie ids, Idempotency-Keys, identities) are kept as a 96-bit digest (16
 * base64url characters) in one of `VISITOR_BUCKETS` small hashes, which Redis encodes as
 * listpacks (about 20 bytes a visitor instead of about 100 in one large hash).
 */
import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { BLOCK_BYTES, BlockMac, blockKey } from '../block-mac.ts';

/** The largest position an id can carry (2^48 − 1). */
export const MAX_POSITION = 2 ** 48 - 1;
/**
 * Visitor-key buckets per event. 16,384 buckets stay listpacks (Redis's default
 * `hash-max-listpack-entries` is 128) up to about 2 million visitors in one event; beyond that
 * the fullest convert to hash tables and the cost per visitor rises towards one large hash's.
 */
export const VISITOR_BUCKETS = 16_384;

/** A visitor key of a server-issued visitor cookie. */
const SERVER_VISITOR = /^vid:[0-9a-f]{32}$/;

const SHAPE = /^([0-9a-f]{8})-([0-9a-f]{4})-8([01])[0-9a-f]{2}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What a request id carries: a position (kind 0) or a pre-queue arrival number (kind 1). */
export interface ClaimedId {
  kind: 'position' | 'arrival';
  /** The position, or the arrival number. */
  number: number;
}

/** A fresh era: 128 random bits as 32 hex characters. */
export function newEra(): string {
  return randomUUID().replaceAll('-', '');
}

/** One kept MAC per event and era (eras change only on a reset; the bound guards memory). */
const MACS = new Map<string, BlockMac>();
const MAX_MACS = 1000;

/** The last one asked for: nearly every call is for one event's current era. */
let last: { era: string; eventId: string; mac: BlockMac } | null = null;

function macOf(era: string, eventId: string): BlockMac {
  if (last !== null && last.era === era && last.eventId === eventId) return last.mac;
  const name = `${era}\n${eventId}`;
  let mac = MACS.get(name);
  if (mac === undefined) {
    if (MACS.size >= MAX_MACS) MACS.clear();
    mac = new BlockMac(blockKey(name, 'anteroom-request-id-v1'));
    MACS.set(name, mac);
  }
  last = { era, eventId, mac };
  return mac;
}

/** The id's 16 bytes: what it carries (bytes 0–6) and 70 bits of their tag. */
function idBytes(era: string, eventId: string, claimed: ClaimedId): Buffer {
  const id = Buffer.alloc(BLOCK_BYTES);
  id.writeUIntBE(claimed.number, 0, 6);
  id[6] = claimed.kind === 'position' ? 0x80 : 0x81;
  const tag = macOf(era, eventId).tag(id);
  id[7] = tag[0]!;
  id[8] = 0x80 | (tag[1]! & 0x3f);
  tag.copy(id, 9, 2, 9);
  return id;
}

/** The request id of `position` in the event's current era. */
export function requestIdFor(era: string, eventId: string, position: number): string {
  return idOf(era, eventId, { kind: 'position', number: position });
}

/** The request id of the `arrival`th visitor of the event's pre-queue, in its current era. */
export function prequeueIdFor(era: string, eventId: string, arrival: number): string {
  return idOf(era, eventId, { kind: 'arrival', number: arrival });
}

function idOf(era: string, eventId: string, claimed: ClaimedId): string {
  const hex = idBytes(era, eventId, claimed).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What an id claims to carry, unverified; null when it is not shaped like one. */
export function claimedId(requestId: string): ClaimedId | null {
  const match = SHAPE.exec(requestId.toLowerCase());
  if (match === null) return null;
  const number = Number.parseInt(match[1]! + match[2]!, 16);
  if (number < 1) return null;
  return { kind: match[3] === '0' ? 'position' : 'arrival', number };
}

/** The position an id claims to carry, unverified; null when it is not shaped like one (or is a pre-queue id). */
export function claimedPosition(requestId: string): number | null {
  const claimed = claimedId(requestId);
  return claimed?.kind === 'position' ? claimed.number : null;
}

/** Whether `requestId`, shaped as carrying `claimed` (`claimedId`), was issued under `era`. */
export function issuedUnder(era: string, eventId: string, requestId: string, claimed: ClaimedId): boolean {
  const given = Buffer.from(requestId.replaceAll('-', ''), 'hex'); // shaped: 32 hex digits
  return timingSafeEqual(idBytes(era, eventId, claimed), given);
}

/** What an id issued under `era` carries, or null when the MAC does not match. */
export function verifiedId(era: string, eventId: string, requestId: string): ClaimedId | null {
  const claimed = claimedId(requestId);
  return claimed !== null && issuedUnder(era, eventId, requestId, claimed) ? claimed : null;
}

/** The position of an id issued under `era`, or null when the MAC does not match (or it is a pre-queue id). */
export function verifiedPosition(era: string, eventId: string, requestId: string): number | null {
  const verified = verifiedId(era, eventId, requestId);
  return verified?.kind === 'position' ? verified.number : null;
}

/**
 * Where a visitor key is kept: its bucket (0 … VISITOR_BUCKETS − 1) and its field, 96 bits of
 * the digest as 16 base64url characters (text, so a script call carrying it stays text: a
 * binary argument sends ioredis down a slower path for the whole call). Two visitors share a
 * field only if their keys' digests agree on 110 bits (bucket included).
 */
export function visitorSlot(visitorKey: string): { bucket: number; field: string } {
  // A server-issued visitor id (`vid:` and 128 random bits, provider/http/visitor-cookie.ts) is
  // a digest already: its own bits place it. Any other key would have to agree with it on 110
  // bits of SHA-256 to share its field.
  const digest =
    visitorKey.length === 36 && SERVER_VISITOR.test(visitorKey)
      ? Buffer.from(visitorKey.slice(4), 'hex')
      : hash('sha256', visitorKey, 'buffer');
  return { bucket: digest.readUInt16BE(0) % VISITOR_BUCKETS, field: digest.toString('base64url', 2, 14) };
}
