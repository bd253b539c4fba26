/**
 * Alarms and the dashboard. Alarms: every Lambda's errors and throttles, both APIs' 5xx, the queue
 * store's CPU and memory, and what the app logs of the store's durability (API.md section 5):
 * writes no replica confirmed in time (`store_wait_timeout` lines) and counters a process found
 * set back (`store_regressed`), counted by metric filters on the functions' log groups. Dashboard: queue length, serving counter and admission rate per event,
 * from the custom metrics the scheduled handler publishes (embedded metric format, namespace
 * `Anteroom`, dimension `EventId`), next to the API and Lambda health.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../../provider/lambda/emf.ts';
import type { StoreAlarmSpec } from './queue-store.ts';

/** The custom metrics contract with the scheduled handler. */
export const QUEUE_METRICS = {
  /** `Anteroom`, from the publisher itself. */
  namespace: METRICS_NAMESPACE,
  dimension: 'EventId',
  /** Positions not reached yet: max(0, last position − serving counter). */
  queueLength: 'QueueLength',
  /** The serving counter. */
  servingCounter: 'ServingCounter',
  /** Visitors admitted (first tokens issued) since the previous publication. */
  admissionRate: 'AdmissionRate',
  /** Positions assigned − tokens issued − positions expired (the API's waiting_num). */
  waiting: 'Waiting',
  /** Sessions holding a valid token. */
  activeSessions: 'ActiveSessions',
  /** Writes no replica confirmed in time (each answered 503), from the functions' logs. */
  storeWaitTimeouts: 'StoreWaitTimeouts',
  /** Times a process found an event's counters set back (a store that lost writes), from the logs. */
  storeRegressions: 'StoreRegressions',
} as const;

export interface MonitoringProps {
  functions: Record<string, lambda.IFunction>;
  apis: Record<string, apigwv2.HttpApi>;
  storeAlarms: StoreAlarmSpec[];
  /** The functions that reach the queue store: their logs are counted for the durability alarms. */
  storeFunctions: lambda.Function[];
  eventIds: string[];
  alarmTopicArn?: string;
}

export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const topic =
      props.alarmTopicArn === undefined
        ? undefined
        : sns.Topic.fromTopicArn(this, 'Topic', props.alarmTopicArn);
    const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric, threshold: number) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (topic !== undefined) created.addAlarmAction(new actions.SnsAction(topic));
      this.alarms.push(created);
    };

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, `Anteroom ${name} Lambda: errors`, fn.metricErrors({ period }), 0);
      alarm(`${name}Throttles`, `Anteroom ${name} Lambda: throttled`, fn.metricThrottles({ period }), 0);
    }
    for (const [name, api] of Object.entries(props.apis)) {
      alarm(`${name}Api5xx`, `Anteroom ${name} API: 5xx answers`, api.metricServerError({ period }), 0);
    }
    for (const spec of props.storeAlarms) alarm(spec.id, spec.description, spec.metric, spec.threshold);

    // The app's durability lines (provider/apps/deps.ts), counted across the store's functions.
    const logMetric = (metricName: string, field: string, value: string) => {
      props.storeFunctions.forEach((fn, index) => {
        new logs.MetricFilter(this, `${metricName}Filter${index}`, {
          logGroup: fn.logGroup,
          metricNamespace: QUEUE_METRICS.namespace,
          metricName,
          filterPattern: logs.FilterPattern.booleanValue(`$.${field}`, true),
          metricValue: value,
        });
      });
      return new cloudwatch.Metric({
        namespace: QUEUE_METRICS.namespace,
        metricName,
        statistic: 'Sum',
        period,
      });
    };
    alarm(
      'StoreWaitTimeouts',
      'Queue store: writes no replica confirmed in time, each answered 503 (store.durability "replica"; a replica lost or lagging)',
      logMetric(QUEUE_METRICS.storeWaitTimeouts, 'store_wait_timeout', '$.wait_timeouts'),
      0,
    );
    alarm(
      'StoreRegressed',
      'Queue store: a process found counters below what it had acknowledged (store_regressed: the store lost writes in a failover or restart)',
      logMetric(QUEUE_METRICS.storeRegressions, 'store_regressed', '1'),
      0,
    );

    const queueMetric = (metricName: string, eventId: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: QUEUE_METRICS.namespace,
        metricName,
        dimensionsMap: { [QUEUE_METRICS.dimension]: eventId },
        statistic,
        period,
        label: eventId,
      });
    const perEvent = (metricName: string, statistic: string) =>
      props.eventIds.map((eventId) => queueMetric(metricName, eventId, statistic));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Queue length (waiting)',
            left: perEvent(QUEUE_METRICS.queueLength, 'Maximum'),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Serving counter',
            left: perEvent(QUEUE_METRICS.servingCounter, 'Maximum'),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Admissions per minute',
            left: perEvent(QUEUE_METRICS.admissionRate, 'Sum'),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Waiting (waiting_num)',
            left: perEvent(QUEUE_METRICS.waiting, 'Maximum'),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Active sessions',
            left: perEvent(QUEUE_METRICS.activeSessions, 'Maximum'),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and 5xx',
            left: Object.values(props.apis).map((api) => api.metricCount({ period })),
            right: Object.values(props.apis).map((api) => api.metricServerError({ period })),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Lambda errors and throttles',
            left: Object.values(props.functions).map((fn) => fn.metricErrors({ period })),
            right: Object.values(props.functions).map((fn) => fn.metricThrottles({ period })),
            width: 12,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
