/**
 * The site gate's CDK side: a waiting room and a site in one app (us-east-1), the Anteroom client
 * registered with the site's redirect URI, the Lambda@Edge function bundled with its
 * configuration (secret names, never values), attached to the site's distribution with an
 * origin-request policy that forwards the `x-anteroom-*` headers, outputs for distributions
 * defined elsewhere, least-privilege secret access, and no open cdk-nag finding.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseDeployConfig } from '../../infra/lib/config.ts';
import { SiteGate, withGateClient } from '../../infra/lib/constructs/site-gate.ts';
import { SiteGateExampleStack } from '../../infra/lib/site-gate-example-stack.ts';
import { WaitingRoomStack } from '../../infra/lib/waiting-room-stack.ts';
import { actionsOf, type Json, resourcesOf, resourcesOfType } from './synth.ts';

const ENV = { account: '123456789012', region: 'us-east-1' };
const SITE_URL = 'https://shop.example.com';
const ISSUER = 'https://queue.example.com/oidc';
const IDENTITY_HEADERS = [
  'x-anteroom-sub',
  'x-anteroom-event-id',
  'x-anteroom-request-id',
  'x-anteroom-queue-position',
];

describe('site gate on CloudFront (CDK)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'anteroom-site-gate-'));
  let waitingRoom: WaitingRoomStack;
  let json: Json;
  let waitingRoomJson: Json;
  let violations: string[];

  before(() => {
    // Bundle the site stack only (the gate's package is what is checked); the waiting room's
    // functions are covered by the other infra tests.
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': ['Shop'] } });
    const raw = withGateClient(
      {
        app: {
          publicUrl: 'https://queue.example.com',
          events: [{ id: 'sale', inlet: { type: 'manual' } }],
        },
      },
      { clientId: 'shop-gate', eventId: 'sale', siteUrls: [SITE_URL] },
    );
    waitingRoom = new WaitingRoomStack(app, 'Anteroom', { env: ENV, config: parseDeployConfig(raw) });
    const clientSecret = waitingRoom.secrets.clientSecrets.get('shop-gate');
    assert.ok(clientSecret, 'the waiting room generates the gate client’s secret');
    new SiteGateExampleStack(app, 'Shop', {
      env: ENV,
      gate: { issuer: ISSUER, clientId: 'shop-gate', clientSecret, settings: { publicPaths: ['/assets'] } },
      originDomainName: 'origin.shop.example.com',
      domainNames: ['shop.example.com'],
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    try {
      app.synth();
    } catch {
      // Findings are read from the report below.
    }
    json = JSON.parse(readFileSync(join(outdir, 'Shop.template.json'), 'utf8'));
    waitingRoomJson = JSON.parse(readFileSync(join(outdir, 'Anteroom.template.json'), 'utf8'));
    const reportPath = join(outdir, 'validation-report.json');
    const report = existsSync(reportPath)
      ? JSON.parse(readFileSync(reportPath, 'utf8'))
      : { pluginReports: [] };
    violations = report.pluginReports.flatMap((plugin: Json) =>
      plugin.violations.flatMap((violation: Json) =>
        violation.violatingConstructs
          .filter((construct: Json) => construct.constructPath.startsWith('Shop/'))
          .map((construct: Json) => `${violation.ruleName} ${construct.constructPath}`),
      ),
    );
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('registers the site’s redirect URI on the Anteroom client, whose secret the stack generates', () => {
    const [, publicFn] =
      resourcesOfType(waitingRoomJson, 'AWS::Lambda::Function').find(([id]) => id.startsWith('PublicApi')) ??
      [];
    const config = JSON.parse(publicFn.Properties.Environment.Variables.ANTEROOM_CONFIG_JSON);
    const client = config.oidc.clients.find((entry: Json) => entry.client_id === 'shop-gate');
    assert.deepEqual(client, {
      client_id: 'shop-gate',
      redirect_uris: [`${SITE_URL}/_anteroom/callback`],
      event_id: 'sale',
    });
  });

  it('deploys a Lambda@Edge function: Node 22, no environment, within the viewer-request limits', () => {
    const template = Template.fromJSON(json);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 128,
      Timeout: 5,
      Environment: Match.absent(),
    });
    // Lambda@Edge runs the function as edgelambda.amazonaws.com in every edge region.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'edgelambda.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('bundles the handler with anteroom-edge.json naming the secrets, never holding them', () => {
    const assetDir = readdirSync(outdir)
      .map((name) => join(outdir, name))
      .find((path) => existsSync(join(path, 'anteroom-edge.json')));
    assert.ok(assetDir, 'the package has its configuration beside the bundle');
    assert.ok(existsSync(join(assetDir, 'index.mjs')));
    const config = JSON.parse(readFileSync(join(assetDir, 'anteroom-edge.json'), 'utf8'));
    assert.equal(config.issuer, ISSUER);
    assert.equal(config.clientId, 'shop-gate');
    assert.deepEqual(config.publicPaths, ['/assets']);
    assert.equal(config.clientSecret, undefined);
    assert.equal(config.cookieSecret, undefined);
    assert.equal(config.secretsManager.region, 'us-east-1');
    const names = resourcesOfType(json, 'AWS::SecretsManager::Secret').map(
      ([, secret]) => secret.Properties.Name,
    );
    assert.deepEqual(
      [config.secretsManager.clientSecret, config.secretsManager.cookieSecret].sort(),
      names.sort(),
    );
  });

  it('copies the client secret by a dynamic reference and generates the cookie secret: no value in the template', () => {
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret').map(
      ([, secret]) => secret.Properties,
    );
    const copy = secrets.find((secret) => secret.SecretString !== undefined);
    assert.ok(copy);
    assert.match(JSON.stringify(copy.SecretString), /\{\{resolve:secretsmanager:/);
    const generated = secrets.find((secret) => secret.GenerateSecretString !== undefined);
    assert.ok(generated);
    assert.ok(generated.GenerateSecretString.PasswordLength >= 32);
  });

  it('lets the function read its two secrets and nothing else', () => {
    const statements = resourcesOfType(json, 'AWS::IAM::Policy').flatMap(
      ([, policy]) => policy.Properties.PolicyDocument.Statement as Json[],
    );
    const secretIds = resourcesOfType(json, 'AWS::SecretsManager::Secret').map(([id]) => id);
    const reads = statements.filter((statement) =>
      actionsOf(statement).includes('secretsmanager:GetSecretValue'),
    );
    assert.deepEqual(
      reads.flatMap((statement) => resourcesOf(statement).map((r: Json) => r.Ref)).sort(),
      secretIds.sort(),
    );
    for (const statement of statements) {
      for (const action of actionsOf(statement))
        assert.match(action, /^secretsmanager:(GetSecretValue|DescribeSecret)$/);
    }
  });

  it('attaches the gate to the distribution on viewer-request and forwards the x-anteroom-* headers', () => {
    const template = Template.fromJSON(json);
    const [distributionId, distribution] = resourcesOfType(json, 'AWS::CloudFront::Distribution')[0] ?? [];
    assert.ok(distributionId);
    const behavior = distribution.Properties.DistributionConfig.DefaultCacheBehavior;
    assert.equal(behavior.LambdaFunctionAssociations.length, 1);
    assert.equal(behavior.LambdaFunctionAssociations[0].EventType, 'viewer-request');
    const [policyId, policy] = resourcesOfType(json, 'AWS::CloudFront::OriginRequestPolicy')[0] ?? [];
    assert.deepEqual(behavior.OriginRequestPolicyId, { Ref: policyId });
    assert.deepEqual(
      [...policy.Properties.OriginRequestPolicyConfig.HeadersConfig.Headers].sort(),
      [...IDENTITY_HEADERS].sort(),
    );
    template.hasOutput('*', { Description: Match.stringLikeRegexp('Lambda@Edge version') });
    const settings = Object.values(json.Outputs as Record<string, Json>).find((output) =>
      String(output.Description).startsWith('Cache-behaviour settings'),
    );
    assert.ok(settings, 'the behaviour settings for a distribution defined elsewhere');
    assert.match(JSON.stringify(settings.Value), /viewer-request/);
  });

  it('leaves no cdk-nag finding open', () => {
    assert.deepEqual(violations, []);
  });

  it('refuses at synth a stack outside us-east-1 and a bad gate setting, naming the field', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const secret = { secretValue: {} } as never;
    const elsewhere = new Stack(app, 'Elsewhere', { env: { account: ENV.account, region: 'eu-west-1' } });
    assert.throws(
      () => new SiteGate(elsewhere, 'Gate', { issuer: ISSUER, clientId: 'x', clientSecret: secret }),
      {
        field: 'region',
      },
    );
    const east = new Stack(app, 'East', { env: ENV });
    assert.throws(
      () =>
        new SiteGate(east, 'Gate', {
          issuer: ISSUER,
          clientId: 'x',
          clientSecret: secret,
          settings: { protect: ['shop'] },
        }),
      { field: 'protect[0]' },
    );
  });
});
