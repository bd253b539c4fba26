/**
 * A visitor's status (API.md `GET /status`, and every `status` event of the stream), derived
 * without a store call from three parts:
 *   - the event's snapshot: what every visitor of the event sees alike (settings, counters,
 *     serving history), read once per process and change (event-watch.ts);
 *   - the visitor's fixed fields: position, entry time, request id (read once, never change);
 *   - the visitor's own state, which exists only once their position is reached: their session
 *     (admitted, ended) or their claim window (running, expired), read from the store.
 * The poll (`room.status`) and the streams (`room.followStatus`) derive it the same way.
 */

import { countsPresence } from '../presence/rule.ts';
import type {
  Counters,
  DrawState,
  EventSettings,
  QueueEntry,
  ServingHistoryRow,
  SessionRecord,
} from '../types.ts';
import { estimateWait } from '../wait-estimate.ts';
import type { StatusView } from './room-api.ts';

/** What every visitor of one event sees alike, as one process last read it. */
export interface EventSnapshot {
  event: EventSettings;
  counters: Counters;
  /** The serving counter's recent history (the wait estimate's input). */
  history: ServingHistoryRow[];
  /** The pre-queue's draw (API.md section 6); null when the event has no pre-queue. */
  draw: DrawState | null;
  /** When it was read (the process's ms clock). */
  readAtMs: number;
}

/** A reached visitor's own state, as last read from the store. */
export interface VisitorState {
  session: SessionRecord | null;
  /**
   * Without a session: the claim window, as `positionExpiry` answered it; `passed`: the counter
   * passed them while they were absent, and the inlet has not let them in yet (API.md section 6).
   */
  window: 'open' | 'running' | 'expired' | 'passed';
  /** `running`: the epoch second the window closes (now + expiresIn when read). */
  closesAt: number | null;
}

/** The AWS-compatible waiting count: positions assigned − tokens issued − positions expired. */
export function waitingNum(counters: Counters): number {
  return Math.max(0, counters.queue - counters.tokens - counters.expired);
}

/** The event holds its visitors in a pre-queue: its draw is not done (nobody has a position or is admitted). */
export function inPrequeue(snapshot: EventSnapshot): boolean {
  return snapshot.draw !== null && snapshot.draw.phase !== 'drawn';
}

/**
 * People in the line as a visitor means it: positions handed out that the serving counter has
 * not reached. Unlike `waitingNum`, a place let in but never claimed is not counted.
 */
export function peopleWaiting(counters: Counters): number {
  return Math.max(0, counters.queue - counters.serving);
}

/** Whether a position has been reached, so the visitor has state of their own (a session, a window). */
export function isReached(snapshot: EventSnapshot, position: number | null): boolean {
  if (position === null || inPrequeue(snapshot)) return false;
  return position <= snapshot.counters.serving || snapshot.event.mode === 'passthrough';
}

/**
 * The status of `entry` under `snapshot` at `now` (epoch seconds). `visitor` is the visitor's
 * own state when the position is reached (null: not reached, or not read yet, which shows as
 * eligible without a window: never as admitted, which only a session read from the store shows).
 */
export function deriveStatus(
  snapshot: EventSnapshot,
  entry: Pick<QueueEntry, 'requestId' | 'position' | 'entryTime'>,
  visitor: VisitorState | null,
  now: number,
): StatusView {
  const { event, counters } = snapshot;
  const serving = counters.serving;
  const startsAt = event.schedule?.startAt ?? null;
  if (entry.position === null || inPrequeue(snapshot)) {
    // In the pre-queue, or its draw is running: no position to tell yet, nobody admitted.
    return {
      event_id: event.id,
      request_id: entry.requestId,
      queue_number: null,
      entry_time: entry.entryTime,
      serving_counter: serving,
      waiting_num: waitingNum(counters),
      ahead: null,
      eligible: false,
      eta_seconds: null,
      expires_in: null,
      mode: event.mode,
      admitted: false,
      state: 'waiting',
      phase: 'prequeue',
      starts_at: startsAt,
      ...soldOut(event),
    };
  }
  const position = entry.position;
  let state: StatusView['state'] = 'waiting';
  let expiresIn: number | null = null;
  let admitted = false;
  if (isReached(snapshot, entry.position)) {
    const session = visitor?.session ?? null;
    if (session) {
      admitted = true;
      state = session.status === 'active' ? 'admitted' : 'ended';
    } else if (visitor?.window === 'expired') {
      state = 'expired';
    } else if (visitor?.window === 'passed') {
      state = 'waiting'; // back after being passed while absent: let in by the inlet's next pass
    } else {
      state = 'eligible';
      if (visitor?.window === 'running' && visitor.closesAt !== null) {
        expiresIn = Math.max(0, visitor.closesAt - now);
      }
    }
  }
  let eta: number | null = 0;
  if (visitor?.window === 'passed' && state === 'waiting') {
    eta = null;
  } else if (state === 'waiting') {
    eta = estimateWait(event, { position, serving, history: snapshot.history, now });
  } else if (state === 'expired' || state === 'ended') {
    eta = null;
  }
  return {
    event_id: event.id,
    request_id: entry.requestId,
    queue_number: position,
    entry_time: entry.entryTime,
    serving_counter: serving,
    waiting_num: waitingNum(counters),
    ahead: Math.max(0, position - serving - 1),
    eligible: state === 'eligible' || state === 'admitted',
    eta_seconds: eta,
    expires_in: expiresIn,
    mode: event.mode,
    admitted,
    state,
    phase: 'queue',
    starts_at: startsAt,
    ...soldOut(event),
    ...present(event, counters),
  };
}

/** Absent visitors: present waiting visitors as the last inlet pass counted them (API.md section 6). */
function present(event: EventSettings, counters: Counters): { present?: number } {
  return countsPresence(event) ? { present: counters.present ?? 0 } : {};
}

/** With mode `sold_out`, the operator's message (null: none given) rides with every status. */
function soldOut(event: EventSettings): { sold_out_message?: string | null } {
  return event.mode === 'sold_out' ? { sold_out_message: event.soldOutMessage ?? null } : {};
}
