/**
 * Alarms and the dashboard. Alarms: every Lambda's errors and throttles, both APIs' 5xx, the queue
 * store's CPU and memory. Dashboard: queue length, serving counter and admission rate per event,
 * from the custom metrics the scheduled handler publishes (embedded metric format, namespace
 * `Anteroom`, dimension `EventId`), next to the API and Lambda health.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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
} as const;

export interface MonitoringProps {
  functions: Record<string, lambda.IFunction>;
  apis: Record<string, apigwv2.HttpApi>;
  storeAlarms: StoreAlarmSpec[];
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
