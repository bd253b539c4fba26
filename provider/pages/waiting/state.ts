/**
 * What the waiting page shows this browser: read from the event's settings and, when the
 * browser holds a request id for the event, from its live status. Reading never changes state.
 */
import { AnteroomError } from '../../../queue-core/errors.ts';
import type { Room, StatusView, TokenSet } from '../../../queue-core/room/room-api.ts';
import type { EventSettings } from '../../../queue-core/types.ts';

export type WaitingView =
  /** Closed and this browser holds no place. */
  | { kind: 'closed'; event: EventSettings }
  /** No place yet: offer to take one (in pass-through mode: to go straight in). */
  | { kind: 'join'; event: EventSettings; waitingNum: number }
  /** A place in the queue, at any stage; `tokens` only once admitted. */
  | { kind: 'status'; event: EventSettings; status: StatusView; tokens: TokenSet | null };

/** A request id the room does not know (malformed, or gone after a reset) is no place at all. */
function isUnknownRequest(error: unknown): boolean {
  return error instanceof AnteroomError && error.status >= 400 && error.status < 500 && error.status !== 410;
}

async function statusOf(room: Room, eventId: string, requestId: string): Promise<StatusView | null> {
  try {
    return await room.status(eventId, requestId);
  } catch (error) {
    if (isUnknownRequest(error)) return null;
    throw error;
  }
}

/** Re-issuing returns the same claims (API.md), so an admitted visitor can reload and see them again. */
async function tokensOf(room: Room, eventId: string, requestId: string): Promise<TokenSet | null> {
  try {
    const result = await room.generateToken(eventId, requestId);
    return result.status === 200 ? result.tokens : null;
  } catch (error) {
    // Ended or expired between the status read and now: the page shows the status alone.
    if (error instanceof AnteroomError && error.status === 410) return null;
    throw error;
  }
}

export async function loadWaitingView(
  room: Room,
  eventId: string,
  requestId: string | null,
): Promise<WaitingView> {
  const event = await room.getEvent(eventId);
  const status = requestId === null ? null : await statusOf(room, eventId, requestId);
  if (status === null) {
    if (event.mode === 'closed') return { kind: 'closed', event };
    return { kind: 'join', event, waitingNum: await room.waitingNum(eventId) };
  }
  const tokens = status.state === 'admitted' ? await tokensOf(room, eventId, status.request_id) : null;
  return { kind: 'status', event, status, tokens };
}
