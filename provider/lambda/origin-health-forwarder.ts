/**
 * CloudWatch → `POST /origin_health` (API.md section 7): on AWS, the origin's health is often in
 * CloudWatch already (an ALB's `TargetResponseTime`, its 5xx and request counts). This function
 * reads the latest minute of those metrics for each configured event and pushes the reading to
 * the admin API, signed with its own role (SigV4, service `execute-api`): the stack lets that
 * role call `POST /origin_health` and nothing else. EventBridge runs it every minute, and at once
 * when the alarm on the latency metric changes state.
 *
 * Configuration: `ANTEROOM_ADMIN_API_URL` (the private API's URL) and
 * `ANTEROOM_ORIGIN_HEALTH_JSON` (an array of `OriginHealthForward`, written by the stack).
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { type Credentials, signRequest } from './sigv4.ts';

export interface ForwardedMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: string;
}

/** One event's metrics. */
export interface OriginHealthForward {
  eventId: string;
  latency: ForwardedMetric;
  latencyUnit: 'Seconds' | 'Milliseconds';
  /** Failed and all requests over each minute: error rate = errors / requests. */
  errors?: ForwardedMetric;
  requests?: ForwardedMetric;
}

/** The latest value of each query id over the window (absent: no datapoint). */
export type ReadMetrics = (
  queries: MetricDataQuery[],
  start: Date,
  end: Date,
) => Promise<Map<string, number>>;
/** Sends one signed `POST /origin_health`; resolves to the HTTP status. */
export type PostReading = (body: {
  event_id: string;
  latency_ms: number;
  error_rate: number;
}) => Promise<number>;

export interface ForwardResult {
  eventId: string;
  /** `pushed` (with the status answered), or `no_data` (no latency datapoint: nothing pushed). */
  outcome: 'pushed' | 'no_data';
  status?: number;
  latencyMs?: number;
  errorRate?: number;
}

/** How far back to look for the latest datapoint: metrics land a minute or two late. */
const WINDOW_MS = 5 * 60_000;
const PERIOD_SECONDS = 60;

export async function forwardOriginHealth(
  forwards: readonly OriginHealthForward[],
  deps: { readMetrics: ReadMetrics; post: PostReading; nowMs: () => number },
): Promise<ForwardResult[]> {
  const end = new Date(deps.nowMs());
  const start = new Date(end.getTime() - WINDOW_MS);
  const queries = forwards.flatMap((forward, index) => [
    query(`latency${index}`, forward.latency),
    ...(forward.errors ? [query(`errors${index}`, forward.errors)] : []),
    ...(forward.requests ? [query(`requests${index}`, forward.requests)] : []),
  ]);
  const values =
    queries.length === 0 ? new Map<string, number>() : await deps.readMetrics(queries, start, end);
  const results: ForwardResult[] = [];
  for (const [index, forward] of forwards.entries()) {
    const latency = values.get(`latency${index}`);
    // No latency datapoint is no reading: the controller counts the interval as missing.
    if (latency === undefined) {
      results.push({ eventId: forward.eventId, outcome: 'no_data' });
      continue;
    }
    // A count metric has no datapoint in a minute without any (no 5xx): that is 0.
    const errors = values.get(`errors${index}`) ?? 0;
    const requests = values.get(`requests${index}`) ?? 0;
    const latencyMs = forward.latencyUnit === 'Seconds' ? latency * 1000 : latency;
    const errorRate = requests > 0 ? Math.min(1, errors / requests) : 0;
    const status = await deps.post({
      event_id: forward.eventId,
      latency_ms: latencyMs,
      error_rate: errorRate,
    });
    results.push({ eventId: forward.eventId, outcome: 'pushed', status, latencyMs, errorRate });
  }
  return results;
}

function query(id: string, metric: ForwardedMetric): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: PERIOD_SECONDS,
      Stat: metric.statistic,
    },
    ReturnData: true,
  };
}

/** GetMetricData through the SDK: the newest value of each query. */
export function cloudWatchReader(client: Pick<CloudWatchClient, 'send'>): ReadMetrics {
  return async (queries, start, end) => {
    const values = new Map<string, number>();
    let nextToken: string | undefined;
    do {
      const answer = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampDescending',
          NextToken: nextToken,
        }),
      );
      for (const result of answer.MetricDataResults ?? []) {
        const value = result.Values?.[0];
        if (result.Id && value !== undefined && !values.has(result.Id)) values.set(result.Id, value);
      }
      nextToken = answer.NextToken;
    } while (nextToken);
    return values;
  };
}

/** A SigV4-signed `POST <adminApiUrl>/origin_health` (service `execute-api`). */
export function signedPoster(options: {
  adminApiUrl: string;
  region: string;
  credentials: Credentials;
  nowMs?: () => number;
}): PostReading {
  const url = new URL(`${options.adminApiUrl.replace(/\/$/, '')}/origin_health`);
  return async (reading) => {
    const body = JSON.stringify(reading);
    const headers = signRequest(
      {
        method: 'POST',
        host: url.host,
        url: url.pathname,
        headers: { 'content-type': 'application/json' },
        body,
        service: 'execute-api',
        region: options.region,
        ...(options.nowMs ? { date: new Date(options.nowMs()) } : {}),
      },
      options.credentials,
    );
    // fetch sets Host itself, from the URL: the same value that was signed.
    const { host: _host, ...sent } = headers;
    const response = await fetch(url, {
      method: 'POST',
      headers: sent,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.status;
  };
}

/** The EventBridge target (schedule and alarm state changes alike). */
export async function originHealthHandler(): Promise<ForwardResult[]> {
  const env = process.env;
  const forwards = JSON.parse(env['ANTEROOM_ORIGIN_HEALTH_JSON'] ?? '[]') as OriginHealthForward[];
  const region = env['AWS_REGION'] ?? 'us-east-1';
  const results = await forwardOriginHealth(forwards, {
    readMetrics: cloudWatchReader(new CloudWatchClient({ region })),
    post: signedPoster({
      adminApiUrl: env['ANTEROOM_ADMIN_API_URL'] ?? '',
      region,
      credentials: {
        accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '',
        secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '',
        sessionToken: env['AWS_SESSION_TOKEN'],
      },
    }),
    nowMs: Date.now,
  });
  console.log(JSON.stringify({ msg: 'origin health forwarded', results }));
  const failed = results.filter((result) => result.status !== undefined && result.status !== 200);
  if (failed.length > 0)
    throw new Error(`POST /origin_health failed for ${failed.map((f) => f.eventId).join(', ')}`);
  return results;
}
