/**
 * `cdn.webAcl`: the stack creates a WAFv2 web ACL (scope CLOUDFRONT) with one rate-based rule
 * per client address, answered 429 at the edge, and attaches it to the distribution. CloudFront
 * web ACLs live in us-east-1 only: a stack pinned elsewhere is refused at synth, and an
 * environment-agnostic one carries a CloudFormation rule that stops a deployment elsewhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { parseDeployConfig } from '../../infra/lib/config.ts';
import { WaitingRoomStack } from '../../infra/lib/waiting-room-stack.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import { type Json, resourcesOfType, synthesize } from './synth.ts';

const { stack, json, violations, acknowledgments } = synthesize({
  cdn: { webAcl: { rateLimit: 3000, windowSeconds: 120 } },
});

function rejects(raw: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => parseDeployConfig(raw),
    (error: unknown) =>
      error instanceof ValidationError && error.field === field && (message?.test(error.message) ?? true),
    `expected a ValidationError on ${field}`,
  );
}

describe('cdn.webAcl: a rate-limiting web ACL on the distribution', () => {
  it('creates one CLOUDFRONT web ACL with a rate rule per client address, refused with 429', () => {
    const acls = resourcesOfType(json, 'AWS::WAFv2::WebACL') as [string, Json][];
    assert.equal(acls.length, 1);
    const [[, acl]] = acls as [[string, Json]];
    assert.equal(acl.Properties.Scope, 'CLOUDFRONT');
    assert.deepEqual(acl.Properties.DefaultAction, { Allow: {} });
    assert.equal(acl.Properties.Rules.length, 1);
    const [rule] = acl.Properties.Rules;
    assert.deepEqual(rule.Statement, {
      RateBasedStatement: { AggregateKeyType: 'IP', Limit: 3000, EvaluationWindowSec: 120 },
    });
    assert.deepEqual(rule.Action, { Block: { CustomResponse: { ResponseCode: 429 } } });
    assert.equal(rule.VisibilityConfig.CloudWatchMetricsEnabled, true);
  });

  it("attaches it to the distribution (the web ACL's ARN)", () => {
    const [[aclId]] = resourcesOfType(json, 'AWS::WAFv2::WebACL') as [[string, Json]];
    const [[, distribution]] = resourcesOfType(json, 'AWS::CloudFront::Distribution') as [[string, Json]];
    assert.deepEqual(distribution.Properties.DistributionConfig.WebACLId, { 'Fn::GetAtt': [aclId, 'Arn'] });
    assert.equal(stack.cdn.hasWebAcl, true);
  });

  it('stops a deployment outside us-east-1 before anything is created (a template rule)', () => {
    const rules = Object.entries(json.Rules ?? {}).filter(([id]) => id.startsWith('CdnWebAclRegion'));
    assert.equal(rules.length, 1, 'a CloudFormation rule on the region');
    const [[, rule]] = rules as [[string, Json]];
    assert.deepEqual(rule.Assertions[0].Assert, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    assert.match(rule.Assertions[0].AssertDescription, /cdn\.webAclArn/);
  });

  it('leaves cdk-nag nothing to report and acknowledges no WAF finding', () => {
    assert.deepEqual(violations, []);
    assert.ok(!acknowledgments.some((ack) => /CFR2/.test(ack.id)));
  });

  it('is refused at synth in a stack pinned to another region, naming the way out', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    assert.throws(
      () =>
        new WaitingRoomStack(app, 'Elsewhere', {
          config: parseDeployConfig({ cdn: { webAcl: { rateLimit: 3000 } } }),
          env: { account: '123456789012', region: 'eu-west-1' },
        }),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.field === 'cdn.webAcl' &&
        /us-east-1/.test(error.message) &&
        /cdn\.webAclArn/.test(error.message),
    );
  });

  it('checks its fields: a rate AWS WAF accepts, one of its windows, not beside cdn.webAclArn', () => {
    assert.deepEqual(parseDeployConfig({ cdn: { webAcl: { rateLimit: 10 } } }).cdn.webAcl, {
      rateLimit: 10,
      windowSeconds: 300,
    });
    rejects({ cdn: { webAcl: {} } }, 'cdn.webAcl.rateLimit', /required/);
    rejects({ cdn: { webAcl: { rateLimit: 9 } } }, 'cdn.webAcl.rateLimit');
    rejects({ cdn: { webAcl: { rateLimit: 2.5 } } }, 'cdn.webAcl.rateLimit');
    rejects(
      { cdn: { webAcl: { rateLimit: 100, windowSeconds: 90 } } },
      'cdn.webAcl.windowSeconds',
      /60, 120, 300, 600/,
    );
    rejects({ cdn: { webAcl: { rateLimit: 100, burst: 5 } } }, 'cdn.webAcl.burst');
    rejects(
      {
        cdn: {
          webAcl: { rateLimit: 100 },
          webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/anteroom/1a2b3c',
        },
      },
      'cdn.webAcl',
    );
  });
});
