/**
 * The default deployment (node-based Valkey, no NAT gateway, CloudFront default domain): every
 * resource the issue asks for exists with its security properties, each Lambda gets only its own
 * secrets and tables, cdk-nag finds nothing unacknowledged, and the template matches its snapshot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import {
  CACHED_STATUS_PATHS,
  CLIENT_ADDRESS_FUNCTION,
  CLIENT_ADDRESS_HEADER,
  ORIGIN_DIRECTED_PATHS,
  ORIGIN_SECRET_HEADER,
  UNCACHED_PATHS,
} from '../../infra/lib/constructs/cdn.ts';
import { LEDGER_TABLE_SCHEMA, OIDC_TABLE_SCHEMA } from '../../infra/lib/constructs/state-tables.ts';
import { loadConfig } from '../../provider/config/server-config.ts';
import { expectSnapshot } from './snapshot.ts';
import {
  actionsOf,
  type Json,
  resolved,
  resourcesOf,
  resourcesOfType,
  roleStatements,
  synthesize,
} from './synth.ts';

const { stack, template, json, violations, acknowledgments } = synthesize({
  app: { events: [{ id: 'sale' }, { id: 'exam' }] },
});

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const fns = {
  public: stack.publicApi.fn,
  admin: stack.privateApi.fn,
  scheduled: stack.statusEvents.fn,
  authorizer: stack.authorizer.fn,
};
const secrets = {
  redisAuth: stack.queueStore.authSecret,
  signingKeys: stack.secrets.signingKeys,
  cookieKeys: stack.secrets.cookieKeys,
  originSecret: stack.secrets.originSecret,
};
const secretIdOf = (secret: IConstruct) => logicalId(secret);
const tableIds = { oidc: logicalId(stack.tables.oidcTable), ledger: logicalId(stack.tables.ledgerTable) };
const environmentOf = (fn: IConstruct): Record<string, Json> =>
  json.Resources[logicalId(fn)].Properties.Environment.Variables;

/** Logical ids of the secrets (or tables) a statement's resources point at. */
function referencedIds(statement: Json): string[] {
  return resourcesOf(statement).map((resource) => {
    const text = JSON.stringify(resource);
    const match = /"(?:Ref|Fn::GetAtt)":(?:"|\[")([A-Za-z0-9]+)/.exec(text);
    assert.ok(match, `statement resource without a reference: ${text}`);
    return match[1]!;
  });
}

/**
 * `secretsmanager:BatchGetSecretValue` has no resource-level permission (only "*") and returns
 * only the secrets the caller may `GetSecretValue`: the one statement allowed on "*".
 */
const isBatchSecretRead = (statement: Json) =>
  actionsOf(statement).every((action) => action === 'secretsmanager:BatchGetSecretValue');

function idsForActions(fn: IConstruct, prefix: string): Set<string> {
  return new Set(
    roleStatements(json, logicalId(fn))
      .filter((statement) => !isBatchSecretRead(statement))
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith(prefix)))
      .flatMap(referencedIds),
  );
}

describe('queue store', () => {
  it('is a Multi-AZ replication group with automatic failover, encrypted at rest and in transit', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      // A primary and two replicas: after a failover one replica is left to confirm writes.
      NumCacheClusters: 3,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      Port: 6380,
    });
  });

  it('takes its AUTH token from the generated secret, by dynamic reference', () => {
    const [[, group]] = resourcesOfType(json, 'AWS::ElastiCache::ReplicationGroup') as [[string, Json]];
    assert.deepEqual(group.Properties.AuthToken, {
      'Fn::Join': [
        '',
        ['{{resolve:secretsmanager:', { Ref: secretIdOf(secrets.redisAuth) }, ':SecretString:::}}'],
      ],
    });
  });

  it('admits only the Lambdas security group, on its port', () => {
    const storeGroup = logicalId(stack.queueStore.securityGroup);
    const functionGroup = logicalId(stack.network.functionSecurityGroup);
    const ingress = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress')
      .map(([, rule]) => rule.Properties)
      .filter((rule) => rule.GroupId['Fn::GetAtt'][0] === storeGroup);
    assert.deepEqual(ingress, [
      {
        IpProtocol: 'tcp',
        FromPort: 6380,
        ToPort: 6380,
        GroupId: { 'Fn::GetAtt': [storeGroup, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [functionGroup, 'GroupId'] },
        Description: 'Anteroom Lambdas to the queue store',
      },
    ]);
    const [[, group]] = resourcesOfType(json, 'AWS::ElastiCache::ReplicationGroup') as [[string, Json]];
    assert.deepEqual(group.Properties.SecurityGroupIds, [{ 'Fn::GetAtt': [storeGroup, 'GroupId'] }]);
  });

  it('has no ingress from any address range anywhere in the stack', () => {
    const inline = resourcesOfType(json, 'AWS::EC2::SecurityGroup').flatMap(
      ([, group]) => group.Properties.SecurityGroupIngress ?? [],
    );
    const separate = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress').map(
      ([, rule]) => rule.Properties,
    );
    for (const rule of [...inline, ...separate]) {
      assert.notEqual(rule.CidrIp, '0.0.0.0/0', JSON.stringify(rule));
      assert.notEqual(rule.CidrIpv6, '::/0', JSON.stringify(rule));
    }
    // The only range-based ingress is none at all: everything is group to group.
    assert.equal([...inline, ...separate].filter((rule) => rule.CidrIp || rule.CidrIpv6).length, 0);
  });

  it('lives in private subnets without a NAT gateway; AWS APIs through endpoints', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const services = resourcesOfType(json, 'AWS::EC2::VPCEndpoint').map(([, endpoint]) =>
      JSON.stringify(endpoint.Properties.ServiceName),
    );
    assert.equal(services.length, 3);
    for (const name of ['secretsmanager', 'events', 'dynamodb']) {
      assert.ok(
        services.some((service) => service.includes(name)),
        `no ${name} endpoint in ${services}`,
      );
    }
  });
});

describe('DynamoDB tables', () => {
  const common = {
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
  };

  it("OIDC adapter table: the adapter's own key, TTL and grant index", () => {
    const table = json.Resources[tableIds.oidc];
    assert.deepEqual(table.Properties.KeySchema, [{ AttributeName: 'modelId', KeyType: 'HASH' }]);
    assert.equal(OIDC_TABLE_SCHEMA.partitionKey, 'modelId');
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
    assert.deepEqual(table.Properties.GlobalSecondaryIndexes, [
      {
        IndexName: 'grantId-index',
        KeySchema: [{ AttributeName: 'grantId', KeyType: 'HASH' }],
        Projection: { ProjectionType: OIDC_TABLE_SCHEMA.grantIndex.projection },
      },
    ]);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ ...common, KeySchema: [{ AttributeName: 'modelId', KeyType: 'HASH' }] }),
      DeletionPolicy: 'Retain',
    });
  });

  it('admission ledger: request_id key, event_id + expires index, TTL', () => {
    const table = json.Resources[tableIds.ledger];
    assert.deepEqual(table.Properties.KeySchema, [{ AttributeName: 'request_id', KeyType: 'HASH' }]);
    assert.deepEqual(table.Properties.TimeToLiveSpecification, {
      AttributeName: LEDGER_TABLE_SCHEMA.ttlAttribute,
      Enabled: true,
    });
    assert.deepEqual(table.Properties.GlobalSecondaryIndexes[0].KeySchema, [
      { AttributeName: 'event_id', KeyType: 'HASH' },
      { AttributeName: 'expires', KeyType: 'RANGE' },
    ]);
    assert.equal(table.Properties.GlobalSecondaryIndexes[0].IndexName, 'event_id-expires-index');
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        ...common,
        KeySchema: [{ AttributeName: 'request_id', KeyType: 'HASH' }],
      }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('secrets', () => {
  it('are all generated by Secrets Manager: no value in the template', () => {
    const all = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    assert.equal(all.length, 4);
    for (const [id, secret] of all) {
      assert.equal(secret.Properties.SecretString, undefined, id);
      assert.ok(secret.Properties.GenerateSecretString, id);
    }
  });

  it('the signing-key secret starts as an empty key document the app fills', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { SecretStringTemplate: '{"keys":[]}', GenerateStringKey: 'bootstrap' },
    });
  });
});

describe('public API', () => {
  const publicApiId = logicalId(stack.publicApi.api);

  it('is an HTTP API whose $default stage is throttled and access-logged (no account CloudWatch role)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: publicApiId },
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 3000, ThrottlingBurstLimit: 5000 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
  });

  it('sends every request to the public handler of provider/lambda.ts on Node.js 22, in the VPC', () => {
    const fn = json.Resources[logicalId(fns.public)].Properties;
    assert.equal(fn.Handler, 'index.publicHandler');
    assert.equal(fn.Runtime, 'nodejs22.x');
    assert.ok(fn.VpcConfig.SubnetIds.length >= 2);
    assert.deepEqual(fn.VpcConfig.SecurityGroupIds, [
      { 'Fn::GetAtt': [logicalId(stack.network.functionSecurityGroup), 'GroupId'] },
    ]);
  });
});

describe('private API', () => {
  const privateApiId = logicalId(stack.privateApi.api);

  it('requires IAM authorization on every route, and has no CORS without control-panel origins', () => {
    const routes = resourcesOfType(json, 'AWS::ApiGatewayV2::Route').filter(
      ([, route]) => route.Properties.ApiId.Ref === privateApiId,
    );
    assert.ok(routes.length > 0);
    for (const [id, route] of routes) assert.equal(route.Properties.AuthorizationType, 'AWS_IAM', id);
    assert.equal(json.Resources[privateApiId].Properties.CorsConfiguration, undefined);
  });

  it('serves the admin handler and offers a policy to invoke it', () => {
    assert.equal(json.Resources[logicalId(fns.admin)].Properties.Handler, 'index.adminHandler');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Effect: 'Allow' })],
      },
    });
  });
});

describe('least privilege', () => {
  it('no inline policy of a function grants anything on "*" but BatchGetSecretValue (read: only secrets it may GetSecretValue)', () => {
    for (const [name, fn] of Object.entries(fns)) {
      const statements = roleStatements(json, logicalId(fn));
      for (const statement of statements) {
        if (isBatchSecretRead(statement)) continue;
        assert.ok(!resourcesOf(statement).includes('*'), `${name}: ${JSON.stringify(statement)}`);
      }
      // The functions that read secrets read them in one call at a cold start; the authorizer reads none.
      assert.equal(statements.filter(isBatchSecretRead).length, name === 'authorizer' ? 0 : 1, name);
    }
  });

  it('each function reads only its own secrets', () => {
    const expected = {
      public: [secrets.redisAuth, secrets.signingKeys, secrets.cookieKeys, secrets.originSecret],
      admin: [secrets.redisAuth, secrets.signingKeys],
      scheduled: [secrets.redisAuth, secrets.signingKeys],
      authorizer: [],
    };
    for (const [name, fn] of Object.entries(fns)) {
      const want = new Set(expected[name as keyof typeof expected].map(secretIdOf));
      assert.deepEqual(idsForActions(fn, 'secretsmanager:'), want, name);
    }
  });

  it('only the scheduled function may write, and only the signing-key secret; the internet-facing ones read', () => {
    for (const [name, fn] of Object.entries(fns)) {
      const writes = roleStatements(json, logicalId(fn)).filter((statement) =>
        actionsOf(statement).some(
          (action) => action.startsWith('secretsmanager:') && !/Get|Describe/.test(action),
        ),
      );
      // The scheduled function generates the keys on its first run (triggered by the deployment);
      // a flaw in the public or admin function cannot replace them.
      const allowed = name === 'scheduled';
      assert.equal(writes.length, allowed ? 1 : 0, name);
      if (allowed) {
        assert.deepEqual(actionsOf(writes[0]), ['secretsmanager:PutSecretValue']);
        assert.deepEqual(referencedIds(writes[0]), [secretIdOf(secrets.signingKeys)]);
      }
    }
  });

  it('the internet-facing functions read the keys only, and the deployment has the scheduled function create them', () => {
    for (const name of ['public', 'admin'] as const) {
      assert.equal(environmentOf(fns[name]).ANTEROOM_KEYS_READ_ONLY, 'true', name);
    }
    assert.equal(environmentOf(fns.scheduled).ANTEROOM_KEYS_READ_ONLY, undefined);
    const triggers = resourcesOfType(json, 'Custom::Trigger') as [string, Json][];
    assert.equal(triggers.length, 1);
    const [, trigger] = triggers[0]!;
    assert.match(JSON.stringify((trigger['Properties'] as Json)['HandlerArn']), /StatusEventsHandler/);
    // After the secret it writes exists.
    const after = (trigger['DependsOn'] as string[] | undefined) ?? [];
    assert.ok(after.includes(secretIdOf(secrets.signingKeys)), after.join(', '));
  });

  it('each function reaches only its own tables', () => {
    const expected = {
      public: [tableIds.oidc, tableIds.ledger],
      admin: [tableIds.ledger],
      scheduled: [tableIds.ledger],
      authorizer: [],
    };
    for (const [name, fn] of Object.entries(fns)) {
      assert.deepEqual(
        idsForActions(fn, 'dynamodb:'),
        new Set(expected[name as keyof typeof expected]),
        name,
      );
    }
  });

  it('each function receives the ARNs of exactly the secrets it may read', () => {
    const secretEnv = (fn: IConstruct) =>
      Object.keys(environmentOf(fn))
        .filter((key) => key.endsWith('_SECRET_ARN'))
        .sort();
    assert.deepEqual(secretEnv(fns.public), [
      'ANTEROOM_COOKIE_KEYS_SECRET_ARN',
      'ANTEROOM_KEYS_SECRET_ARN',
      'ANTEROOM_ORIGIN_SECRET_ARN',
      'ANTEROOM_REDIS_AUTH_SECRET_ARN',
    ]);
    assert.deepEqual(secretEnv(fns.admin), ['ANTEROOM_KEYS_SECRET_ARN', 'ANTEROOM_REDIS_AUTH_SECRET_ARN']);
    assert.deepEqual(secretEnv(fns.scheduled), [
      'ANTEROOM_KEYS_SECRET_ARN',
      'ANTEROOM_REDIS_AUTH_SECRET_ARN',
    ]);
    assert.deepEqual(secretEnv(fns.authorizer), []);
  });
});

describe('Lambda environment', () => {
  it('gives the public app its configuration, store, tables, bus and public URL', () => {
    const env = environmentOf(fns.public);
    assert.deepEqual(JSON.parse(env.ANTEROOM_CONFIG_JSON), { events: [{ id: 'sale' }, { id: 'exam' }] });
    assert.equal(env.ANTEROOM_REDIS_TLS, 'true');
    const [[groupId]] = resourcesOfType(json, 'AWS::ElastiCache::ReplicationGroup') as [[string, Json]];
    assert.deepEqual(env.ANTEROOM_REDIS_HOST, { 'Fn::GetAtt': [groupId, 'PrimaryEndPoint.Address'] });
    assert.deepEqual(env.ANTEROOM_REDIS_PORT, { 'Fn::GetAtt': [groupId, 'PrimaryEndPoint.Port'] });
    assert.deepEqual(env.ANTEROOM_OIDC_TABLE, { Ref: tableIds.oidc });
    assert.deepEqual(env.ANTEROOM_LEDGER_TABLE, { Ref: tableIds.ledger });
    assert.deepEqual(env.ANTEROOM_EVENT_BUS, resolved(stack, stack.statusEvents.bus.eventBusName));
    assert.deepEqual(env.ANTEROOM_PUBLIC_URL, {
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack.cdn.distribution), 'DomainName'] }]],
    });
    // A hop count (CloudFront, then API Gateway), never `true`, which the app refuses at start.
    assert.equal(env.TRUST_PROXY, '2');
    const limits = loadConfig({ raw: {}, env: { TRUST_PROXY: env.TRUST_PROXY as string } }).limits;
    assert.deepEqual([limits.trustProxy, limits.trustedProxyHops], [true, 2]);
    assert.equal(env.CLIENT_ADDRESS_HEADER, CLIENT_ADDRESS_HEADER);
  });

  it('acknowledges a store write once a replica holds it, in every function that writes it', () => {
    for (const fn of [fns.public, fns.admin, fns.scheduled]) {
      assert.equal(environmentOf(fn).REDIS_DURABILITY, 'replica');
    }
    // The value the app reads, as the Lambdas' configuration reads it.
    const { store } = loadConfig({
      raw: {},
      env: { REDIS_URL: 'redis://h:6379', REDIS_DURABILITY: 'replica' },
    });
    assert.equal(store.type === 'redis' && store.durability, 'replica');
  });

  it('runs no function with source maps unless the deployment asks (they slow every cold start)', () => {
    for (const [name, fn] of Object.entries(fns)) {
      assert.equal(environmentOf(fn).NODE_OPTIONS, undefined, name);
    }
  });

  it('configures the authorizer with the JWKS, issuer and every event as audience, outside the VPC', () => {
    const fn = json.Resources[logicalId(fns.authorizer)].Properties;
    assert.equal(fn.Handler, 'index.handler');
    assert.equal(fn.VpcConfig, undefined);
    assert.equal(fn.Environment.Variables.ANTEROOM_AUDIENCE, 'sale,exam');
    assert.match(JSON.stringify(fn.Environment.Variables.ANTEROOM_JWKS_URL), /\/\.well-known\/jwks\.json/);
  });
});

describe('CloudFront', () => {
  const distribution = () => json.Resources[logicalId(stack.cdn.distribution)].Properties.DistributionConfig;
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

  it('adds the origin secret header by dynamic reference, and speaks TLS 1.2 to the origin', () => {
    const [origin] = distribution().Origins;
    assert.deepEqual(origin.OriginCustomHeaders, [
      {
        HeaderName: ORIGIN_SECRET_HEADER,
        HeaderValue: {
          'Fn::Join': [
            '',
            ['{{resolve:secretsmanager:', { Ref: secretIdOf(secrets.originSecret) }, ':SecretString:::}}'],
          ],
        },
      },
    ]);
    assert.deepEqual(origin.CustomOriginConfig, {
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
  });

  it('caches status answers for a second, keyed by the whole query string', () => {
    const policyId = logicalId(stack.cdn.node.findChild('StatusCache'));
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: {
        DefaultTTL: 1,
        MaxTTL: 1,
        MinTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      },
    });
    const behaviors = distribution().CacheBehaviors as Json[];
    for (const path of CACHED_STATUS_PATHS) {
      const behavior = behaviors.find((candidate) => candidate.PathPattern === path);
      assert.deepEqual(behavior.CachePolicyId, { Ref: policyId }, path);
    }
  });

  it('caches assets and public keys only as long as the app says, five minutes at most', () => {
    const policyId = logicalId(stack.cdn.node.findChild('OriginDirectedCache'));
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 0, MaxTTL: 300, MinTTL: 0 }),
    });
    const behaviors = distribution().CacheBehaviors as Json[];
    for (const path of ORIGIN_DIRECTED_PATHS) {
      const behavior = behaviors.find((candidate) => candidate.PathPattern === path);
      assert.deepEqual(behavior.CachePolicyId, { Ref: policyId }, path);
      assert.deepEqual(behavior.AllowedMethods, ['GET', 'HEAD', 'OPTIONS'], path);
    }
  });

  it('never caches enqueue, token and OIDC calls, and forwards all viewer headers but Host', () => {
    const behaviors = distribution().CacheBehaviors as Json[];
    for (const path of UNCACHED_PATHS) {
      const behavior = behaviors.find((candidate) => candidate.PathPattern === path);
      assert.equal(behavior.CachePolicyId, CACHING_DISABLED, path);
      assert.equal(behavior.OriginRequestPolicyId, 'b689b0a8-53d0-40ab-baf2-68738e2966ac', path);
      assert.ok(behavior.AllowedMethods.includes('POST'), path);
    }
    assert.equal(distribution().DefaultCacheBehavior.CachePolicyId, CACHING_DISABLED);
  });
});

describe('CloudFront viewer address', () => {
  const distribution = () => json.Resources[logicalId(stack.cdn.distribution)].Properties.DistributionConfig;

  it('is set by a viewer-request function on every uncached behaviour, and only there', () => {
    const [[functionId, fn]] = resourcesOfType(json, 'AWS::CloudFront::Function') as [[string, Json]];
    assert.equal(fn.Properties.FunctionCode, CLIENT_ADDRESS_FUNCTION);
    assert.equal(fn.Properties.FunctionConfig.Runtime, 'cloudfront-js-2.0');
    const association = [
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
    ];
    const behaviors = distribution().CacheBehaviors as Json[];
    for (const path of UNCACHED_PATHS) {
      const behavior = behaviors.find((candidate) => candidate.PathPattern === path);
      assert.deepEqual(behavior.FunctionAssociations, association, path);
    }
    assert.deepEqual(distribution().DefaultCacheBehavior.FunctionAssociations, association);
    for (const path of [...CACHED_STATUS_PATHS, ...ORIGIN_DIRECTED_PATHS]) {
      const behavior = behaviors.find((candidate) => candidate.PathPattern === path);
      assert.equal(behavior.FunctionAssociations, undefined, path);
    }
  });

  it("overwrites whatever the viewer sent with the viewer's address (the function, run as CloudFront would)", async () => {
    // CloudFront Functions' runtime is not available here: the code is plain ES2020 run in a
    // fresh context, with an event of the documented shape.
    const handler = runInNewContext(`${CLIENT_ADDRESS_FUNCTION}; handler`) as (
      event: unknown,
    ) => Promise<Json>;
    const request = await handler({
      viewer: { ip: '203.0.113.5' },
      request: {
        method: 'POST',
        uri: '/assign_queue_num',
        headers: { [CLIENT_ADDRESS_HEADER]: { value: '198.51.100.1' }, host: { value: 'queue.example' } },
      },
    });
    // (Objects of the other context: compare their values.)
    assert.equal(request.headers[CLIENT_ADDRESS_HEADER].value, '203.0.113.5');
    assert.equal(request.headers.host.value, 'queue.example');
  });
});

describe('events, authorizer export, monitoring', () => {
  it('runs the scheduled handler every minute and has a status-event bus', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(fns.scheduled), 'Arn'] } })],
    });
    assert.equal(json.Resources[logicalId(fns.scheduled)].Properties.Handler, 'index.scheduledHandler');
  });

  it('exports the authorizer function ARN for other stacks', () => {
    template.hasOutput('*', {
      Value: { 'Fn::GetAtt': [logicalId(fns.authorizer), 'Arn'] },
      Export: { Name: 'Anteroom-AuthorizerFunctionArn' },
    });
  });

  it('alarms on Lambda errors and throttles, API 5xx, store CPU and memory', () => {
    const metrics = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(
      ([, alarm]) => alarm.Properties.MetricName,
    );
    const count = (name: string) => metrics.filter((metric) => metric === name).length;
    assert.equal(count('Errors'), 4);
    assert.equal(count('Throttles'), 4);
    assert.equal(count('5xx'), 2);
    // Each of the three nodes: any may be the primary after a failover.
    assert.equal(count('EngineCPUUtilization'), 3);
    assert.equal(count('DatabaseMemoryUsagePercentage'), 3);
  });

  it('alarms on writes no replica confirmed and on store_regressed, counted from the store functions’ logs', () => {
    const storeFns = [fns.public, fns.admin, fns.scheduled];
    const logGroupOf = (fn: IConstruct) => json.Resources[logicalId(fn)].Properties.LoggingConfig.LogGroup;
    const filters = resourcesOfType(json, 'AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties);
    for (const [metric, pattern, value] of [
      ['StoreWaitTimeouts', '{ $.store_wait_timeout IS TRUE }', '$.wait_timeouts'],
      ['StoreRegressions', '{ $.store_regressed IS TRUE }', '1'],
    ]) {
      const mine = filters.filter((filter) => filter.MetricTransformations[0].MetricName === metric);
      assert.deepEqual(
        mine.map((filter) => filter.LogGroupName),
        storeFns.map(logGroupOf),
        metric,
      );
      for (const filter of mine) {
        assert.equal(filter.FilterPattern, pattern);
        assert.deepEqual(filter.MetricTransformations, [
          { MetricNamespace: 'Anteroom', MetricName: metric, MetricValue: value },
        ]);
      }
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Anteroom',
        MetricName: metric,
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('graphs queue length, serving counter and admissions per event', () => {
    const [[, dashboard]] = resourcesOfType(json, 'AWS::CloudWatch::Dashboard') as [[string, Json]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of ['QueueLength', 'ServingCounter', 'AdmissionRate']) {
      for (const eventId of ['sale', 'exam']) {
        assert.ok(
          body.includes(`[\\"Anteroom\\",\\"${metric}\\",\\"EventId\\",\\"${eventId}\\"`),
          `${metric}/${eventId}`,
        );
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports nothing unacknowledged', () => {
    assert.deepEqual(violations, []);
  });

  it('every acknowledgment carries a reason', () => {
    assert.ok(acknowledgments.length > 0);
    for (const ack of acknowledgments)
      assert.ok(ack.reason.length >= 30, `${ack.path} ${ack.id}: ${ack.reason}`);
  });
});

describe('snapshot', () => {
  it('matches the normalised template (UPDATE_SNAPSHOTS=1 rewrites it)', () => {
    expectSnapshot('waiting-room-stack', json);
  });
});
