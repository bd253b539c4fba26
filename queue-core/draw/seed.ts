/**
 * The seed of an event's draw: 32 bytes fixed when the event is configured, kept nowhere but
 * derived again by every process from the server's secret (`entry/secret.ts`: the oldest
 * signing key), the event id and its `startAt`. A store that restarts empty, a new process, a
 * Lambda container: all derive the same seed, so its commitment never changes. A new `startAt`
 * (a new sale) draws with a new seed, so a seed made public by one draw is never used again.
 */
import { createHmac } from 'node:crypto';
import { derivedSecret } from '../entry/secret.ts';
import type { KeyRing } from '../signing-keys/key-ring.ts';
import type { EventSettings } from '../types.ts';

/** The server secret every process derives draw seeds from: the same wherever the keys are. */
export function drawSecretOf(keys: KeyRing): Buffer {
  return derivedSecret(keys, 'draw-seed');
}

/** The seed of `event`'s draw; null when the event has no schedule. */
export function drawSeed(secret: Buffer, event: EventSettings): Buffer | null {
  if (event.schedule === undefined) return null;
  return createHmac('sha256', secret)
    .update(`anteroom-draw-seed-v1\n${event.id}\n${event.schedule.startAt}`)
    .digest();
}
