/**
 * The probe and Prometheus readers, in real time against the proving ground's origin on
 * loopback: what they read must be what the origin served. Latencies are checked from below
 * only (an answer cannot come before the origin sends it), never against a wall-clock bound.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { splitCredentials } from '../../provider/signals/fetch-json.ts';
import { PROBE_DEFAULTS, probeTimeoutMs, readProbe } from '../../provider/signals/probe.ts';
import { instantQuery, readPrometheus } from '../../provider/signals/prometheus.ts';
import type { AdaptiveInlet } from '../../queue-core/types.ts';
import { ORIGIN_QUERIES, Origin } from '../support/proving-ground/origin.ts';
import { freePort } from '../support/redis.ts';

const NOW = 1_767_225_600;
const inletFor = (url: string, latencyMs = 200): AdaptiveInlet => ({
  type: 'adaptive',
  minPerMinute: 1,
  maxPerMinute: 100,
  intervalSeconds: 10,
  target: { latencyMs, errorRate: 0.01 },
  signal: { type: 'probe', url },
});

function newOrigin(): Origin {
  // 10 sessions give 60 ms; saturation at 12 sessions (u = 5/6), 503s past it.
  return new Origin({ capacity: 10, baseLatencyMs: 10, latencyAtCapacityMs: 60, now: () => NOW, seed: 3 });
}

describe('probe signal', () => {
  let origin: Origin;
  let url: string;
  before(async () => {
    origin = newOrigin();
    url = await origin.listen();
  });
  after(() => origin.close());

  it('reads the origin’s latency under load, and no errors while it copes', async () => {
    for (let i = 0; i < 10; i++) origin.hold(`s${i}`, 60);
    const before = origin.totals.pages;
    // A generous latency target (timeout 10 s): on a loaded machine no sample may time out here.
    const reading = await readProbe({ type: 'probe', url }, inletFor(url, 5000), NOW);
    assert.equal(origin.totals.pages - before, PROBE_DEFAULTS.samples);
    assert.ok(reading.latencyMs >= 60, `read ${reading.latencyMs} ms, the origin waits 60 ms`);
    assert.equal(reading.errorRate, 0);
    assert.equal(reading.at, NOW);
  });

  it('counts the overloaded origin’s 503s as errors, exactly as served', async () => {
    for (let i = 0; i < 30; i++) origin.hold(`o${i}`, 60); // 40 sessions: ~70 % of requests fail
    const before = { pages: origin.totals.pages, failed: origin.totals.failedPages };
    const reading = await readProbe({ type: 'probe', url }, inletFor(url, 5000), NOW, 20);
    const failed = origin.totals.failedPages - before.failed;
    assert.equal(origin.totals.pages - before.pages, 20);
    assert.ok(failed > 0);
    assert.equal(reading.errorRate, failed / 20);
  });

  it('a hung origin is an error at the timeout’s length', async () => {
    origin.hang = true;
    try {
      const inlet = inletFor(url, 100);
      const reading = await readProbe({ type: 'probe', url }, inlet, NOW, 2);
      assert.equal(reading.errorRate, 1);
      assert.equal(reading.latencyMs, probeTimeoutMs(inlet));
    } finally {
      origin.hang = false;
    }
  });

  it('an unreachable origin is all errors, not a missing reading', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/`;
    const reading = await readProbe({ type: 'probe', url: closed }, inletFor(closed), NOW, 3);
    assert.equal(reading.errorRate, 1);
  });

  it('a 404 counts as an error (a probe URL that is wrong must not look healthy)', async () => {
    const wrong = new URL('/missing', url).href;
    const reading = await readProbe({ type: 'probe', url: wrong }, inletFor(wrong), NOW, 2);
    assert.equal(reading.errorRate, 1);
  });

  it('the timeout is twice the latency target, within 1–10 s', () => {
    assert.equal(probeTimeoutMs(inletFor(url, 100)), 1000);
    assert.equal(probeTimeoutMs(inletFor(url, 2000)), 4000);
    assert.equal(probeTimeoutMs(inletFor(url, 60_000)), 10_000);
  });
});

describe('prometheus signal', () => {
  let origin: Origin;
  let url: string;
  before(async () => {
    origin = newOrigin();
    url = await origin.listen();
  });
  after(() => origin.close());

  const signal = (base: string) => ({
    type: 'prometheus' as const,
    url: base,
    latencyQuery: ORIGIN_QUERIES.latency,
    errorRateQuery: ORIGIN_QUERIES.errorRate,
  });

  it('no data yet: no reading (the series is empty)', async () => {
    await assert.rejects(readPrometheus(signal(url), NOW), /no series/);
  });

  it('reads the p95 and the error rate the monitoring reports', async () => {
    for (let i = 0; i < 14; i++) origin.hold(`p${i}`, 60); // past saturation: latency pinned, errors
    origin.observe();
    const expected = origin.report()!;
    assert.ok(expected.errorRate > 0);
    const reading = await readPrometheus(signal(url), NOW);
    assert.equal(reading.latencyMs, expected.latencyMs);
    assert.equal(reading.errorRate, expected.errorRate);
    assert.equal(reading.at, NOW);
    // The base URL may carry a path prefix with or without its slash.
    assert.equal(await instantQuery(`${url}/`, ORIGIN_QUERIES.latency), expected.latencyMs);
  });

  it('a query Prometheus refuses is no reading, with its reason', async () => {
    await assert.rejects(
      readPrometheus({ ...signal(url), latencyQuery: 'up{' }, NOW),
      /refused the query: unknown query/,
    );
  });

  it('an answer that is not the Prometheus API is no reading', async () => {
    const server = createServer((_req, res) => res.end('<html>login</html>'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await assert.rejects(readPrometheus(signal(base), NOW), /not JSON/);
    } finally {
      server.close();
    }
  });

  it('an error rate above 1 is refused (a percentage is not a fraction)', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [NOW, '5'] } }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await assert.rejects(readPrometheus(signal(base), NOW), /must be a fraction/);
    } finally {
      server.close();
    }
  });

  it('credentials in the URL travel as Basic authorization, never in the URL', async () => {
    let seen: string | undefined;
    const server = createServer((req, res) => {
      seen = req.headers.authorization;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      await assert.rejects(instantQuery(`http://ops:s%40cret@127.0.0.1:${port}`, 'up'));
      assert.equal(seen, `Basic ${Buffer.from('ops:s@cret').toString('base64')}`);
      assert.deepEqual(splitCredentials('http://127.0.0.1/x'), {
        url: 'http://127.0.0.1/x',
        authorization: null,
      });
    } finally {
      server.close();
    }
  });
});
