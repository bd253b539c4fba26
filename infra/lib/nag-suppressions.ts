/**
 * Accepted cdk-nag (AwsSolutions) findings, each acknowledged on the narrowest construct with the
 * reason it is accepted. Kept in one file so a reviewer sees every exception at once.
 */
import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import type { SiteGateExampleStack } from './site-gate-example-stack.ts';
import type { WaitingRoomStack } from './waiting-room-stack.ts';

const PACK = 'AwsSolutions::AwsSolutions';

function accept(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${PACK}-${rule}`, reason });
}

/** cdk-nag names a table's index ARN by the table's logical id. */
function indexResource(table: dynamodb.Table): string {
  const stack = Stack.of(table);
  return `Resource::<${stack.getLogicalId(table.node.defaultChild as CfnResource)}.Arn>/index/*`;
}

export function suppressAcceptedFindings(stack: WaitingRoomStack): void {
  const vpcFunctions = [stack.publicApi.fn, stack.privateApi.fn, stack.statusEvents.fn];
  for (const fn of [...vpcFunctions, stack.authorizer.fn]) {
    accept(fn, 'L1', 'Node.js 22 is the runtime the project targets and tests (DESIGN.md: nodejs22.x).');
    accept(
      fn,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWS-maintained minimal policy: write the function its own CloudWatch logs.',
    );
  }
  for (const fn of vpcFunctions) {
    accept(
      fn,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'AWS-maintained policy Lambda needs to attach its network interfaces in the VPC (queue store access).',
    );
    accept(
      fn,
      `IAM5[${indexResource(stack.tables.ledgerTable)}]`,
      "The ledger table's own indexes only (expired-token and per-event queries); no other table.",
    );
    accept(
      fn,
      'IAM5[Resource::*]',
      'secretsmanager:BatchGetSecretValue has no resource-level permissions; it returns only the secrets ' +
        'the function may GetSecretValue (its own grants), and is the only action on *.',
    );
  }
  accept(
    stack.publicApi.fn,
    `IAM5[${indexResource(stack.tables.oidcTable)}]`,
    "The OIDC table's own index only (the adapter revokes a grant's tokens through grantId-index).",
  );
  accept(
    stack.privateApi.invokePolicy,
    `IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${stack.getLogicalId(
      stack.privateApi.api.node.defaultChild as CfnResource,
    )}>/*/*/*]`,
    'Operators may call every route of this one admin API; no other API.',
  );
  if (stack.privateApi.preflightRoute) {
    accept(
      stack.privateApi.preflightRoute,
      'APIG4',
      'Browser preflights (OPTIONS) carry no credentials by design; every other method of the private API requires IAM.',
    );
  }
  if (stack.originHealth) {
    const forwarder = stack.originHealth.fn;
    accept(
      forwarder,
      'L1',
      'Node.js 22 is the runtime the project targets and tests (DESIGN.md: nodejs22.x).',
    );
    accept(
      forwarder,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWS-maintained minimal policy: write the function its own CloudWatch logs.',
    );
    accept(
      forwarder,
      'IAM5[Resource::*]',
      'cloudwatch:GetMetricData has no resource-level permissions; it is the only action on *.',
    );
  }
  accept(
    stack.publicApi.api,
    'APIG4',
    'The waiting room is public by design; only CloudFront may call it (origin secret header, checked by the app).',
  );

  accept(
    stack.queueStore.authSecret,
    'SMG4',
    'An ElastiCache AUTH token rotates with ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE then SET), ' +
      'not with a Secrets Manager rotation Lambda; the manual procedure is in docs/deploy-aws.md.',
  );
  accept(
    stack.secrets.signingKeys,
    'SMG4',
    'Signing keys rotate inside the app (new kid added to the JWKS, old kept until its tokens expire).',
  );
  accept(
    stack.secrets.cookieKeys,
    'SMG4',
    'Cookie keys rotate by writing {"current": new, "previous": old}; a Lambda rotation would log visitors out.',
  );
  accept(
    stack.secrets.originSecret,
    'SMG4',
    'The origin secret is copied into the CloudFront distribution at deploy time; rotate it by redeploying.',
  );
  for (const secret of stack.secrets.clientSecrets.values()) {
    accept(secret, 'SMG4', 'An OIDC client secret is shared with the relying party; rotate both together.');
  }

  const distribution = stack.cdn.distribution;
  accept(
    distribution,
    'CFR3',
    'Every request that reaches the origin is in the API Gateway access log; edge hits of one-second ' +
      'status caches would cost more to log than to serve.',
  );
  if (stack.cdn.usesDefaultCertificate) {
    accept(
      distribution,
      'CFR4',
      'The *.cloudfront.net certificate cannot pin the TLS version; set cdn.domainNames and cdn.certificateArn ' +
        'to get TLSv1.2_2021.',
    );
  }
  accept(
    distribution,
    'CFR1',
    'A waiting room serves the audience of the site behind it; no geography is blocked.',
  );
  if (!stack.cdn.hasWebAcl) {
    accept(
      distribution,
      'CFR2',
      'WAF is optional (cdn.webAcl, cdn.webAclArn); the app limits enqueues per client and API Gateway throttles.',
    );
  }
}

/** The site gate and the example site's distribution (`site-gate-example-stack.ts`). */
export function acceptSiteGateFindings(
  stack: SiteGateExampleStack,
  site: { usesDefaultCertificate: boolean },
): void {
  const { gate, distribution } = stack;
  accept(gate.fn, 'L1', 'Node.js 22 is the runtime the project targets and tests (DESIGN.md: nodejs22.x).');
  accept(
    gate.fn,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AWS-maintained minimal policy: write the function its own CloudWatch logs (in each edge region).',
  );
  accept(
    gate.cookieSecret,
    'SMG4',
    'Changing the cookie secret signs every visitor out of the site; rotate it by hand between events.',
  );
  accept(
    gate.clientSecret,
    'SMG4',
    "A copy of the Anteroom client's secret, renewed on each deploy; rotate it with the client's secret.",
  );
  accept(
    distribution,
    'CFR3',
    'An example: the site’s own access logging (a log bucket) is the operator’s choice, as are its costs.',
  );
  accept(distribution, 'CFR1', 'The site serves its own audience; no geography is blocked by the gate.');
  accept(distribution, 'CFR2', 'An example: attach the site’s web ACL (webAclId) as for any distribution.');
  if (site.usesDefaultCertificate) {
    accept(
      distribution,
      'CFR4',
      'The *.cloudfront.net certificate cannot pin the TLS version; give domainNames and certificateArn.',
    );
  }
}
