/**
 * The other choices an operator can make, synthesized once together: ElastiCache Serverless, NAT
 * egress instead of interface endpoints, a custom domain with its certificate and a WAF web ACL,
 * confidential and public OIDC clients. Each keeps the security properties of the default.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { SIGV4_PREFLIGHT_HEADERS } from '../provider/sigv4-signers.ts';
import { actionsOf, type Json, resourcesOf, resourcesOfType, roleStatements, synthesize } from './synth.ts';

const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c';
const WEB_ACL = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/anteroom/1a2b3c';
/** Where the AWS solution's control panel is hosted (its sample CloudFront distribution). */
const CONTROL_PANEL = 'https://d111111abcdef8.cloudfront.net';

const { stack, template, json, violations, acknowledgments } = synthesize({
  app: {
    publicUrl: 'https://wait.example.com',
    events: [{ id: 'sale' }],
    oidc: {
      clients: [
        {
          client_id: 'alb',
          redirect_uris: ['https://shop.example.com/oauth2/idpresponse'],
          event_id: 'sale',
        },
        {
          client_id: 'spa',
          public: true,
          redirect_uris: ['https://shop.example.com/callback'],
          event_id: 'sale',
        },
      ],
    },
  },
  queueStore: { type: 'serverless' },
  network: { natGateways: 1 },
  cdn: { domainNames: ['wait.example.com'], certificateArn: CERTIFICATE, webAclArn: WEB_ACL },
  privateApi: { corsOrigins: [CONTROL_PANEL, 'http://localhost:8080'] },
  admissionTokenAlgorithm: 'RS256',
  retainData: false,
  sourceMaps: true,
});

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const publicEnv = () => json.Resources[logicalId(stack.publicApi.fn)].Properties.Environment.Variables;

describe('ElastiCache Serverless', () => {
  it('replaces the replication group, in the private subnets, behind the store security group', () => {
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    const [[cacheId, cache]] = resourcesOfType(json, 'AWS::ElastiCache::ServerlessCache') as [[string, Json]];
    assert.deepEqual(cache.Properties.SecurityGroupIds, [
      { 'Fn::GetAtt': [logicalId(stack.queueStore.securityGroup), 'GroupId'] },
    ]);
    assert.equal(cache.Properties.SubnetIds.length, 2);
    assert.deepEqual(publicEnv().ANTEROOM_REDIS_HOST, { 'Fn::GetAtt': [cacheId, 'Endpoint.Address'] });
    assert.equal(publicEnv().ANTEROOM_REDIS_CLUSTER, 'true');
    // No WAIT to rely on there: the app keeps durability "none" (its regression guard still runs).
    assert.equal(publicEnv().REDIS_DURABILITY, undefined);
  });

  it('requires a password: the default user is off, the app user reads the generated secret', () => {
    template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'default',
      AccessString: Match.stringLikeRegexp('^off '),
    });
    template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'anteroom',
      AuthenticationMode: {
        Type: 'password',
        Passwords: [
          {
            'Fn::Join': [
              '',
              [
                '{{resolve:secretsmanager:',
                { Ref: logicalId(stack.queueStore.authSecret) },
                ':SecretString:password::}}',
              ],
            ],
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"anteroom"}',
        GenerateStringKey: 'password',
      }),
    });
  });

  it('admits only the Lambdas security group on 6379', () => {
    const storeGroup = logicalId(stack.queueStore.securityGroup);
    const ingress = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress')
      .map(([, rule]) => rule.Properties)
      .filter((rule) => rule.GroupId['Fn::GetAtt'][0] === storeGroup);
    assert.deepEqual(
      ingress.map((rule) => [rule.FromPort, rule.SourceSecurityGroupId]),
      [[6379, { 'Fn::GetAtt': [logicalId(stack.network.functionSecurityGroup), 'GroupId'] }]],
    );
  });

  it('alarms on throttled commands and memory', () => {
    const metrics = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(
      ([, alarm]) => alarm.Properties.MetricName,
    );
    assert.ok(metrics.includes('ThrottledCmds'));
    assert.ok(metrics.includes('BytesUsedForCache'));
  });
});

describe('NAT egress', () => {
  it('uses the NAT gateway instead of interface endpoints (the DynamoDB gateway endpoint stays)', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const endpoints = resourcesOfType(json, 'AWS::EC2::VPCEndpoint');
    assert.equal(endpoints.length, 1);
    assert.equal(endpoints[0]![1].Properties.VpcEndpointType, 'Gateway');
  });
});

describe('custom domain', () => {
  it('serves the domain with its certificate, TLS 1.2 minimum, and the web ACL', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['wait.example.com'],
        ViewerCertificate: {
          AcmCertificateArn: CERTIFICATE,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
        WebACLId: WEB_ACL,
      }),
    });
  });

  it('uses the configured public URL as issuer, not the CloudFront name', () => {
    assert.equal(publicEnv().ANTEROOM_PUBLIC_URL, 'https://wait.example.com');
    template.hasOutput('OidcIssuer', { Value: 'https://wait.example.com/oidc' });
  });
});

describe('OIDC clients', () => {
  const clientSecret = stack.secrets.clientSecrets.get('alb')!;

  it('generates a secret for the confidential client only', () => {
    assert.deepEqual([...stack.secrets.clientSecrets.keys()], ['alb']);
    template.hasOutput('*', { Value: { Ref: logicalId(clientSecret) } });
  });

  it('hands the public function the secret ARN map and read access to it alone', () => {
    assert.match(JSON.stringify(publicEnv().ANTEROOM_OIDC_CLIENT_SECRET_ARNS), /alb/);
    const readers = [
      stack.publicApi.fn,
      stack.privateApi.fn,
      stack.statusEvents.fn,
      stack.authorizer.fn,
    ].filter((fn) =>
      roleStatements(json, logicalId(fn)).some(
        (statement) =>
          actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
          resourcesOf(statement).some((resource: Json) => resource.Ref === logicalId(clientSecret)),
      ),
    );
    assert.deepEqual(readers, [stack.publicApi.fn]);
  });
});

describe('RS256 admission tokens', () => {
  it('tells every provider function, which signs with the secret’s RS256 key', () => {
    for (const fn of [stack.publicApi.fn, stack.privateApi.fn, stack.statusEvents.fn]) {
      const env =
        json.Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties.Environment;
      assert.equal(env.Variables.ANTEROOM_KEYS_ALGORITHM, 'RS256');
    }
  });
});

describe('source maps', () => {
  it('run every function with --enable-source-maps when the deployment asks for them', () => {
    const functions = resourcesOfType(json, 'AWS::Lambda::Function').filter(
      ([, fn]) => fn.Properties.Runtime === 'nodejs22.x',
    );
    assert.ok(functions.length >= 4);
    for (const [id, fn] of functions) {
      assert.equal(fn.Properties.Environment.Variables.NODE_OPTIONS, '--enable-source-maps', id);
    }
  });
});

describe('private API with control-panel origins', () => {
  const apiId = stack.getLogicalId(stack.privateApi.api.node.defaultChild as CfnElement);
  const routes = () =>
    resourcesOfType(json, 'AWS::ApiGatewayV2::Route').filter(
      ([, route]) => route.Properties.ApiId.Ref === apiId,
    );

  it("has API Gateway answer those origins' preflights, allowing the headers a SigV4 signer sends", () => {
    const cors = json.Resources[apiId].Properties.CorsConfiguration;
    assert.deepEqual(cors.AllowOrigins, [CONTROL_PANEL, 'http://localhost:8080']);
    const headers = (cors.AllowHeaders as string[]).map((header) => header.toLowerCase());
    for (const header of SIGV4_PREFLIGHT_HEADERS) assert.ok(headers.includes(header), header);
    assert.deepEqual([...cors.AllowMethods].sort(), ['GET', 'OPTIONS', 'POST', 'PUT']);
    assert.equal(cors.MaxAge, 600);
    assert.equal(cors.AllowCredentials, undefined, 'SigV4 needs no cookies');
  });

  it('lets only OPTIONS past IAM, so an unsigned preflight is not refused; everything else needs IAM', () => {
    const byKey = Object.fromEntries(
      routes().map(([, route]) => [route.Properties.RouteKey, route.Properties]),
    );
    assert.deepEqual(Object.keys(byKey).sort(), ['$default', 'OPTIONS /{proxy+}']);
    assert.equal(byKey['$default'].AuthorizationType, 'AWS_IAM');
    assert.equal(byKey['OPTIONS /{proxy+}'].AuthorizationType, 'NONE');
    // Both reach the admin function, which answers a non-preflight OPTIONS with headers only.
    assert.deepEqual(byKey['OPTIONS /{proxy+}'].Target, byKey['$default'].Target);
  });
});

describe('data removal and cdk-nag', () => {
  it('deletes tables and secrets with the stack when retainData is false', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret']) {
      for (const [id, resource] of resourcesOfType(json, type))
        assert.equal(resource.DeletionPolicy, 'Delete', id);
    }
  });

  it('reports nothing unacknowledged, without acknowledging TLS or WAF findings', () => {
    assert.deepEqual(violations, []);
    const ids = acknowledgments.map((ack) => ack.id);
    assert.ok(!ids.some((id) => /CFR4|CFR2/.test(id)), ids.join(' '));
  });
});
