/**
 * The scheduled handler: sub-minute periodic ticks inside one invocation, each tick exactly
 * once even when two containers run the same minute concurrently, expiry with auto-advance,
 * status events and CloudWatch EMF lines. Events go to an in-memory publisher, or to a fake
 * EventBridge client (EventBridge itself is unreachable from the test machine) to check the
 * PutEvents input. A fake clock runs a 70-second invocation in milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type EventBridgeLike,
  EventBridgePublisher,
  MemoryPublisher,
  type PutEventsCommand,
} from '../../provider/lambda/events.ts';
import type { Clock, EventRunReport } from '../../provider/lambda/scheduled.ts';
import { accrue, controlDue, controlStep, initialAdaptiveState } from '../../queue-core/adaptive-inlet.ts';
import { readAdaptiveState } from '../../queue-core/adaptive-tick.ts';
import { drawKey, participantDigest } from '../../queue-core/draw/order.ts';
import { parseEvent } from '../../queue-core/event-settings.ts';
import { createStore } from '../../queue-core/store/create-store.ts';
import type { AdaptiveInlet, QueueStore } from '../../queue-core/types.ts';
import { ORIGIN_QUERIES, Origin } from '../support/proving-ground/origin.ts';
import { type RedisServer, redisSkipReason, startRedis } from '../support/redis.ts';
import { createFixture, type Fixture } from './fixture.ts';

const skip = redisSkipReason();
/** A minute boundary (epoch seconds). */
const T0 = 1_900_000_020;

/** Sleeping advances this container's clock at once (each container has its own clock). */
function fakeClock(startMs: number): Clock {
  let now = startMs;
  return {
    nowMs: () => now,
    async sleep(ms) {
      now += ms;
      // Let the other container's invocation interleave, as real concurrency would.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** The CDK app's timeout for the scheduled function: 80 s. */
function context(remainingMs = 80_000) {
  return {
    awsRequestId: crypto.randomUUID(),
    functionName: 'anteroom-scheduled',
    getRemainingTimeInMillis: () => remainingMs,
  };
}

const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date(T0 * 1000).toISOString(),
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/anteroom-schedule'],
  detail: {},
};

function byEvent(reports: EventRunReport[], eventId: string): EventRunReport {
  const report = reports.find((item) => item.eventId === eventId);
  assert.ok(report, `a report for ${eventId}`);
  return report;
}

describe('scheduled handler', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;
  let store: QueueStore;

  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, {
      events: [
        { id: 'fast', inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 10, startTime: T0 } },
        { id: 'slow', inlet: { type: 'periodic', incrementBy: 5, intervalSeconds: 60, startTime: T0 } },
        {
          id: 'exp',
          inlet: { type: 'manual' },
          queuePositionExpirySeconds: 60,
          incrementServingOnExpiry: true,
        },
      ],
    });
    store = createStore({ type: 'redis', url: redis.url });
    // The periodic inlet admits only visitors actually queued: enough for every tick below.
    for (const [eventId, count] of [
      ['fast', 40],
      ['slow', 20],
    ] as const) {
      for (let index = 0; index < count; index += 1) {
        await store.enqueue(eventId, { now: T0 - 300 });
      }
    }
  });
  after(async () => {
    await store?.close();
    await fixture?.close();
    await redis?.stop();
  });

  test('two containers running the same minute concurrently tick each periodic tick once', async () => {
    // Three visitors reached by the counter 200 s ago never claimed a token: expiry is due.
    for (let index = 0; index < 3; index += 1) {
      await store.enqueue('exp', { now: T0 - 200 });
    }
    await store.incrementServingCounter('exp', 2, T0 - 200);

    const runs = [0, 1].map(() => {
      const publisher = new MemoryPublisher();
      const lines: string[] = [];
      const handlers = fixture.container({
        publisher,
        scheduled: { clock: fakeClock(T0 * 1000 + 500), writeLine: (line) => lines.push(line) },
      });
      return { publisher, lines, handlers };
    });
    // Warm both containers first, so their runs really race on the same ticks.
    await Promise.all(runs.map((run) => run.handlers.container.get()));
    const reports = await Promise.all(
      runs.map((run) => run.handlers.scheduledHandler(SCHEDULED_EVENT, context())),
    );

    // `fast` ticks at T0, T0+10 … T0+70 (a run lasts 70 s): eight ticks of 2, each done by
    // exactly one container.
    assert.equal(await store.getServingCounter('fast'), 16);
    const fastTicks = reports.map((report) => byEvent(report, 'fast').ticks);
    assert.equal(fastTicks[0]! + fastTicks[1]!, 8);
    // `slow` (60 s interval) ticks once per minute and does not loop.
    assert.equal(await store.getServingCounter('slow'), 5);
    assert.equal(byEvent(reports[0]!, 'slow').ticks + byEvent(reports[1]!, 'slow').ticks, 1);

    // Expiry: two unclaimed positions expired once, and auto-advance moved the counter by 2.
    const advanced = reports.map((report) => byEvent(report, 'exp').autoAdvanced);
    assert.equal(advanced[0]! + advanced[1]!, 2);
    assert.equal(await store.getServingCounter('exp'), 4);
    const automatic = runs.flatMap((run) => run.publisher.ofType('automatic_serving_counter_incr'));
    assert.deepEqual(automatic, [
      {
        event_id: 'exp',
        previous_serving_counter_position: 2,
        increment_by: 2,
        current_serving_counter_position: 4,
      },
    ]);

    // serving_counter_changed: only the container that moved a counter reports it, so the
    // increments add up to the real movement without double counting.
    const changed = runs.flatMap((run) => run.publisher.ofType('serving_counter_changed'));
    const moved = (eventId: string) =>
      changed
        .filter((detail) => detail.event_id === eventId)
        .reduce((sum, detail) => sum + Number(detail.increment_by), 0);
    assert.equal(moved('fast'), 16);
    assert.equal(moved('slow'), 5);
    assert.equal(moved('exp'), 2);
    for (const detail of changed) {
      assert.equal(
        Number(detail.serving_counter) - Number(detail.previous_serving_counter),
        detail.increment_by,
      );
    }

    // waiting_room_metrics: every event, every run, integer fields, event_id.
    for (const run of runs) {
      const metrics = run.publisher.ofType('waiting_room_metrics');
      assert.deepEqual(metrics.map((detail) => detail.event_id).sort(), ['exp', 'fast', 'slow']);
      for (const detail of metrics) {
        for (const key of [
          'num_active_tokens',
          'total_num_tokens',
          'queue_counter',
          'serving_number',
          'completed_sessions',
          'abandoned_sessions',
          'waiting_num',
        ]) {
          assert.ok(Number.isInteger(detail[key]), `${key} is an integer in ${JSON.stringify(detail)}`);
        }
      }
      const exp = metrics.find((detail) => detail.event_id === 'exp')!;
      assert.equal(exp.queue_counter, 3);
      assert.equal(exp.waiting_num, 1, 'three positions, two expired, no token');
    }

    // CloudWatch EMF: one line per event per run, namespace Anteroom, dimension EventId.
    for (const run of runs) {
      assert.equal(run.lines.length, 3);
      for (const line of run.lines) {
        const document = JSON.parse(line);
        const directive = document._aws.CloudWatchMetrics[0];
        assert.equal(directive.Namespace, 'Anteroom');
        assert.deepEqual(directive.Dimensions, [['EventId']]);
        assert.deepEqual(
          directive.Metrics.map((metric: { Name: string }) => metric.Name),
          ['QueueLength', 'ServingCounter', 'AdmissionRate', 'Waiting', 'ActiveSessions'],
        );
        assert.equal(typeof document._aws.Timestamp, 'number');
        for (const metric of directive.Metrics) assert.ok(Number.isInteger(document[metric.Name]));
      }
    }
    const expLine = runs
      .flatMap((run) => run.lines.map((line) => JSON.parse(line)))
      .find((document) => document.EventId === 'exp');
    assert.equal(expLine.ServingCounter, 4);
    assert.equal(expLine.Waiting, 1);
  });

  test('a retried or duplicate invocation of the same minute changes nothing', async () => {
    const publisher = new MemoryPublisher();
    const handlers = fixture.container({
      publisher,
      scheduled: { clock: fakeClock(T0 * 1000 + 500), writeLine: () => {} },
    });
    const report = await handlers.scheduledHandler(SCHEDULED_EVENT, context());
    assert.equal(byEvent(report, 'fast').ticks, 0);
    assert.equal(byEvent(report, 'slow').ticks, 0);
    assert.equal(await store.getServingCounter('fast'), 16);
    assert.deepEqual(publisher.ofType('serving_counter_changed'), []);
    assert.equal(publisher.ofType('waiting_room_metrics').length, 3);
  });

  test('the loop stays inside the Lambda deadline', async () => {
    const publisher = new MemoryPublisher();
    const handlers = fixture.container({
      publisher,
      scheduled: { clock: fakeClock((T0 + 120) * 1000 + 500), writeLine: () => {} },
    });
    // 20 s left, minus the 5 s safety margin: ticks at T0+120 and T0+130 only.
    const report = await handlers.scheduledHandler(SCHEDULED_EVENT, context(20_000));
    assert.equal(byEvent(report, 'fast').ticks, 2);
    assert.equal(await store.getServingCounter('fast'), 20);
  });

  test('runs a minute apart overlap, so no tick due between two invocations is lost', async () => {
    // A 1 s inlet: a run that stopped short of the next minute's start would skip the seconds
    // in between (a 55 s run: four a minute).
    const brisk = createFixture(redis.url, {
      events: [
        { id: 'brisk', inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 1, startTime: T0 } },
      ],
    });
    try {
      for (let index = 0; index < 200; index += 1) {
        await store.enqueue('brisk', { now: T0 });
      }
      const run = async (startSecond: number) => {
        const handlers = brisk.container({
          publisher: new MemoryPublisher(),
          scheduled: { clock: fakeClock(startSecond * 1000 + 500), writeLine: () => {} },
        });
        return byEvent(await handlers.scheduledHandler(SCHEDULED_EVENT, context()), 'brisk').ticks;
      };
      // The first run ticks T0+180 … T0+250; the second, started at T0+240, goes on from T0+251.
      const ticks = [await run(T0 + 180), await run(T0 + 240)];
      assert.deepEqual(ticks, [71, 60]);
      assert.equal(await store.getServingCounter('brisk'), 131, 'every second from T0+180 to T0+310, once');
    } finally {
      await brisk.close();
    }
  });

  test('a run gives up the max-size lease when it ends, so the next run steers at once', async () => {
    const steered = createFixture(redis.url, {
      events: [{ id: 'steered', inlet: { type: 'max-size', maxActive: 3 } }],
    });
    const inspector = createStore({ type: 'redis', url: redis.url });
    try {
      for (let index = 0; index < 5; index += 1) {
        await inspector.enqueue('steered', { now: T0 });
      }
      const handlers = steered.container({
        publisher: new MemoryPublisher(),
        scheduled: { clock: fakeClock((T0 + 400) * 1000 + 500), writeLine: () => {} },
      });
      const report = await handlers.scheduledHandler(SCHEDULED_EVENT, context());
      assert.equal(byEvent(report, 'steered').inletIncrement, 3, 'the run steered: three let in');
      // Had the lease been kept, another owner would be refused for its remaining ttl.
      assert.equal(await inspector.acquireLease('inlet:steered', 'next-run', 15_000), true);
    } finally {
      await inspector.close();
      await steered.close();
    }
  });

  test('two containers run one adaptive controller: a reading per interval, each second admitted once', async () => {
    // The proving ground's origin answers the Prometheus API: 20 sessions of its 100 give a
    // p95 well under the 200 ms target, so the controller rises from its start rate.
    const origin = new Origin({ capacity: 100, baseLatencyMs: 40, latencyAtCapacityMs: 200, now: () => T0 });
    const originUrl = await origin.listen();
    for (let index = 0; index < 20; index += 1) origin.hold(`s${index}`, 3600);
    origin.observe();
    const inlet = {
      type: 'adaptive',
      minPerMinute: 6,
      maxPerMinute: 6000,
      startPerMinute: 120,
      intervalSeconds: 10,
      target: { latencyMs: 200, errorRate: 0.01 },
      signal: {
        type: 'prometheus',
        url: originUrl,
        latencyQuery: ORIGIN_QUERIES.latency,
        errorRateQuery: ORIGIN_QUERIES.errorRate,
      },
    };
    const adaptive = createFixture(redis.url, { events: [{ id: 'adaptive', inlet }] });
    try {
      for (let index = 0; index < 1000; index += 1) {
        await store.enqueue('adaptive', { now: T0 });
      }
      const containers = [0, 1].map(() =>
        adaptive.container({
          publisher: new MemoryPublisher(),
          scheduled: { clock: fakeClock((T0 + 700) * 1000 + 500), writeLine: () => {} },
        }),
      );
      await Promise.all(containers.map((handlers) => handlers.container.get()));
      const reports = await Promise.all(
        containers.map((handlers) => handlers.scheduledHandler(SCHEDULED_EVENT, context())),
      );
      // The same 71 seconds (T0+700 … T0+770) on the pure controller, with the origin's reading.
      const settings = parseEvent({ id: 'adaptive', inlet }).inlet as AdaptiveInlet;
      const reading = origin.report()!;
      let state = initialAdaptiveState(settings, T0 + 700);
      let expected = 0;
      let steps = 0;
      for (let now = T0 + 700; now <= T0 + 770; now += 1) {
        const accrued = accrue(settings, state, now);
        expected += accrued.admit;
        state = accrued.state;
        if (controlDue(settings, state, now)) {
          state = controlStep(settings, state, { ...reading, at: now }, now);
          steps += 1;
        }
      }
      assert.equal(await store.getServingCounter('adaptive'), expected);
      const moved = reports.map((report) => byEvent(report, 'adaptive').inletIncrement);
      assert.equal(moved[0]! + moved[1]!, expected);
      assert.equal(steps, 8);
      const stored = await readAdaptiveState(store, 'adaptive');
      assert.equal(stored?.rate, state.rate);
      assert.equal(stored?.reason, 'below_target');
      assert.ok(state.rate > 120);
    } finally {
      await adaptive.close();
      await origin.close();
    }
  });

  test('with ANTEROOM_EVENT_BUS the run sends PutEvents batches to that bus', async () => {
    const calls: PutEventsCommand['input'][] = [];
    const eventBridge: EventBridgeLike = {
      async send(command) {
        calls.push(command.input);
        return { FailedEntryCount: 0, Entries: [], $metadata: {} };
      },
    };
    const handlers = fixture.container({
      env: { ANTEROOM_EVENT_BUS: 'anteroom-events' },
      eventBridge,
      scheduled: { clock: fakeClock((T0 + 600) * 1000 + 500), writeLine: () => {} },
    });
    await handlers.scheduledHandler(SCHEDULED_EVENT, context());
    const entries = calls.flatMap((input) => input.Entries ?? []);
    assert.ok(calls.every((input) => (input.Entries ?? []).length <= 10));
    assert.ok(entries.length >= 5, 'metrics for three events and two counter changes');
    for (const entry of entries) {
      assert.equal(entry.Source, 'anteroom');
      assert.equal(entry.EventBusName, 'anteroom-events');
      assert.ok(entry.Time instanceof Date);
      assert.equal(typeof JSON.parse(entry.Detail!).event_id, 'string');
    }
    assert.deepEqual([...new Set(entries.map((entry) => entry.DetailType))].sort(), [
      'serving_counter_changed',
      'waiting_room_metrics',
    ]);
  });
});

describe('scheduled handler: a pre-queue drawn at its start', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;
  let store: QueueStore;
  const drop = {
    id: 'drop',
    schedule: { prequeueAt: T0 - 600, startAt: T0 },
    draw: 'shuffle',
    inlet: { type: 'periodic', incrementBy: 3, intervalSeconds: 10, startTime: T0 },
  };
  // A manual inlet never loops inside a run: only its start keeps it there, to draw on time.
  const quiet = { id: 'quiet', schedule: { prequeueAt: T0 - 600, startAt: T0 }, inlet: { type: 'manual' } };

  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, { events: [drop, quiet] });
    store = createStore({ type: 'redis', url: redis.url });
  });
  after(async () => {
    await store?.close();
    await fixture?.close();
    await redis?.stop();
  });

  test('two containers draw it once at its start (inside a run begun before it), in the order of the published seed, announce it once, then admit', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      const entry = await store.enqueue('drop', {
        now: T0 - 300 + index,
        prequeue: { startAt: T0, shuffle: true },
      });
      ids.push(entry.requestId);
    }
    await store.enqueue('quiet', { now: T0 - 100, prequeue: { startAt: T0, shuffle: false } });
    const publishers = [new MemoryPublisher(), new MemoryPublisher()];
    const containers = publishers.map((publisher) =>
      fixture.container({
        publisher,
        // The runs begin 30 s before the start: the draw is due inside them.
        scheduled: { clock: fakeClock((T0 - 30) * 1000 + 500) },
      }),
    );
    await Promise.all(containers.map((handlers) => handlers.container.get()));
    await Promise.all(containers.map((handlers) => handlers.scheduledHandler(SCHEDULED_EVENT, context())));

    const { deps } = await containers[0]!.container.get();
    const view = await deps.room.draw('drop');
    assert.equal(view.participants, 10);
    const seed = Buffer.from(view.seed!, 'hex');
    const order = [...ids].sort((a, b) =>
      drawKey(seed, participantDigest(a)) < drawKey(seed, participantDigest(b)) ? -1 : 1,
    );
    const positions = await Promise.all(
      order.map(async (id) => (await store.getEntry('drop', id))!.position),
    );
    assert.deepEqual(positions, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(view.drawn_at, T0, 'drawn at its start, not at the next run');
    assert.equal((await deps.room.draw('quiet')).drawn_at, T0, 'a manual event is drawn at its start too');
    const announced = publishers.flatMap((publisher) => publisher.events);
    const ofDrop = announced.filter((event) => event.detail.event_id === 'drop');
    const opened = ofDrop.filter((event) => event.detailType === 'prequeue_opened');
    const completed = ofDrop.filter((event) => event.detailType === 'draw_completed');
    assert.deepEqual(
      opened.map((event) => event.detail),
      [{ event_id: 'drop', prequeue_at: T0 - 600, starts_at: T0 }],
      'prequeue_opened once across both containers',
    );
    assert.deepEqual(
      completed.map((event) => event.detail),
      [{ event_id: 'drop', algorithm: 'hmac-sha256', participants: 10, starts_at: T0, drawn_at: T0 }],
      'draw_completed once across both containers',
    );
    // The inlet ran after the draw: the ten participants are all reached by the end of the run.
    assert.equal(await store.getServingCounter('drop'), 10);
  });
});

describe('EventBridge publisher', () => {
  function fakeClient(answers: ((count: number) => { FailedEntryCount: number; Entries: object[] })[] = []) {
    const calls: PutEventsCommand['input'][] = [];
    const client: EventBridgeLike = {
      async send(command) {
        calls.push(command.input);
        const count = command.input.Entries?.length ?? 0;
        const answer = answers.shift()?.(count) ?? { FailedEntryCount: 0, Entries: [] };
        return { ...answer, $metadata: {} };
      },
    };
    return { client, calls };
  }

  test('sends at most 10 entries per PutEvents call', async () => {
    const { client, calls } = fakeClient();
    const publisher = new EventBridgePublisher({ client, busName: 'bus', now: () => 1_700_000_000_000 });
    for (let index = 0; index < 23; index += 1) {
      publisher.publish('token_generated', { event_id: 'sale', request_id: `r${index}` });
    }
    await publisher.flush();
    assert.deepEqual(
      calls.map((input) => input.Entries?.length),
      [10, 10, 3],
    );
    const first = calls[0]!.Entries![0]!;
    assert.deepEqual(first, {
      Source: 'anteroom',
      DetailType: 'token_generated',
      Detail: '{"event_id":"sale","request_id":"r0"}',
      EventBusName: 'bus',
      Time: new Date(1_700_000_000_000),
    });
    await publisher.flush();
    assert.equal(calls.length, 3, 'nothing is sent twice');
  });

  test('entries EventBridge rejects are retried once, then reported', async () => {
    const reject = (count: number) => ({
      FailedEntryCount: 1,
      Entries: Array.from({ length: count }, (_, index) =>
        index === count - 1 ? { ErrorCode: 'InternalFailure' } : { EventId: `e${index}` },
      ),
    });
    const errors: number[] = [];
    const { client, calls } = fakeClient([reject, reject]);
    const publisher = new EventBridgePublisher({
      client,
      busName: 'bus',
      onError: (_error, failed) => errors.push(failed),
    });
    publisher.publish('session_updated', { event_id: 'sale', request_id: 'a', status: 'completed' });
    publisher.publish('session_updated', { event_id: 'sale', request_id: 'b', status: 'abandoned' });
    await publisher.flush();
    assert.equal(calls.length, 2);
    assert.equal(JSON.parse(calls[1]!.Entries![0]!.Detail!).request_id, 'b');
    assert.deepEqual(errors, [1]);
  });

  test('a failing client never rejects flush', async () => {
    const errors: unknown[] = [];
    const publisher = new EventBridgePublisher({
      client: {
        send: async () => {
          throw new Error('network down');
        },
      },
      busName: 'bus',
      onError: (error) => errors.push(error),
    });
    publisher.publish('token_generated', { event_id: 'sale', request_id: 'a' });
    await publisher.flush();
    assert.equal(errors.length, 1);
  });
});

describe('scheduled handler: absent visitors (abandonAfterSeconds)', { skip }, () => {
  let redis: RedisServer;
  let fixture: Fixture;
  let store: QueueStore;
  before(async () => {
    redis = await startRedis();
    fixture = createFixture(redis.url, {
      events: [
        {
          id: 'present',
          inlet: { type: 'periodic', incrementBy: 2, intervalSeconds: 10, startTime: T0 },
          abandonAfterSeconds: 30,
          queuePositionExpirySeconds: null,
        },
      ],
    });
    store = createStore({ type: 'redis', url: redis.url });
  });
  after(async () => {
    await store?.close();
    await fixture?.close();
    await redis?.stop();
  });

  test('its ticks admit present visitors two by two and pass the absent ones', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 30; index += 1)
      ids.push((await store.enqueue('present', { now: T0 - 300, present: true })).requestId);
    await store.touchPresence('present', [2, 4, 6, 8, 10], T0, null); // the rest left long ago
    const handlers = fixture.container({
      publisher: new MemoryPublisher(),
      scheduled: { clock: fakeClock(T0 * 1000 + 500), writeLine: () => {} },
    });
    await handlers.scheduledHandler(SCHEDULED_EVENT, context());
    // T0: 2 and 4; T0+10: 6 and 8; T0+20: 10, then nobody present is left: the absent are passed
    // up to the end of the line (without the setting, eight ticks of 2 would have reached 16).
    assert.equal(await store.getServingCounter('present'), 30);
    const issue = (position: number) =>
      store.issueToken('present', {
        requestId: ids[position - 1]!,
        now: T0 + 80,
        validitySeconds: 60,
        issuer: 'https://queue.example',
        expirySeconds: null,
        presence: true,
      });
    assert.equal((await issue(4)).kind, 'issued');
    assert.equal((await issue(3)).kind, 'not_yet', 'passed while absent');
    assert.deepEqual((await store.getCounters('present')).present, 0);
  });
});
