/**
 * The admin API's view of an event (`GET /events`, `GET /events/{id}`, `PUT /events/{id}`):
 * its settings as configured (the `events[]` keys of DESIGN.md, without the siteverify secret)
 * plus live counters.
 */
import { beforeOpening, prequeueStart } from '../../queue-core/draw/schedule.ts';
import { redactEvent } from '../../queue-core/entry/settings.ts';
import { type EtaAccuracy, summarizeEta } from '../../queue-core/eta-accuracy.ts';
import { countsPresence } from '../../queue-core/presence/rule.ts';
import { peopleWaiting } from '../../queue-core/room/status-view.ts';
import type { Counters, DrawState, EventSettings } from '../../queue-core/types.ts';
import type { AppDeps } from '../apps/deps.ts';
import { type InletStateView, inletStateView } from './inlet-state.ts';

export interface EventView extends EventSettings {
  counters: {
    /** Last assigned position. */
    queue_number: number;
    serving_counter: number;
    /** The AWS count: positions handed out − tokens issued − positions expired. */
    waiting_num: number;
    /** Positions not yet reached by the serving counter: the people still in the line. */
    people_waiting: number;
    active_tokens: number;
    tokens_issued: number;
    expired_positions: number;
    completed: number;
    abandoned: number;
  };
  /** The adaptive inlet's controller (API.md section 7); null for the other inlets. */
  inlet_state: InletStateView | null;
  /** Where a scheduled event's pre-queue stands (API.md section 6); null without a pre-queue. */
  prequeue: PrequeueView | null;
  /**
   * Absent visitors (API.md section 6): waiting visitors present and absent as the last inlet
   * pass counted them (those back after being passed count as present); null without
   * `abandonAfterSeconds`.
   */
  visitors: VisitorsView | null;
  /** The newest admitted visitors' estimate at joining against their wait (API.md section 6). */
  eta_accuracy: EtaAccuracy;
}

export interface VisitorsView {
  present: number;
  absent: number;
}

/** The present and absent counts of an event counting presence, else null. */
export function visitorsView(settings: EventSettings, counters: Counters): VisitorsView | null {
  if (!countsPresence(settings)) return null;
  return { present: counters.present ?? 0, absent: counters.absent ?? 0 };
}

export interface PrequeueView {
  /**
   * `not_open` before `prequeueAt`; `prequeue` while visitors join it; `drawing` from the close
   * until every participant has a position; `open` once drawn (the queue runs as usual).
   */
  phase: 'not_open' | 'prequeue' | 'drawing' | 'open';
  /** Visitors in the pre-queue (its participants once closed). */
  size: number;
  /** Participants whose drawn position is written (a shuffled draw's progress). */
  written: number;
  prequeue_at: number;
  starts_at: number;
  drawn_at: number | null;
}

function prequeueView(settings: EventSettings, draw: DrawState, now: number): PrequeueView {
  const phase =
    draw.phase === 'drawn'
      ? 'open'
      : draw.phase === 'drawing'
        ? 'drawing'
        : beforeOpening(settings, now)
          ? 'not_open'
          : 'prequeue';
  return {
    phase,
    size: draw.participants,
    written: draw.phase === 'drawn' ? draw.participants : draw.written,
    prequeue_at: settings.schedule?.prequeueAt ?? 0,
    starts_at: settings.schedule?.startAt ?? 0,
    drawn_at: draw.drawnAt,
  };
}

export async function eventView(deps: AppDeps, settings: EventSettings): Promise<EventView> {
  const now = Math.floor(deps.nowMs() / 1000);
  const [counters, waiting, active, inletState, draw, etaSamples] = await Promise.all([
    deps.store.getCounters(settings.id),
    deps.store.waitingCount(settings.id),
    deps.store.activeCount(settings.id, now),
    inletStateView(deps.store, settings, now),
    prequeueStart(settings) === null ? null : deps.store.drawState(settings.id),
    deps.store.etaSamples(settings.id),
  ]);
  return {
    // The siteverify secret is never shown.
    ...redactEvent(settings),
    counters: {
      queue_number: counters.queue,
      serving_counter: counters.serving,
      waiting_num: waiting,
      people_waiting: peopleWaiting(counters),
      active_tokens: active,
      tokens_issued: counters.tokens,
      expired_positions: counters.expired,
      completed: counters.completed,
      abandoned: counters.abandoned,
    },
    inlet_state: inletState,
    prequeue: draw === null ? null : prequeueView(settings, draw, now),
    visitors: visitorsView(settings, counters),
    eta_accuracy: summarizeEta(etaSamples),
  };
}
