/**
 * Wait-estimate accuracy (API.md section 6) on a controlled clock: each inlet is driven second
 * by second through the room (the inlet loop's tick, visitors joining on a varying schedule and
 * claiming their turn at once, max-size sessions ending at varied times), and every admitted
 * visitor's kept sample must be the estimate they were shown when it was first shown and the
 * wait they had until their position was reached. The p50/p90 errors per inlet are printed
 * (the README quotes them); they are measured, not asserted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeEta } from '../../queue-core/eta-accuracy.ts';
import { parseEvents } from '../../queue-core/event-settings.ts';
import { createRoom } from '../../queue-core/room/room.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import type { EtaSample } from '../../queue-core/types.ts';

const T0 = 1_900_000_000;

/** A small deterministic generator (the same run every time). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Scenario {
  event: Record<string, unknown>;
  /** Visitors joining at second `t` of the run. */
  arrivals: (t: number) => number;
  /** How long an admitted visitor's session lasts before it is completed (null: never ended). */
  sessionSeconds?: () => number;
  seconds: number;
}

interface Visitor {
  requestId: string;
  joinedAt: number;
  /** The first estimate the visitor was shown, and when (null: none yet). */
  shown: { eta: number; at: number } | null;
  position: number | null;
  reachedAt: number | null;
}

async function run(scenario: Scenario) {
  let now = T0;
  const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
  const store = new MemoryStore();
  const room = createRoom({
    store,
    keys,
    events: parseEvents([{ id: 'sim', ...scenario.event }]),
    issuer: 'https://queue.example.test',
    now: () => now,
    nowMs: () => now * 1000,
    cacheMs: 0,
  });
  const waiting: Visitor[] = [];
  const admitted: Visitor[] = [];
  const ending: Array<{ at: number; requestId: string }> = [];
  let joined = 0;
  const startAt = (scenario.event['schedule'] as { startAt: number } | undefined)?.startAt ?? null;
  let lastSeen = '';

  /**
   * What the visitor's page shows now; `first`: this is the first estimate it can show (on
   * joining, or at the draw for a pre-queued visitor), which is remembered.
   */
  async function look(visitor: Visitor, first: boolean): Promise<void> {
    const status = await room.status('sim', visitor.requestId);
    visitor.position = status.queue_number;
    if (first && status.eta_seconds !== null && status.phase === 'queue')
      visitor.shown = { eta: status.eta_seconds, at: now };
  }

  for (let t = 0; t < scenario.seconds; t++) {
    now = T0 + t;
    const event = await room.getEvent('sim');
    for (let i = 0; i < scenario.arrivals(t); i++) {
      const outcome = await room.join(event, { visitorKey: `vid:${joined++}` });
      assert.ok(outcome.kind === 'joined');
      const visitor: Visitor = {
        requestId: outcome.place.requestId,
        // A pre-queued visitor's wait is counted from the start (the countdown before it is exact).
        joinedAt: Math.max(now, startAt ?? now),
        shown: null,
        position: null,
        reachedAt: null,
      };
      await look(visitor, true);
      waiting.push(visitor);
    }
    for (const end of ending.filter((e) => e.at <= now)) {
      await room.updateSession('sim', end.requestId, 'completed', 'sim');
      ending.splice(ending.indexOf(end), 1);
    }
    await room.tick('sim');
    // A page shows its first estimate as soon as there is one: looked at when the line moves.
    const serving = await store.getServingCounter('sim');
    const phase = (await store.drawState('sim')).phase;
    const moved = `${serving}:${phase}` !== lastSeen;
    lastSeen = `${serving}:${phase}`;
    for (const visitor of [...waiting]) {
      if (moved && visitor.position === null) await look(visitor, true);
      if (visitor.position === null || visitor.position > serving) continue;
      // Reached: the page says so and the visitor claims their turn at once.
      const status = await room.status('sim', visitor.requestId);
      if (status.state !== 'eligible') continue;
      visitor.reachedAt ??= now;
      const outcome = await room.admit('sim', visitor.requestId);
      if (outcome.kind !== 'issued') continue;
      waiting.splice(waiting.indexOf(visitor), 1);
      admitted.push(visitor);
      if (scenario.sessionSeconds)
        ending.push({ at: now + scenario.sessionSeconds(), requestId: visitor.requestId });
    }
  }
  room.close();
  const kept = await store.etaSamples('sim');
  return { admitted, waiting, kept, history: await store.servingHistory('sim', 100_000) };
}

/**
 * The samples the admitted visitors' own pages saw: the estimate shown on joining (at the
 * start, for a pre-queued visitor), and the wait until their position was reached.
 */
function expectedSamples(
  admitted: Visitor[],
  history: Array<{ serving: number; time: number }>,
): EtaSample[] {
  return admitted
    .filter((visitor) => visitor.shown !== null)
    .map((visitor) => {
      const covering = history.find((row) => row.serving >= (visitor.position as number));
      const reachedAt = covering?.time ?? (visitor.reachedAt as number);
      return {
        estimated: (visitor.shown as { eta: number }).eta,
        actual: reachedAt - visitor.joinedAt,
      };
    });
}

const bySample = (a: EtaSample, b: EtaSample) => a.estimated - b.estimated || a.actual - b.actual;

async function measure(name: string, scenario: Scenario, context: { diagnostic(message: string): void }) {
  const { admitted, waiting, kept, history } = await run(scenario);
  assert.ok(admitted.length > 100, `${name}: enough admissions (${admitted.length})`);
  const expected = expectedSamples(admitted, history);
  assert.deepEqual(
    [...kept].sort(bySample),
    expected.sort(bySample),
    `${name}: one sample per admitted visitor shown an estimate`,
  );
  const summary = summarizeEta(kept);
  const line = `${name}: ${admitted.length} admitted (${waiting.length} still waiting), ${summary.samples} samples, error p50 ${summary.p50_abs_error_seconds} s, p90 ${summary.p90_abs_error_seconds} s, median relative ${summary.p50_rel_error}`;
  context.diagnostic(line);
  console.log(line);
  return summary;
}

test('periodic inlet: 10 every 30 s, a crowd at the start then a steady trickle', async (t) => {
  const rng = random(1);
  await measure(
    'periodic',
    {
      event: { inlet: { type: 'periodic', incrementBy: 10, intervalSeconds: 30 } },
      arrivals: (s) => (s < 60 ? 4 : s < 1200 && rng() < 0.25 ? 1 : 0),
      seconds: 3600,
    },
    t,
  );
});

test('max-size inlet: 40 active, sessions ending after 1 to 10 minutes', async (t) => {
  const rng = random(2);
  const sessions = random(3);
  await measure(
    'max-size',
    {
      event: { inlet: { type: 'max-size', maxActive: 40 } },
      arrivals: (s) => (s < 30 ? 5 : s < 1500 && rng() < 0.3 ? 1 : 0),
      sessionSeconds: () => 60 + Math.floor(sessions() * sessions() * 540),
      seconds: 3600,
    },
    t,
  );
});

test('a pre-queue before the start, drawn into a periodic inlet of 20 every 30 s', async (t) => {
  const rng = random(4);
  await measure(
    'pre-queue',
    {
      event: {
        inlet: { type: 'periodic', incrementBy: 20, intervalSeconds: 30 },
        schedule: { prequeueAt: T0, startAt: T0 + 600 },
        draw: 'shuffle',
      },
      arrivals: (s) => (s < 600 ? (rng() < 0.6 ? 1 : 0) : s < 1200 && rng() < 0.2 ? 1 : 0),
      seconds: 3000,
    },
    t,
  );
});
