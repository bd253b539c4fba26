/**
 * Stream exhaustion, as an attacker would try it on a real `anteroom serve` over Redis: many
 * status streams on one request id, or from one client over many request ids. Beyond the caps
 * a stream answers 429 with `Retry-After` (the waiting page then polls), a closed stream frees
 * its slot, other visitors keep theirs, and every stream ends after its lifetime.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STREAM_RETRY_AFTER_SECONDS } from '../../queue-core/defaults.ts';
import { type HostileTarget, startHostileTarget, TARGET_EVENT } from '../support/hostile-target.ts';
import { testLogger } from '../support/logs.ts';
import { redisSkipReason } from '../support/redis.ts';

const PER_REQUEST_ID = 3;
const PER_CLIENT = 5;

async function join(target: HostileTarget, client: string): Promise<string> {
  const answer = await fetch(`${target.base}/assign_queue_num`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': client },
    body: JSON.stringify({ event_id: TARGET_EVENT }),
  });
  assert.equal(answer.status, 200);
  return ((await answer.json()) as { api_request_id: string }).api_request_id;
}

interface Opened {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  close(): void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

async function openStream(target: HostileTarget, requestId: string, client: string): Promise<Opened> {
  const controller = new AbortController();
  const answer = await fetch(`${target.base}/events/${TARGET_EVENT}/stream?request_id=${requestId}`, {
    headers: { 'X-Forwarded-For': client },
    signal: controller.signal,
  });
  if (answer.status !== 200) {
    const body = (await answer.json()) as { code?: string };
    return {
      status: answer.status,
      retryAfter: answer.headers.get('retry-after'),
      code: body.code,
      close: () => {},
      ended: Promise.resolve(),
    };
  }
  const reader = answer.body!.getReader();
  const ended = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // aborted by the test
    }
  })();
  return { status: 200, retryAfter: null, code: undefined, close: () => controller.abort(), ended };
}

describe('status streams from a hostile client', { skip: redisSkipReason() }, () => {
  let target: HostileTarget;
  const open: Opened[] = [];
  before(async () => {
    target = await startHostileTarget({
      raw: {
        limits: {
          trustProxy: 1,
          enqueuePerClientPerMinute: 0,
          streamsPerRequestId: PER_REQUEST_ID,
          streamsPerClient: PER_CLIENT,
          streamMaxSeconds: 2,
        },
      },
      logger: testLogger(),
    });
  });
  after(async () => {
    for (const stream of open) stream.close();
    await target?.close();
  });

  it('caps the streams on one request id; a closed stream frees its slot', async () => {
    const requestId = await join(target, '203.0.113.1');
    const streams = await Promise.all(
      Array.from({ length: 10 }, () => openStream(target, requestId, '203.0.113.1')),
    );
    open.push(...streams);
    const held = streams.filter((stream) => stream.status === 200);
    const refused = streams.filter((stream) => stream.status !== 200);
    assert.equal(held.length, PER_REQUEST_ID);
    for (const stream of refused) {
      assert.equal(stream.status, 429);
      assert.equal(stream.code, 'too_many_streams');
      assert.equal(stream.retryAfter, String(STREAM_RETRY_AFTER_SECONDS));
    }
    held[0]!.close();
    await held[0]!.ended;
    let again: Opened | undefined;
    // The server learns of the close when the socket closes: a moment after the abort.
    for (let attempt = 0; attempt < 50 && again?.status !== 200; attempt++) {
      again = await openStream(target, requestId, '203.0.113.1');
      if (again.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(again?.status, 200, 'the freed slot is taken again');
    open.push(again!);
    for (const stream of held) stream.close();
  });

  it('caps the streams of one client over many request ids; other clients keep theirs', async () => {
    const client = '198.51.100.20';
    const ids = await Promise.all(Array.from({ length: PER_CLIENT + 3 }, () => join(target, client)));
    const streams = await Promise.all(ids.map((id) => openStream(target, id, client)));
    open.push(...streams);
    assert.equal(streams.filter((stream) => stream.status === 200).length, PER_CLIENT);
    assert.equal(streams.filter((stream) => stream.status === 429).length, 3);

    const visitor = await join(target, '192.0.2.7');
    const theirs = await openStream(target, visitor, '192.0.2.7');
    open.push(theirs);
    assert.equal(theirs.status, 200, "another visitor's stream opens while the attacker holds its share");
    for (const stream of streams) stream.close();
    theirs.close();
  });

  it('ends every stream after its lifetime (EventSource reconnects through the caps)', {
    timeout: 20_000,
  }, async () => {
    const requestId = await join(target, '192.0.2.99');
    const stream = await openStream(target, requestId, '192.0.2.99');
    open.push(stream);
    assert.equal(stream.status, 200);
    await stream.ended; // limits.streamMaxSeconds: 2
  });
});
