/**
 * The `prometheus` signal: two instant queries through the Prometheus HTTP API
 * (`POST <url>/api/v1/query`), one answering the origin's p95 latency in milliseconds, the
 * other its error rate as a fraction, so an operator reuses the series their alerts use.
 * A query that fails, answers no series or no number gives no reading (the controller counts
 * the interval as missing): write `… or vector(0)` for an error series that may be absent.
 * Several series: the largest value counts. An error rate above 1 (a percentage?) is refused.
 */
import type { OriginHealth, PrometheusSignal } from '../../queue-core/types.ts';
import { send } from './fetch-json.ts';

export const PROMETHEUS_TIMEOUT_MS = 5000;

/** What went wrong with a query, for the log. */
export class PrometheusQueryError extends Error {
  override name = 'PrometheusQueryError';
}

export async function readPrometheus(signal: PrometheusSignal, now: number): Promise<OriginHealth> {
  const [latencyMs, errorRate] = await Promise.all([
    instantQuery(signal.url, signal.latencyQuery),
    instantQuery(signal.url, signal.errorRateQuery),
  ]);
  if (errorRate > 1) {
    throw new PrometheusQueryError(`the error rate query answered ${errorRate}: it must be a fraction (0–1)`);
  }
  return { latencyMs, errorRate, at: now };
}

/** The value of one instant query; rejects with PrometheusQueryError when there is none. */
export async function instantQuery(baseUrl: string, query: string): Promise<number> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
  const answer = await send({ url, method: 'POST', form: { query }, timeoutMs: PROMETHEUS_TIMEOUT_MS });
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new PrometheusQueryError(`Prometheus answered ${answer.status} with a body that is not JSON`);
  }
  const body = parsed as {
    status?: unknown;
    error?: unknown;
    data?: { resultType?: unknown; result?: unknown };
  };
  if (answer.status !== 200 || body.status !== 'success') {
    const reason = typeof body.error === 'string' ? body.error : `status ${answer.status}`;
    throw new PrometheusQueryError(`Prometheus refused the query: ${reason}`);
  }
  const values = sampleValues(body.data?.resultType, body.data?.result);
  if (values.length === 0) throw new PrometheusQueryError('the query answered no series');
  return Math.max(...values);
}

/** The numbers of a vector or scalar result ("NaN", "+Inf" and the like are left out). */
function sampleValues(resultType: unknown, result: unknown): number[] {
  const pairs: unknown[] =
    resultType === 'scalar'
      ? [result]
      : resultType === 'vector' && Array.isArray(result)
        ? result.map((series) => (series as { value?: unknown }).value)
        : [];
  const values: number[] = [];
  for (const pair of pairs) {
    if (!Array.isArray(pair) || typeof pair[1] !== 'string') continue;
    const value = Number(pair[1]);
    if (Number.isFinite(value) && value >= 0) values.push(value);
  }
  return values;
}
