/**
 * CloudWatch metrics of the origin → `POST /origin_health` (adaptive events with a push signal,
 * deployment config `originHealth`): a small function outside the VPC (it needs CloudWatch and
 * the admin API, both public AWS endpoints, and nothing of the queue store) reads the latest
 * minute of each event's metrics and posts the reading, signed with its role. That role may call
 * `POST /origin_health` on the private API and nothing else: the AWS counterpart of an admin key
 * limited to the `origin_health` scope.
 *
 * It runs every minute, and at once when the alarm the construct puts on each latency metric
 * (above the event's latency target) changes state, so a degrading origin is read without
 * waiting for the minute.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import type { OriginHealthForward } from '../../../provider/lambda/origin-health-forwarder.ts';
import type { OriginHealthConfig } from '../origin-signals.ts';
import { AppFunction } from './app-function.ts';

export interface OriginHealthProps {
  entry: string;
  forwards: OriginHealthConfig[];
  /** The private admin API (IAM authorization) the readings are posted to. */
  api: apigwv2.HttpApi;
  logRetentionDays: number;
}

export class OriginHealth extends Construct {
  readonly fn: NodejsFunction;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OriginHealthProps) {
    super(scope, id);
    const forwards: OriginHealthForward[] = props.forwards.map(
      ({ alarmThreshold: _threshold, ...forward }) => forward,
    );
    this.fn = new AppFunction(this, 'Forwarder', {
      entry: props.entry,
      handler: 'originHealthHandler',
      description: 'Anteroom: CloudWatch metrics of the origin to POST /origin_health (adaptive inlets)',
      environment: {
        ANTEROOM_ADMIN_API_URL: props.api.apiEndpoint,
        ANTEROOM_ORIGIN_HEALTH_JSON: JSON.stringify(forwards),
      },
      timeout: Duration.seconds(30),
      memorySize: 256,
      logRetentionDays: props.logRetentionDays,
    }).fn;
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: [props.api.arnForExecuteApi('POST', '/origin_health', '$default')],
      }),
    );
    // GetMetricData has no resource-level permissions.
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );

    const target = new targets.LambdaFunction(this.fn, {
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    new events.Rule(this, 'EveryMinute', {
      description: 'Anteroom: forward the origin health every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [target],
    });
    for (const forward of props.forwards) {
      const alarm = new cloudwatch.Alarm(this, `Latency-${forward.eventId}`, {
        alarmDescription: `Origin of event ${forward.eventId} above its latency target (adaptive inlet)`,
        metric: new cloudwatch.Metric({
          namespace: forward.latency.namespace,
          metricName: forward.latency.metricName,
          dimensionsMap: forward.latency.dimensions,
          statistic: forward.latency.statistic,
          period: Duration.minutes(1),
        }),
        threshold: forward.alarmThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(alarm);
      new events.Rule(this, `AlarmChange-${forward.eventId}`, {
        description: `Anteroom: forward the origin health of ${forward.eventId} when its alarm changes state`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [alarm.alarmArn],
        },
        targets: [target],
      });
    }
  }
}
