/**
 * The admin API's view of an event (`GET /events`, `GET /events/{id}`, `PUT /events/{id}`):
 * its settings as configured (the `events[]` keys of DESIGN.md, without the siteverify secret)
 * plus live counters.
 */
import { redactEvent } from '../../queue-core/entry/settings.ts';
import { peopleWaiting } from '../../queue-core/room/status-view.ts';
import type { EventSettings } from '../../queue-core/types.ts';
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
}

export async function eventView(deps: AppDeps, settings: EventSettings): Promise<EventView> {
  const now = Math.floor(deps.nowMs() / 1000);
  const [counters, waiting, active, inletState] = await Promise.all([
    deps.store.getCounters(settings.id),
    deps.store.waitingCount(settings.id),
    deps.store.activeCount(settings.id, now),
    inletStateView(deps.store, settings, now),
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
  };
}
