/**
 * What the waiting page shows this browser: read from the event's settings and, when the
 * browser holds a request id for the event, from its place. Reading never changes state.
 */
import type { ChallengeOffer } from '../../../queue-core/entry/gate.ts';
import type { Room, StatusView, TokenSet } from '../../../queue-core/room/room-api.ts';
import type { EventSettings } from '../../../queue-core/types.ts';

export type WaitingView =
  /** Closed and this browser holds no place. */
  | { kind: 'closed'; event: EventSettings }
  /**
   * No place yet: offer to take one (in pass-through mode: to go straight in). `challenge`: the
   * entry challenge to answer with it (a fresh proof-of-work prefix, or the widget), else null;
   * `failed` when the last answer was refused; `placeLost`: this browser held a place the store no
   * longer knows (the event was reset).
   */
  | {
      kind: 'join';
      event: EventSettings;
      peopleWaiting: number;
      challenge?: ChallengeOffer | null;
      failed?: boolean;
      placeLost?: boolean;
    }
  /** A place in the queue, at any stage; `tokens` only once admitted. */
  | { kind: 'status'; event: EventSettings; status: StatusView; tokens: TokenSet | null };

export async function loadWaitingView(
  room: Room,
  eventId: string,
  requestId: string | null,
): Promise<WaitingView> {
  const event = await room.getEvent(eventId);
  const place = requestId === null ? null : await room.findPlace(eventId, requestId);
  if (place === null || place.kind === 'none') {
    if (event.mode === 'closed' || event.mode === 'sold_out') return { kind: 'closed', event };
    return {
      kind: 'join',
      event,
      peopleWaiting: await room.peopleWaiting(eventId),
      challenge: room.challengeFor(event),
      placeLost: place !== null && place.kind === 'none',
    };
  }
  // Re-signing returns the same claims (API.md), so an admitted visitor can reload and see them again.
  const tokens =
    place.status.state === 'admitted' && place.session !== null ? await room.signTokens(place.session) : null;
  return { kind: 'status', event, status: place.status, tokens };
}
