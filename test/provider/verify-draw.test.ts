/**
 * `anteroom verify-draw` and the check behind it (API.md section 6): a real draw of a waiting
 * room verifies, and a changed seed, a changed participant or a changed order does not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import request from 'supertest';
import { verifyDrawCommand } from '../../provider/server/verify-draw-command.ts';
import { drawKey, participantDigest, seedCommitment } from '../../queue-core/draw/order.ts';
import { type PublishedDraw, verifyDraw } from '../../queue-core/draw/verify.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { buildTestApp, type TestApp } from './support.ts';

/** A draw made by the rule: `count` participants ordered by their HMAC under `seed`. */
function madeDraw(
  count: number,
  seed = randomBytes(32),
): { draw: PublishedDraw; list: string[]; seed: Buffer } {
  const list = Array.from({ length: count }, () => participantDigest(randomUUID())).sort((a, b) =>
    drawKey(seed, a) < drawKey(seed, b) ? -1 : 1,
  );
  const draw: PublishedDraw = {
    event_id: 'sale',
    algorithm: 'hmac-sha256',
    commitment: seedCommitment(seed),
    seed: seed.toString('hex'),
    participants: count,
    drawn_at: 1_900_000_000,
  };
  return { draw, list, seed };
}

describe('verifying a draw', () => {
  it('accepts a draw made by the rule', () => {
    const { draw, list } = madeDraw(200);
    assert.deepEqual(verifyDraw(draw, list), {
      ok: true,
      algorithm: 'hmac-sha256',
      participants: 200,
      checked: ['commitment', 'count', 'uniqueness', 'order'],
    });
  });

  it('refuses a changed seed, whether or not its commitment was changed with it', () => {
    const { draw, list } = madeDraw(200);
    const other = randomBytes(32);
    const reseeded = verifyDraw({ ...draw, seed: other.toString('hex') }, list);
    assert.equal(reseeded.ok, false);
    assert.match((reseeded as { reason: string }).reason, /commitment/);
    // An operator publishing another seed and its commitment after the fact: the order gives it away.
    const rerolled = verifyDraw(
      { ...draw, seed: other.toString('hex'), commitment: seedCommitment(other) },
      list,
    );
    assert.equal(rerolled.ok, false);
    assert.match((rerolled as { reason: string }).reason, /out of order/);
  });

  it('refuses a changed participant, a changed order and a changed count', () => {
    const { draw, list, seed } = madeDraw(200);
    // A participant swapped for one the seed does not put there.
    let intruder: string;
    do intruder = participantDigest(randomUUID());
    while (drawKey(seed, intruder) > drawKey(seed, list[99]!));
    const changed = [...list];
    changed[100] = intruder;
    assert.match((verifyDraw(draw, changed) as { reason: string }).reason, /participant 101 is out of order/);
    const swapped = [...list];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    assert.equal(verifyDraw(draw, swapped).ok, false);
    assert.equal(verifyDraw(draw, list.slice(1)).ok, false);
    assert.equal(verifyDraw(draw, [...list.slice(0, 199), list[0]!]).ok, false, 'a duplicate');
    assert.equal(verifyDraw({ ...draw, drawn_at: null, seed: null, participants: null }, []).ok, false);
  });
});

describe('anteroom verify-draw against a waiting room', () => {
  const base = Math.floor(Date.now() / 1000);
  const events = [{ id: 'sale', draw: 'shuffle', schedule: { prequeueAt: base + 10, startAt: base + 20 } }];
  const store = new MemoryStore();
  let t: TestApp;
  let url: string;
  let server: ReturnType<typeof createServer>;
  const ids: string[] = [];

  before(async () => {
    t = await buildTestApp(store, { events });
    server = createServer(t.publicApp.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t.clock.seconds = base + 10;
    for (let i = 0; i < 40; i++) {
      const res = await request(t.publicHandler)
        .post('/assign_queue_num')
        .set('Idempotency-Key', `k${i}-${'k'.repeat(22)}`)
        .send({ event_id: 'sale' })
        .expect(200);
      ids.push(res.body.api_request_id);
    }
  });
  after(async () => {
    t.deps.room.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('says the draw has not happened before the start, and verifies it after, with where a visitor landed', async () => {
    const lines: string[] = [];
    assert.equal(await verifyDrawCommand([url, 'sale'], (text) => lines.push(text)), 1);
    assert.match(lines.join(''), /has not happened yet/);

    t.clock.seconds = base + 20;
    await t.deps.room.tick('test');
    const status = await request(t.publicHandler)
      .get('/status')
      .query({ event_id: 'sale', request_id: ids[7] })
      .expect(200);
    const output: string[] = [];
    assert.equal(await verifyDrawCommand([url, 'sale', ids[7]!], (text) => output.push(text)), 0);
    assert.match(output.join(''), /verified/);
    assert.match(output.join(''), new RegExp(`drew position ${status.body.queue_number} of 40`));
  });

  it('runs as a command, and fails on a tampered list', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      'bin/anteroom.js',
      'verify-draw',
      url,
      'sale',
    ]);
    assert.match(stdout, /verified/);
    // The same draw, served with two participants swapped.
    const tampered = async (address: string) => {
      const real = (await (await fetch(`${url}/events/sale/draw/participants`)).json()) as {
        items: string[];
      };
      if (address.endsWith('/participants?offset=0')) {
        const items = [...real.items];
        [items[0], items[1]] = [items[1]!, items[0]!];
        return { items, next_offset: null };
      }
      return (await fetch(address.replace('http://tampered', url))).json();
    };
    const lines: string[] = [];
    assert.equal(
      await verifyDrawCommand(['http://tampered', 'sale'], (text) => lines.push(text), tampered),
      1,
    );
    assert.match(lines.join(''), /NOT VERIFIED: participant 2 is out of order/);
  });
});
