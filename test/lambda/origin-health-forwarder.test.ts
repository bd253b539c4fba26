/**
 * The CloudWatch → `POST /origin_health` forwarder: its readings reach a real admin app, signed
 * with SigV4 (the standalone admin app checks signatures as API Gateway's IAM authorization
 * would). CloudWatch itself is unreachable from the test machine: GetMetricData is answered by
 * a fake client, and the test checks the queries it receives.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  cloudWatchReader,
  forwardOriginHealth,
  type OriginHealthForward,
  signedPoster,
} from '../../provider/lambda/origin-health-forwarder.ts';
import { MemoryStore } from '../../queue-core/store/memory-store.ts';
import { buildTestApp, type TestApp } from '../provider/support.ts';

const ACCESS_KEY_ID = 'AKIAFORWARDERTEST';
const SECRET = 'forwarder-secret-Tq9vX2mB7kLw4RzN8cYs3Hf';
const REGION = 'eu-west-1';

const FORWARD: OriginHealthForward = {
  eventId: 'sale',
  latency: {
    namespace: 'AWS/ApplicationELB',
    metricName: 'TargetResponseTime',
    dimensions: { LoadBalancer: 'app/shop/50dc6c495c0c9188' },
    statistic: 'p95',
  },
  latencyUnit: 'Seconds',
  errors: {
    namespace: 'AWS/ApplicationELB',
    metricName: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: 'app/shop/50dc6c495c0c9188' },
    statistic: 'Sum',
  },
  requests: {
    namespace: 'AWS/ApplicationELB',
    metricName: 'RequestCount',
    dimensions: { LoadBalancer: 'app/shop/50dc6c495c0c9188' },
    statistic: 'Sum',
  },
};

describe('origin health forwarder', () => {
  let t: TestApp;
  let server: Server;
  let adminUrl: string;
  before(async () => {
    t = await buildTestApp(new MemoryStore(), {
      adminSigV4Keys: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, regions: [REGION] }],
      events: [
        {
          id: 'sale',
          inlet: {
            type: 'adaptive',
            minPerMinute: 10,
            maxPerMinute: 1000,
            intervalSeconds: 20,
            target: { latencyMs: 500, errorRate: 0.01 },
            signal: { type: 'push' },
          },
        },
      ],
    });
    server = createServer(t.adminHandler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    adminUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    t.deps.room.close();
    server.close();
  });

  const post = (secret = SECRET) =>
    signedPoster({
      adminApiUrl: adminUrl,
      region: REGION,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: secret },
    });

  it('pushes the latest minute as a signed reading: seconds to ms, errors over requests', async () => {
    const seen: string[] = [];
    const results = await forwardOriginHealth([FORWARD], {
      readMetrics: async (queries) => {
        seen.push(
          ...queries.map(
            (query) => `${query.Id}:${query.MetricStat?.Metric?.MetricName}:${query.MetricStat?.Stat}`,
          ),
        );
        return new Map([
          ['latency0', 0.412],
          ['errors0', 3],
          ['requests0', 200],
        ]);
      },
      post: post(),
      nowMs: Date.now,
    });
    assert.deepEqual(seen, [
      'latency0:TargetResponseTime:p95',
      'errors0:HTTPCode_Target_5XX_Count:Sum',
      'requests0:RequestCount:Sum',
    ]);
    assert.deepEqual(results, [
      { eventId: 'sale', outcome: 'pushed', status: 200, latencyMs: 412, errorRate: 0.015 },
    ]);
    const stored = await t.deps.store.getOriginHealth('sale');
    assert.deepEqual([stored?.latencyMs, stored?.errorRate], [412, 0.015]);
    const audit = (await t.deps.store.listAudit(5)).map((entry) => entry.action);
    assert.ok(!audit.includes('admin_auth_failed'), 'the signature was accepted');
  });

  it('a minute without 5xx has no error datapoint: an error rate of 0', async () => {
    const results = await forwardOriginHealth([FORWARD], {
      readMetrics: async () =>
        new Map([
          ['latency0', 0.2],
          ['requests0', 50],
        ]),
      post: post(),
      nowMs: Date.now,
    });
    assert.equal(results[0]?.errorRate, 0);
    assert.equal((await t.deps.store.getOriginHealth('sale'))?.latencyMs, 200);
  });

  it('no latency datapoint: nothing is pushed (the controller counts the interval as missing)', async () => {
    const before = await t.deps.store.getOriginHealth('sale');
    let posted = 0;
    const results = await forwardOriginHealth([FORWARD], {
      readMetrics: async () => new Map([['requests0', 50]]),
      post: async () => {
        posted += 1;
        return 200;
      },
      nowMs: Date.now,
    });
    assert.deepEqual(results, [{ eventId: 'sale', outcome: 'no_data' }]);
    assert.equal(posted, 0);
    assert.deepEqual(await t.deps.store.getOriginHealth('sale'), before);
  });

  it('a wrong signature is refused by the admin API: 401, nothing stored', async () => {
    const before = await t.deps.store.getOriginHealth('sale');
    const results = await forwardOriginHealth([FORWARD], {
      readMetrics: async () => new Map([['latency0', 9]]),
      post: post('not-the-secret-0123456789abcdefXYZ'),
      nowMs: Date.now,
    });
    assert.equal(results[0]?.status, 401);
    assert.deepEqual(await t.deps.store.getOriginHealth('sale'), before);
  });

  it('reads GetMetricData newest first, across pages, keeping the newest value of each query', async () => {
    const inputs: GetMetricDataCommand['input'][] = [];
    const pages = [
      { MetricDataResults: [{ Id: 'latency0', Values: [0.3, 0.9] }], NextToken: 'next' },
      {
        MetricDataResults: [
          { Id: 'latency0', Values: [0.8] },
          { Id: 'errors0', Values: [] },
          { Id: 'requests0', Values: [10] },
        ],
      },
    ];
    const read = cloudWatchReader({
      send: (async (command: GetMetricDataCommand) => {
        inputs.push(command.input);
        return pages.shift();
      }) as never,
    });
    const start = new Date(0);
    const end = new Date(300_000);
    const values = await read([], start, end);
    assert.deepEqual(
      [...values],
      [
        ['latency0', 0.3],
        ['requests0', 10],
      ],
    );
    assert.equal(inputs.length, 2);
    assert.equal(inputs[0]?.ScanBy, 'TimestampDescending');
    assert.equal(inputs[1]?.NextToken, 'next');
  });
});
