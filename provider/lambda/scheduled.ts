/**
 * The scheduled run (EventBridge `rate(1 minute)`): the inlet loop's ticks (inlet and
 * queue-position expiry with auto-advance: `queue-core/room/tick.ts`, the tick `anteroom serve`
 * runs every second), then status events and CloudWatch metrics per event.
 *
 * A periodic inlet may tick faster than the schedule: when an event's interval is under a
 * minute the run stays inside the invocation and ticks on every interval boundary for up to
 * `budgetMs` (70 s by default, never past the Lambda's own deadline). Max-size events are
 * re-checked every `maxSizeEverySeconds` in the same loop so freed places are refilled
 * without waiting for the next minute. Adaptive events tick every second: the lease holder
 * admits at the controller's rate and steps the controller once per interval, reading the
 * origin's signal (probe or Prometheus) from this function. `advanceOnTick` makes every
 * periodic tick exactly-once, and the inlet lease lets one container steer a max-size or an
 * adaptive event, however many invocations overlap or retry.
 *
 * An event with a pre-queue whose start falls inside the run is ticked at its start, so its
 * draw happens on time (not at the next minute); `prequeue_opened` and `draw_completed` are
 * published once each across every invocation (a key claimed in the store).
 *
 * The runs overlap on purpose: a run that stopped before the next minute's invocation began
 * would leave the ticks due in between to nobody (with a 45-second run, a quarter of a 1 s
 * inlet's admissions). Running 70 s, each run covers the start of the next one, and the tick
 * both could take is taken once. At its end a run releases the max-size lease it held, so the
 * next run takes over steering on its next check rather than when the lease expires.
 */

import { prequeueStart } from '../../queue-core/draw/schedule.ts';
import { periodicDecision } from '../../queue-core/inlet.ts';
import type { Room } from '../../queue-core/room/room-api.ts';
import { tickEvent } from '../../queue-core/room/tick.ts';
import type { DrawState, EventSettings, QueueStore } from '../../queue-core/types.ts';
import { readOriginSignal } from '../signals/signal-reader.ts';
import type { Logger } from '../telemetry/logger.ts';
import { emfLine } from './emf.ts';
import type { EventPublisher } from './events.ts';

export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ScheduledDeps {
  store: QueueStore;
  room: Room;
  /** The secret draw seeds derive from (`queue-core/draw/seed.ts`): shuffled pre-queues are drawn here too. */
  drawSecret?: (() => Buffer) | undefined;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface ScheduledOptions {
  publisher: EventPublisher;
  /** Names this container for the max-size lease. */
  owner: string;
  clock?: Clock;
  /** The Lambda context's `getRemainingTimeInMillis` (the loop stops well before it). */
  remainingMs?: () => number;
  /** Longest time the run keeps ticking (default 70 s: past the next invocation's start). */
  budgetMs?: number;
  /** Margin kept before the Lambda deadline (default 5 s). */
  safetyMs?: number;
  /** Max-size re-check period inside the loop (default 5 s). */
  maxSizeEverySeconds?: number;
  /** Where EMF lines go (default: stdout, which Lambda ships to CloudWatch Logs). */
  writeLine?: (line: string) => void;
}

export interface EventRunReport {
  eventId: string;
  /** Inlet ticks this run performed (acted). */
  ticks: number;
  /** Serving-counter increase made by this run's inlet ticks. */
  inletIncrement: number;
  /** Positions newly expired, and the auto-advance they caused. */
  expired: number;
  autoAdvanced: number;
  servingBefore: number;
  servingAfter: number;
}

const DEFAULT_BUDGET_MS = 70_000;
const DEFAULT_SAFETY_MS = 5_000;
const DEFAULT_MAX_SIZE_EVERY_SECONDS = 5;

/** One scheduled run over every event. Rejects when any event's run failed (after the others ran). */
export async function runScheduled(
  deps: ScheduledDeps,
  options: ScheduledOptions,
): Promise<EventRunReport[]> {
  const clock = options.clock ?? systemClock;
  const startMs = clock.nowMs();
  const budget = Math.min(
    options.budgetMs ?? DEFAULT_BUDGET_MS,
    (options.remainingMs?.() ?? Number.POSITIVE_INFINITY) - (options.safetyMs ?? DEFAULT_SAFETY_MS),
  );
  const deadlineMs = startMs + Math.max(0, budget);
  const events = await deps.room.listEvents();
  const runs = new Map<string, EventRunReport>();
  const failures: unknown[] = [];
  const guarded = async (event: EventSettings, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      failures.push(error);
      deps.logger.error({ err: error, event_id: event.id }, 'scheduled run failed for event');
    }
  };

  // Step 1: what the counters were, then the tick due now and the expiry pass.
  for (const event of events) {
    await guarded(event, async () => {
      const serving = await deps.store.getServingCounter(event.id);
      runs.set(event.id, {
        eventId: event.id,
        ticks: 0,
        inletIncrement: 0,
        expired: 0,
        autoAdvanced: 0,
        servingBefore: serving,
        servingAfter: serving,
      });
      await tick(deps, options, event, runs.get(event.id)!, startMs);
    });
  }

  // Step 2: sub-minute inlets keep ticking (the whole tick) inside this invocation, bounded by the deadline.
  const looping = events.filter(
    (event) => runs.has(event.id) && (loopsInside(event) || drawAhead(event, startMs)),
  );
  const maxSizeEvery = (options.maxSizeEverySeconds ?? DEFAULT_MAX_SIZE_EVERY_SECONDS) * 1000;
  const nextMaxSize = new Map(looping.map((event) => [event.id, startMs + maxSizeEvery]));
  for (;;) {
    const now = clock.nowMs();
    const due = looping
      .map((event) => ({ event, at: nextTickMs(event, now, nextMaxSize.get(event.id)!) }))
      .filter(
        (item): item is { event: EventSettings; at: number } => item.at !== null && item.at <= deadlineMs,
      );
    if (due.length === 0) break;
    const at = Math.min(...due.map((item) => item.at));
    await clock.sleep(Math.max(0, at - now));
    for (const { event } of due.filter((item) => item.at === at)) {
      if (event.inlet.type === 'max-size') nextMaxSize.set(event.id, at + maxSizeEvery);
      await guarded(event, () => tick(deps, options, event, runs.get(event.id)!, at));
    }
  }

  // The next run steers max-size events from its next check, not after the lease's ttl.
  await deps.room.releaseLeases(options.owner).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'could not release the inlet leases (they expire on their own)');
  });

  // Step 3: status events and metrics.
  const endMs = clock.nowMs();
  for (const event of events) {
    const run = runs.get(event.id);
    if (!run) continue;
    await guarded(event, () => report(deps, options, run, endMs));
  }
  await options.publisher.flush();
  if (failures.length > 0) throw failures[0];
  return [...runs.values()];
}

/** Events whose inlet is worth re-running within one minute. */
function loopsInside(event: EventSettings): boolean {
  if (event.mode !== 'queue') return false;
  if (event.inlet.type === 'periodic') return event.inlet.intervalSeconds < 60;
  return event.inlet.type === 'max-size' || event.inlet.type === 'adaptive';
}

/** The event's pre-queue is drawn at a start still ahead of `nowMs`. */
function drawAhead(event: EventSettings, nowMs: number): boolean {
  const startAt = prequeueStart(event);
  return startAt !== null && nowMs < startAt * 1000;
}

/** When the event's inlet should next run (epoch ms), or null when it never will again. */
function nextTickMs(event: EventSettings, nowMs: number, maxSizeAt: number): number | null {
  // The draw at the start, on time; then only an inlet worth looping for keeps the event here.
  if (drawAhead(event, nowMs)) return prequeueStart(event)! * 1000;
  if (!loopsInside(event)) return null;
  const inlet = event.inlet;
  if (inlet.type === 'max-size') return maxSizeAt;
  if (inlet.type === 'adaptive') return (Math.floor(nowMs / 1000) + 1) * 1000;
  if (inlet.type !== 'periodic') return null;
  const now = Math.floor(nowMs / 1000);
  const start = inlet.startTime ?? 0;
  const decision = periodicDecision(inlet, now);
  const nextSecond = now < start ? start : start + ((decision?.tick ?? -1) + 1) * inlet.intervalSeconds;
  if (inlet.endTime !== undefined && nextSecond >= inlet.endTime) return null;
  return nextSecond * 1000;
}

/** The inlet loop's one tick (`queue-core/room/tick.ts`, as `anteroom serve` runs it), counted in `run`. */
async function tick(
  deps: ScheduledDeps,
  options: ScheduledOptions,
  event: EventSettings,
  run: EventRunReport,
  atMs: number,
): Promise<void> {
  const now = Math.floor(atMs / 1000);
  const { inlet, expiry, draw } = await tickEvent(deps.store, event, now, options.owner, {
    readSignal: readOriginSignal,
    drawSecret: deps.drawSecret,
  });
  await announceSchedule(deps.store, options, event, now, draw);
  if (inlet.acted) {
    run.ticks += 1;
    run.inletIncrement += inlet.incrementBy;
  }
  if (expiry === null) return;
  run.expired += expiry.newlyExpired;
  if (expiry.advancedBy <= 0) return;
  run.autoAdvanced += expiry.advancedBy;
  options.publisher.publish('automatic_serving_counter_incr', {
    event_id: event.id,
    previous_serving_counter_position: expiry.serving - expiry.advancedBy,
    increment_by: expiry.advancedBy,
    current_serving_counter_position: expiry.serving,
  });
}

/** How long the claim that an announcement was made is kept (a sale's pre-queue and draw are over by then). */
const ANNOUNCED_TTL_SECONDS = 30 * 86_400;

/**
 * `prequeue_opened` while the pre-queue is open and `draw_completed` once drawn, each published
 * by the one invocation that claims its key (named by the event and its schedule, so the next
 * sale of the same event is announced again).
 */
async function announceSchedule(
  store: QueueStore,
  options: ScheduledOptions,
  event: EventSettings,
  now: number,
  draw: DrawState | undefined,
): Promise<void> {
  const schedule = event.schedule;
  if (schedule?.prequeueAt === undefined) return;
  const once = async (name: string) =>
    (
      await store.claimIdempotencyKey(
        `announced:${name}:${event.id}:${schedule.startAt}`,
        ANNOUNCED_TTL_SECONDS,
        now * 1000,
      )
    ).kind === 'claimed';
  if (now >= schedule.prequeueAt && now < schedule.startAt && (await once('prequeue_opened'))) {
    options.publisher.publish('prequeue_opened', {
      event_id: event.id,
      prequeue_at: schedule.prequeueAt,
      starts_at: schedule.startAt,
    });
  }
  // Announced within the hour after the draw (not claimed again on every tick after it).
  const justDrawn = draw?.phase === 'drawn' && draw.drawnAt !== null && now - draw.drawnAt < 3600;
  if (justDrawn && (await once('draw_completed'))) {
    options.publisher.publish('draw_completed', {
      event_id: event.id,
      algorithm: event.draw === 'shuffle' ? 'hmac-sha256' : 'fifo',
      participants: draw!.participants,
      starts_at: schedule.startAt,
      drawn_at: draw!.drawnAt,
    });
  }
}

async function report(deps: ScheduledDeps, options: ScheduledOptions, run: EventRunReport, atMs: number) {
  const now = Math.floor(atMs / 1000);
  const [counters, waiting, active] = await Promise.all([
    deps.store.getCounters(run.eventId),
    deps.store.waitingCount(run.eventId),
    deps.store.activeCount(run.eventId, now),
  ]);
  run.servingAfter = counters.serving;
  const moved = run.inletIncrement + run.autoAdvanced;
  if (moved > 0) {
    // Only the run that moved the counter reports it, so overlapping runs do not duplicate it.
    // `increment_by` is this run's own movement, so summing the events never double counts.
    options.publisher.publish('serving_counter_changed', {
      event_id: run.eventId,
      previous_serving_counter: counters.serving - moved,
      serving_counter: counters.serving,
      increment_by: moved,
      cause: 'schedule',
    });
  }
  options.publisher.publish('waiting_room_metrics', {
    event_id: run.eventId,
    num_active_tokens: active,
    total_num_tokens: counters.tokens,
    queue_counter: counters.queue,
    serving_number: counters.serving,
    completed_sessions: counters.completed,
    abandoned_sessions: counters.abandoned,
    waiting_num: waiting,
  });
  const line = emfLine(
    {
      eventId: run.eventId,
      queueLength: Math.max(0, counters.queue - counters.serving),
      servingCounter: counters.serving,
      admissionRate: Math.max(0, counters.serving - run.servingBefore),
      waiting,
      activeSessions: active,
    },
    atMs,
  );
  (options.writeLine ?? ((text: string) => process.stdout.write(`${text}\n`)))(line);
}
