/**
 * The store contract, absent visitors part (API.md section 6, `abandonAfterSeconds`): presence
 * recorded at the enqueue and by `touchPresence`, the inlets' walk that admits present visitors
 * and passes absent ones without counting them, a returning visitor admitted ahead of the line
 * (within the expiry), the bounded work per call (rule 6) and the sweep's counts. Called from
 * `store-contract.ts` with the store under test, so memory, Redis and Redis Cluster all pass
 * the same tests.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { requestIdFor } from '../../queue-core/store/request-ids.ts';
import type { IssueInput, PresenceRule, QueueStore } from '../../queue-core/types.ts';

const T0 = 1_700_000_000;
const ERA = 'contract-era';

/** The rule at `now` for a window of `abandon` seconds (work as large as a test needs). */
function rule(now: number, abandon: number, work = 1000): PresenceRule {
  return { absentBefore: now - abandon, work };
}

function issue(requestId: string, now: number, extra: Partial<IssueInput> = {}): IssueInput {
  return {
    requestId,
    now,
    validitySeconds: 300,
    issuer: 'https://rooms.example/oidc',
    expirySeconds: null,
    presence: true,
    ...extra,
  };
}

export function presenceSuites(name: string, subject: () => { store: QueueStore }): void {
  const freshEvent = () => `presence-${process.pid}-${randomUUID().slice(0, 8)}`;
  const rid = (eventId: string, n: number) => requestIdFor(ERA, eventId, n);
  async function join(store: QueueStore, eventId: string, count: number, now: number): Promise<void> {
    for (let i = 0; i < count; i++) await store.enqueue(eventId, { now, present: true });
  }

  describe(`${name}: absent visitors`, () => {
    it('a tick admits incrementBy present visitors and passes the absent ones without counting them', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 10, T0);
      await store.touchPresence(event, [2, 4, 6, 8, 10], T0 + 100, null);
      const now = T0 + 100;
      assert.deepEqual(await store.advanceOnTick(event, now, 3, now, rule(now, 60)), {
        serving: 6,
        moved: 6,
        admitted: 3,
      });
      const admitted = await store.issueToken(event, issue(rid(event, 2), now));
      assert.equal(admitted.kind, 'issued');
      assert.deepEqual(
        await store.issueToken(event, issue(rid(event, 1), now)),
        { kind: 'not_yet', position: 1, serving: 6 },
        'passed while absent: no token on the serving counter alone',
      );
      assert.deepEqual(await store.positionExpiry(event, rid(event, 3), now, null, true), { kind: 'passed' });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 4), now, null, true), { kind: 'off' });
      assert.deepEqual(await store.positionExpiry(event, rid(event, 7), now, null, true), { kind: 'off' });
    });

    it('a visitor back after being passed is admitted ahead of the line by the next pass', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 10, T0);
      await store.touchPresence(event, [2, 4, 6, 8, 10], T0 + 100, null);
      await store.advanceOnTick(event, T0 + 100, 3, T0 + 100, rule(T0 + 100, 60));
      await store.touchPresence(event, [1], T0 + 101, null);
      const now = T0 + 110;
      assert.deepEqual(await store.advanceOnTick(event, now, 3, now, rule(now, 60)), {
        serving: 10,
        moved: 4,
        admitted: 3,
      });
      assert.equal((await store.issueToken(event, issue(rid(event, 1), now))).kind, 'issued');
      assert.equal((await store.issueToken(event, issue(rid(event, 10), now))).kind, 'issued');
      assert.equal((await store.issueToken(event, issue(rid(event, 9), now))).kind, 'not_yet');
      assert.equal((await store.getCounters(event)).readmitted, 1);
    });

    it('a visitor back before their position is reached keeps it; with nobody present the counter goes to the end', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 5, T0);
      await store.touchPresence(event, [4], T0 + 100, null);
      let now = T0 + 100;
      assert.deepEqual(await store.advanceOnTick(event, now, 1, now, rule(now, 60)), {
        serving: 4,
        moved: 4,
        admitted: 1,
      });
      now += 10;
      assert.deepEqual(
        await store.advanceOnTick(event, now, 2, now, rule(now, 60)),
        { serving: 5, moved: 1, admitted: 0 },
        'every one left is absent: passed up to the last position, nothing banked',
      );
      await store.enqueue(event, { now, present: true });
      now += 10;
      assert.deepEqual(await store.advanceOnTick(event, now, 2, now, rule(now, 60)), {
        serving: 6,
        moved: 1,
        admitted: 1,
      });
    });

    it('a visitor back after the expiry of their position is not admitted', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 3, T0);
      await store.advanceOnTick(event, T0 + 100, 1, T0 + 100, rule(T0 + 100, 60)); // all absent: passed
      await store.touchPresence(event, [2], T0 + 120, 30);
      await store.touchPresence(event, [3], T0 + 140, 30);
      const now = T0 + 125;
      assert.deepEqual(await store.advanceOnTick(event, now, 5, now, rule(now, 60)), {
        serving: 3,
        moved: 0,
        admitted: 1,
      });
      assert.equal(
        (await store.issueToken(event, issue(rid(event, 2), now, { expirySeconds: 30 }))).kind,
        'issued',
      );
      assert.equal(
        (await store.issueToken(event, issue(rid(event, 3), now, { expirySeconds: 30 }))).kind,
        'not_yet',
      );
    });

    it('looks at no more than `work` positions per call, however many are absent (rule 6)', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 2500, T0);
      const now = T0 + 100;
      const bounded = rule(now, 60, 1000);
      assert.deepEqual(await store.advanceOnTick(event, now, 5, now, bounded), {
        serving: 1000,
        moved: 1000,
        admitted: 0,
      });
      assert.equal((await store.advanceOnTick(event, now + 1, 5, now + 1, bounded))?.serving, 2000);
      assert.equal((await store.advanceOnTick(event, now + 2, 5, now + 2, bounded))?.serving, 2500);
    });

    it('the sweep forgets stale presence in bounded slices and counts present, absent and let-in visitors', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 6, T0);
      await store.touchPresence(event, [5, 6], T0 + 100, null);
      const slice = rule(T0 + 100, 50, 2);
      assert.deepEqual(await store.sweepPresence(event, slice), { present: 4, absent: 2, outstanding: 0 });
      assert.deepEqual(await store.sweepPresence(event, slice), { present: 2, absent: 4, outstanding: 0 });
      const counters = await store.getCounters(event);
      assert.equal(counters.present, 2);
      assert.equal(counters.absent, 4);
      await store.incrementServingCounter(event, 2, T0 + 100, rule(T0 + 100, 50));
      assert.equal((await store.getCounters(event)).serving, 6);
      assert.deepEqual(await store.sweepPresence(event, slice), { present: 0, absent: 0, outstanding: 2 });
      await store.issueToken(event, issue(rid(event, 5), T0 + 101));
      assert.equal((await store.sweepPresence(event, slice)).outstanding, 1);
    });

    it('auto-advance on expiry makes up only for visitors the inlet let in, at its next pass', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 4, T0);
      await store.advanceOnTick(event, T0 + 5, 2, T0 + 5, rule(T0 + 5, 60));
      const expired = await store.expirePositions(event, T0 + 20, 10, true, true);
      assert.equal(expired.newlyExpired, 2);
      assert.equal(expired.advancedBy, 0);
      assert.equal(expired.serving, 2);
      await store.touchPresence(event, [3, 4], T0 + 20, 10);
      assert.deepEqual(
        await store.advanceOnTick(event, T0 + 21, 1, T0 + 21, rule(T0 + 21, 60)),
        { serving: 4, moved: 2, admitted: 2 },
        'one for the tick and the expired ones',
      );
    });

    it('turned on while visitors wait: positions reached before the first presence pass stay let in', async () => {
      const { store } = subject();
      const event = freshEvent();
      for (let i = 0; i < 5; i++) await store.enqueue(event, { now: T0 });
      await store.incrementServingCounter(event, 2, T0); // 1 and 2 reached without the setting
      assert.equal((await store.issueToken(event, issue(rid(event, 1), T0 + 1))).kind, 'issued');
      await store.touchPresence(event, [4], T0 + 100, null);
      const now = T0 + 100;
      assert.deepEqual(await store.advanceOnTick(event, now, 1, now, rule(now, 60)), {
        serving: 4,
        moved: 2,
        admitted: 1,
      });
      assert.equal((await store.issueToken(event, issue(rid(event, 2), now))).kind, 'issued');
      assert.equal((await store.issueToken(event, issue(rid(event, 3), now))).kind, 'not_yet');
      assert.deepEqual(await store.positionExpiry(event, rid(event, 2), now, null, true), { kind: 'off' });
      await store.touchPresence(event, [2, 3], now, null);
      assert.deepEqual(
        await store.sweepPresence(event, rule(now, 60)),
        { present: 1, absent: 1, outstanding: 1 },
        '3 is back (present), 5 absent; 4 let in and unclaimed',
      );
    });

    it("a pre-queue's participants count as present for one window after the draw, then as seen", async () => {
      const { store } = subject();
      const event = freshEvent();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const entry = await store.enqueue(event, {
          now: T0,
          present: true,
          prequeue: { startAt: T0 + 100, shuffle: false },
        });
        ids.push(entry.requestId);
      }
      assert.equal((await store.closePrequeue(event, T0 + 100, false)).phase, 'drawn');
      let now = T0 + 110;
      assert.equal((await store.sweepPresence(event, rule(now, 60))).present, 4, 'all of them, unseen yet');
      assert.deepEqual(await store.advanceOnTick(event, now, 2, now, rule(now, 60)), {
        serving: 2,
        moved: 2,
        admitted: 2,
      });
      assert.equal((await store.issueToken(event, issue(ids[0]!, now))).kind, 'issued');
      await store.touchPresence(event, [4], T0 + 190, null);
      now = T0 + 200; // the window since the draw has passed: 3 was never seen after it
      assert.deepEqual(await store.sweepPresence(event, rule(now, 60)), {
        present: 1,
        absent: 1,
        outstanding: 1,
      });
      assert.deepEqual(await store.advanceOnTick(event, now, 1, now, rule(now, 60)), {
        serving: 4,
        moved: 2,
        admitted: 1,
      });
      assert.equal((await store.issueToken(event, issue(ids[3]!, now))).kind, 'issued');
      assert.equal(
        (await store.issueToken(event, issue(ids[2]!, now))).kind,
        'not_yet',
        'passed while absent',
      );
    });

    it('without a rule nothing of presence is asked: a tick moves the counter by positions', async () => {
      const { store } = subject();
      const event = freshEvent();
      await join(store, event, 5, T0);
      assert.deepEqual(await store.advanceOnTick(event, T0, 2, T0), { serving: 2, moved: 2 });
      assert.equal(
        (await store.issueToken(event, issue(rid(event, 1), T0, { presence: false }))).kind,
        'issued',
      );
    });
  });
}
