/**
 * Status events and the clock: an EventBridge bus the app publishes status events on, and a
 * one-minute schedule that runs `scheduledHandler` (inlet ticks, position expiry, status events,
 * the custom metrics the dashboard shows).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PROVIDER_RUNTIME_FILES } from '../entries.ts';
import { AppFunction, type FunctionNetwork } from './app-function.ts';

export interface StatusEventsProps {
  entry: string;
  /** Environment of the scheduled handler, without the bus name (added here). */
  environment: Record<string, string>;
  network: FunctionNetwork;
  logRetentionDays: number;
  /** Ship source maps (see `AppFunctionProps.sourceMaps`). */
  sourceMaps?: boolean;
}

export class StatusEvents extends Construct {
  readonly bus: events.EventBus;
  readonly fn: lambda.Function;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: StatusEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Anteroom status events' });
    this.fn = new AppFunction(this, 'Handler', {
      entry: props.entry,
      handler: 'scheduledHandler',
      description: 'Anteroom clock: inlet ticks, position expiry, status events, metrics',
      environment: { ...props.environment, ANTEROOM_EVENT_BUS: this.bus.eventBusName },
      // Runs tick for 70 s (provider/lambda/scheduled.ts), overlapping the next minute's run so
      // no tick falls between two; 5 s of margin stay for the status events and metrics.
      timeout: Duration.seconds(80),
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
      sourceMaps: props.sourceMaps,
      network: props.network,
      runtimeFiles: PROVIDER_RUNTIME_FILES,
    }).fn;
    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Anteroom scheduled handler, once a minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A missed tick is superseded by the next one: never queue up stale ticks.
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
