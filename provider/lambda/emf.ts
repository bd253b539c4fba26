/**
 * CloudWatch Embedded Metric Format: one JSON line on stdout per event per scheduled run.
 * Lambda ships stdout to CloudWatch Logs, which extracts the metrics with no API call
 * (no PutMetricData latency, no extra IAM permission).
 */

export const METRICS_NAMESPACE = 'Anteroom';

export interface EventMetrics {
  eventId: string;
  /** Positions not reached yet: max(0, queue − serving). */
  queueLength: number;
  servingCounter: number;
  /** Positions admitted by this run (serving-counter increase). */
  admissionRate: number;
  /** queue − tokens − expired (the `waiting_num` of the API). */
  waiting: number;
  activeSessions: number;
}

const METRICS = [
  { Name: 'QueueLength', Unit: 'Count', key: 'queueLength' },
  { Name: 'ServingCounter', Unit: 'Count', key: 'servingCounter' },
  { Name: 'AdmissionRate', Unit: 'Count', key: 'admissionRate' },
  { Name: 'Waiting', Unit: 'Count', key: 'waiting' },
  { Name: 'ActiveSessions', Unit: 'Count', key: 'activeSessions' },
] as const;

/** The EMF document of one event's metrics (a single line of JSON). */
export function emfLine(metrics: EventMetrics, timestampMs: number): string {
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['EventId']],
          Metrics: METRICS.map(({ Name, Unit }) => ({ Name, Unit })),
        },
      ],
    },
    EventId: metrics.eventId,
  };
  for (const metric of METRICS) document[metric.Name] = metrics[metric.key];
  return JSON.stringify(document);
}
