/**
 * The proof-of-work entry challenge (API.md section 6): the server hands out a signed prefix,
 * the visitor finds a nonce such that SHA-256 of the UTF-8 string `<prefix>:<nonce>` starts
 * with `difficulty` zero bits (2^difficulty hashes on average), and sends `<prefix>:<nonce>`.
 *
 * Issuing is stateless: the prefix carries its difficulty and expiry and an HMAC binding them
 * to the event, so nothing is stored until an answer is checked; the store then remembers a
 * spent prefix until it expires (single use). A prefix is base64url text: it has no `:`.
 *
 * Layout (40 bytes, 54 characters): version 1, difficulty, expiry (6 bytes, epoch seconds,
 * big-endian), 16 random bytes, then the first 16 bytes of HMAC-SHA256(secret, tag, event, the
 * 24 bytes before).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a `challenge_required` answer carries for a proof-of-work event. */
export interface PowOffer {
  type: 'pow';
  algorithm: 'sha256';
  prefix: string;
  difficulty: number;
  /** Epoch seconds; an answer after it is refused. */
  expires_at: number;
}

export type PowVerdict =
  | { kind: 'missing' }
  /** Malformed, forged, for another event, too easy, expired, or the hash is not small enough. */
  | { kind: 'invalid' }
  /** A correct answer; `prefix` must still be spent (single use) until `expiresAt`. */
  | { kind: 'valid'; prefix: string; expiresAt: number };

const VERSION = 1;
const PAYLOAD_BYTES = 24;
const MAC_BYTES = 16;
const PREFIX_LENGTH = Math.ceil(((PAYLOAD_BYTES + MAC_BYTES) * 4) / 3);
const MAC_TAG = 'anteroom-pow-v1';
/** A nonce is what the visitor chose: 1–64 printable ASCII characters. */
const NONCE = /^[\x21-\x7e]{1,64}$/;

/** A fresh challenge for `eventId`, valid `ttlSeconds` from `now`. */
export function issuePow(
  secret: Buffer,
  eventId: string,
  difficulty: number,
  now: number,
  ttlSeconds: number,
): PowOffer {
  const expiresAt = now + ttlSeconds;
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload.writeUInt8(VERSION, 0);
  payload.writeUInt8(difficulty, 1);
  payload.writeUIntBE(expiresAt, 2, 6);
  randomBytes(16).copy(payload, 8);
  const prefix = Buffer.concat([payload, mac(secret, eventId, payload)]).toString('base64url');
  return { type: 'pow', algorithm: 'sha256', prefix, difficulty, expires_at: expiresAt };
}

/**
 * Check an `Anteroom-Challenge` answer against the event's current difficulty: a prefix issued
 * for a higher difficulty still counts (an operator lowering it does not void answers in work).
 */
export function checkPow(
  secret: Buffer,
  eventId: string,
  difficulty: number,
  answer: string | undefined,
  now: number,
): PowVerdict {
  if (answer === undefined || answer === '') return { kind: 'missing' };
  const colon = answer.indexOf(':');
  const prefix = answer.slice(0, colon);
  if (colon !== PREFIX_LENGTH || !NONCE.test(answer.slice(colon + 1))) return { kind: 'invalid' };
  const bytes = Buffer.from(prefix, 'base64url');
  if (bytes.length !== PAYLOAD_BYTES + MAC_BYTES || bytes.toString('base64url') !== prefix)
    return { kind: 'invalid' };
  const payload = bytes.subarray(0, PAYLOAD_BYTES);
  if (!timingSafeEqual(bytes.subarray(PAYLOAD_BYTES), mac(secret, eventId, payload)))
    return { kind: 'invalid' };
  const issuedDifficulty = payload.readUInt8(1);
  const expiresAt = payload.readUIntBE(2, 6);
  if (payload.readUInt8(0) !== VERSION || issuedDifficulty < difficulty || now > expiresAt)
    return { kind: 'invalid' };
  const digest = createHash('sha256').update(answer, 'utf8').digest();
  if (leadingZeroBits(digest) < issuedDifficulty) return { kind: 'invalid' };
  return { kind: 'valid', prefix, expiresAt };
}

/** How many zero bits `digest` starts with. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

function mac(secret: Buffer, eventId: string, payload: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`${MAC_TAG}\n${eventId}\n`)
    .update(payload)
    .digest()
    .subarray(0, MAC_BYTES);
}
