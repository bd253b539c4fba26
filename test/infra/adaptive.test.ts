/**
 * The adaptive inlet on AWS: synth refuses a probe or Prometheus signal the VPC cannot reach,
 * naming why; with NAT gateways the scheduled function alone may reach the signal's port; and
 * `originHealth` wires CloudWatch metrics (an alarm on the latency, and a minute schedule) to
 * `POST /origin_health` through a function whose role may call that route and nothing else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseDeployConfig } from '../../infra/lib/config.ts';
import {
  actionsOf,
  egressOpening,
  type Json,
  resourcesOf,
  resourcesOfType,
  roleStatements,
  synthesize,
} from './synth.ts';

const adaptive = (id: string, signal: Record<string, unknown>, intervalSeconds = 20) => ({
  id,
  inlet: {
    type: 'adaptive',
    minPerMinute: 10,
    maxPerMinute: 2000,
    intervalSeconds,
    target: { latencyMs: 800, errorRate: 0.01 },
    signal,
  },
});
const PROMETHEUS = {
  type: 'prometheus',
  url: 'http://prometheus.shop.internal:9090',
  latencyQuery: 'histogram_quantile(0.95, sum by (le) (rate(http_duration_seconds_bucket[1m]))) * 1000',
  errorRateQuery: 'sum(rate(http_errors_total[1m])) / sum(rate(http_requests_total[1m])) or vector(0)',
};
const LOAD_BALANCER = { LoadBalancer: 'app/shop/50dc6c495c0c9188' };
const ORIGIN_HEALTH = {
  eventId: 'sale',
  latency: { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: LOAD_BALANCER },
  latencyUnit: 'Seconds',
  errors: {
    namespace: 'AWS/ApplicationELB',
    metricName: 'HTTPCode_Target_5XX_Count',
    dimensions: LOAD_BALANCER,
  },
  requests: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: LOAD_BALANCER },
};

describe('synth refuses what the network cannot do', () => {
  const refuses = (config: unknown, field: RegExp, why: RegExp) =>
    assert.throws(
      () => parseDeployConfig(config),
      (error: Error & { field?: string }) => {
        assert.match(error.field ?? '', field);
        assert.match(error.message, why);
        return true;
      },
    );

  it('a probe or Prometheus signal without a NAT gateway, naming why and what to do', () => {
    for (const signal of [{ type: 'probe', url: 'https://shop.example.com/health' }, PROMETHEUS]) {
      refuses(
        { app: { events: [{ id: 'quiet' }, adaptive('sale', signal)] } },
        /^app\.events\[1\]\.inlet\.signal\.url$/,
        /VPC without a NAT gateway \(network\.natGateways is 0\), so it cannot reach .*natGateways to 1 or more, or use \{"type": "push"\}/,
      );
    }
    assert.doesNotThrow(
      () => parseDeployConfig({ app: { events: [adaptive('sale', { type: 'push' })] } }),
      'a pushed signal needs no egress',
    );
  });

  it('originHealth for an event that is missing, not adaptive with push, or steps too often for CloudWatch', () => {
    const events = [
      adaptive('sale', { type: 'push' }),
      adaptive('fast', { type: 'push' }, 10),
      { id: 'fixed' },
    ];
    const with_ = (entry: Record<string, unknown>) => ({ app: { events }, originHealth: [entry] });
    refuses(with_({ ...ORIGIN_HEALTH, eventId: 'nope' }), /originHealth\[0\]\.eventId/, /one of app\.events/);
    refuses(
      with_({ ...ORIGIN_HEALTH, eventId: 'fixed' }),
      /originHealth\[0\]\.eventId/,
      /signal \{"type": "push"\}/,
    );
    refuses(
      with_({ ...ORIGIN_HEALTH, eventId: 'fast' }),
      /originHealth\[0\]\.eventId/,
      /intervalSeconds to 20 or more/,
    );
    refuses(with_({ ...ORIGIN_HEALTH, requests: undefined }), /originHealth\[0\]\.errors/, /go together/);
    refuses(with_({ ...ORIGIN_HEALTH, latencyUnit: 'Minutes' }), /latencyUnit/, /Seconds or Milliseconds/);
    refuses(
      with_({ ...ORIGIN_HEALTH, latency: { ...ORIGIN_HEALTH.latency, statistic: 'median' } }),
      /originHealth\[0\]\.latency\.statistic/,
      /must match/,
    );
    refuses({ app: { events }, originHealth: [ORIGIN_HEALTH, ORIGIN_HEALTH] }, /eventId/, /listed twice/);
  });
});

describe('an adaptive deployment: Prometheus through NAT, CloudWatch pushed', () => {
  const { stack, template, json, violations } = synthesize({
    app: { events: [adaptive('sale', { type: 'push' }), adaptive('probed', PROMETHEUS)] },
    network: { natGateways: 1 },
    originHealth: [ORIGIN_HEALTH],
  });
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const forwarder = stack.originHealth!.fn;
  const forwarderResource = () => json.Resources[logicalId(forwarder)];

  it('the scheduled function alone may reach the Prometheus port', () => {
    const egress = egressOpening(json, 9090);
    assert.equal(egress.groups, 1);
    assert.deepEqual(egress.rules, [['tcp', 9090, 9090]]);
    assert.deepEqual(egress.functions, [logicalId(stack.statusEvents.fn)]);
  });

  it('the forwarder runs outside the VPC with what it forwards', () => {
    const properties = forwarderResource().Properties;
    assert.equal(properties.VpcConfig, undefined);
    assert.equal(properties.Handler, 'index.originHealthHandler');
    const forwards = JSON.parse(properties.Environment.Variables.ANTEROOM_ORIGIN_HEALTH_JSON);
    assert.deepEqual(forwards, [
      {
        eventId: 'sale',
        latency: { ...ORIGIN_HEALTH.latency, statistic: 'p95' },
        latencyUnit: 'Seconds',
        errors: { ...ORIGIN_HEALTH.errors, statistic: 'Sum' },
        requests: { ...ORIGIN_HEALTH.requests, statistic: 'Sum' },
      },
    ]);
    assert.ok(properties.Environment.Variables.ANTEROOM_ADMIN_API_URL);
  });

  it('its role may call POST /origin_health of the admin API and read metrics, nothing else', () => {
    const statements = roleStatements(json, logicalId(forwarder));
    const invoke = statements.filter((statement) => actionsOf(statement).includes('execute-api:Invoke'));
    assert.equal(invoke.length, 1);
    const [resource] = resourcesOf(invoke[0]);
    const text = JSON.stringify(resource);
    assert.match(text, /\/POST\/origin_health"/);
    assert.ok(text.includes(logicalId(stack.privateApi.api)), 'the admin API, no other');
    assert.deepEqual(statements.flatMap(actionsOf).sort(), [
      'cloudwatch:GetMetricData',
      'execute-api:Invoke',
    ]);
  });

  it('an alarm above the latency target, whose state changes run the forwarder, and a minute schedule', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'TargetResponseTime',
      ExtendedStatistic: 'p95',
      Dimensions: [{ Name: 'LoadBalancer', Value: LOAD_BALANCER.LoadBalancer }],
      Threshold: 0.8,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 60,
      TreatMissingData: 'notBreaching',
    });
    const [[alarmId]] = resourcesOfType(json, 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => alarm.Properties.MetricName === 'TargetResponseTime',
    ) as [[string, Json]];
    const target = Match.arrayWith([
      Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(forwarder), 'Arn'] } }),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }],
      },
      Targets: target,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: target,
    });
  });

  it('passes the AwsSolutions checks', () => {
    assert.deepEqual(violations, []);
  });
});
