/**
 * A secret every process sharing the signing keys derives alike, with nothing more to keep:
 * HMAC of the oldest key's private part (rotations add newer keys, so it stays the same until
 * that key is removed). Signs the proof-of-work prefixes.
 */
import { createHmac } from 'node:crypto';
import type { KeyRing } from '../signing-keys/key-ring.ts';

const derived = new WeakMap<KeyRing, { kid: string; purpose: string; secret: Buffer }>();

export function derivedSecret(keys: KeyRing, purpose: string): Buffer {
  const oldest = keys
    .summary()
    .reduce((a, b) => (b.createdAt < a.createdAt || (b.createdAt === a.createdAt && b.kid < a.kid) ? b : a));
  const known = derived.get(keys);
  if (known?.kid === oldest.kid && known.purpose === purpose) return known.secret;
  const key = keys.toDocument().keys.find((stored) => stored.kid === oldest.kid)!;
  const secret = createHmac('sha256', String(key.d))
    .update(`anteroom-derived-secret-v1\n${purpose}`)
    .digest();
  derived.set(keys, { kid: oldest.kid, purpose, secret });
  return secret;
}
