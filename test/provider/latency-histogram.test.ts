/**
 * The HTTP latency histogram counts in place (provider/telemetry/metrics.ts) but must read as
 * prom-client's own histogram would: the same text exposition, the same JSON, the same reset.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Histogram from 'prom-client/lib/histogram.js';
import Registry from 'prom-client/lib/registry.js';
import { latencyHistogram } from '../../provider/telemetry/metrics.ts';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const NAME = 'anteroom_http_request_duration_seconds';
const OBSERVED: [Record<string, string>, number][] = [
  [{ app: 'public', method: 'POST', route: '/assign_queue_num', status: '200' }, 0.0004],
  [{ app: 'public', method: 'POST', route: '/assign_queue_num', status: '200' }, 0.001],
  [{ app: 'public', method: 'POST', route: '/assign_queue_num', status: '200' }, 0.0031],
  [{ app: 'public', method: 'GET', route: '/status', status: '200' }, 0.75],
  [{ app: 'public', method: 'GET', route: '/status', status: '200' }, 7],
  [{ app: 'admin', method: 'GET', route: '/events/:id', status: '503' }, 2.5],
  [{ app: 'public', method: 'POST', route: '/assign_queue_num', status: '200' }, 0.02],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = latencyHistogram(ours, NAME, 'HTTP request latency', BOUNDS);
  const reference = new Histogram({
    name: NAME,
    help: 'HTTP request latency',
    labelNames: ['app', 'method', 'route', 'status'],
    buckets: BOUNDS,
    registers: [theirs],
  });
  for (const [labels, seconds] of OBSERVED) {
    histogram.series(labels).observe(seconds);
    reference.observe(labels, seconds);
  }
  return { ours, theirs, histogram };
}

test('the exposition and the JSON are prom-client’s, series for series', async () => {
  const { ours, theirs } = both();
  const text = await ours.metrics();
  assert.equal(text, await theirs.metrics());
  assert.match(
    text,
    /_bucket\{le="0.005",app="public",method="POST",route="\/assign_queue_num",status="200"\} 3/,
  );
  assert.match(text, /_count\{app="public",method="GET",route="\/status",status="200"\} 2/);
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
});

test('a label set asked for twice is one series; a reset zeroes the series their holders keep', async () => {
  const { ours, histogram } = both();
  const again = histogram.series({ route: '/status', app: 'public', status: '200', method: 'GET' });
  again.observe(0.3);
  const text = await ours.metrics();
  assert.match(text, /_count\{app="public",method="GET",route="\/status",status="200"\} 3/);
  assert.equal(text.match(/_count\{app="public",method="GET",route="\/status"/g)?.length, 1);
  ours.resetMetrics();
  assert.match(await ours.metrics(), /_count\{app="public",method="GET",route="\/status",status="200"\} 0/);
  again.observe(0.3);
  assert.match(await ours.metrics(), /_count\{app="public",method="GET",route="\/status",status="200"\} 1/);
});
