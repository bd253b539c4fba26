/**
 * CloudFront in front of the public API. The event-wide answers (`/serving_num`, `/waiting_num`)
 * are cached for about a second with the whole query string in the key, which turns thousands of
 * polls per second into one origin call per event and second; `/status` gets the same policy, and
 * the app's `private` Cache-Control keeps its per-visitor answers out of the shared cache. Enqueue,
 * token and OIDC calls are never cached and get every viewer header, cookie and query string, plus
 * the viewer's address in `CLIENT_ADDRESS_HEADER` (set by a CloudFront Function, replacing any value
 * the viewer sent); page assets and public keys are cached as the app's Cache-Control says. An
 * origin secret header proves to the app that a request came through this distribution.
 */
import { Aws, CfnRule, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
// The header CloudFront adds to every origin request, as the public app checks it.
import { ORIGIN_SECRET_HEADER } from '../../../provider/lambda/origin-secret.ts';
import { ValidationError } from '../../../queue-core/errors.ts';
import type { CdnConfig, WebAclConfig } from '../config.ts';

export { ORIGIN_SECRET_HEADER };

/** Short-lived status answers: the key is the path plus every query parameter (event_id, request_id). */
export const CACHED_STATUS_PATHS = ['/serving_num', '/waiting_num', '/status*'];

/**
 * Cached as long as the app's Cache-Control says, at most five minutes: page assets (max-age 300)
 * and the public keys (max-age 60, so a rotated-in key is seen within a minute).
 */
export const ORIGIN_DIRECTED_PATHS = ['/assets/*', '/.well-known/jwks.json', '/public_key'];

/** Never cached; listed explicitly so a change of the default behaviour cannot start caching them. */
export const UNCACHED_PATHS = ['/assign_queue_num', '/generate_token', '/oidc/*'];

/**
 * The viewer's address, for the per-client enqueue limit (the app's `CLIENT_ADDRESS_HEADER`).
 * `X-Forwarded-For` is no use here: CloudFront appends to what the viewer sent, and what API
 * Gateway then appends is not documented, so no fixed hop count can be trusted.
 */
export const CLIENT_ADDRESS_HEADER = 'x-anteroom-client-ip';

/**
 * How many proxies append to `X-Forwarded-For` before the public function reads it (the app's
 * `TRUST_PROXY`): CloudFront appends the viewer's address, then API Gateway appends the address
 * of its own caller, a CloudFront edge server (which Lambda also gets as the event's
 * `requestContext` source IP, the app's peer address). The viewer is therefore the second entry
 * from the end; anything left of it is whatever the viewer wrote. `CLIENT_ADDRESS_HEADER` takes
 * precedence over it whenever present: the hop count only decides a request without it, and
 * sets no trust in `X-Forwarded-For`'s first entry.
 */
export const CDN_PROXY_HOPS = 2;

/** A viewer-request CloudFront Function (cloudfront-js-2.0): overwrite, never trust, the header. */
export const CLIENT_ADDRESS_FUNCTION = `async function handler(event) {
  var request = event.request;
  request.headers['${CLIENT_ADDRESS_HEADER}'] = { value: event.viewer.ip };
  return request;
}`;

/** Errors must not be cached for CloudFront's default 10 s: a 503 or 429 is over in a moment. */
const UNCACHED_ERRORS = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/**
 * A distribution's own host names with their us-east-1 ACM certificate, or undefined (then it
 * answers on its *.cloudfront.net name, whose certificate cannot pin the TLS version).
 */
export function customDomain(
  scope: Construct,
  domainNames: string[] | undefined,
  certificateArn: string | undefined,
): Pick<cloudfront.DistributionProps, 'domainNames' | 'certificate'> | undefined {
  if (domainNames === undefined || domainNames.length === 0 || certificateArn === undefined) return undefined;
  return {
    domainNames,
    certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', certificateArn),
  };
}

export interface CdnProps extends CdnConfig {
  originDomainName: string;
  originSecret: secretsmanager.ISecret;
}

export class Cdn extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** `https://<domain>`: the first custom domain, else the distribution's own name. */
  readonly url: string;
  readonly usesDefaultCertificate: boolean;
  readonly hasWebAcl: boolean;
  /** The web ACL this stack created (`cdn.webAcl`), if any. */
  readonly webAcl: wafv2.CfnWebACL | undefined;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    const origin = new origins.HttpOrigin(props.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // A dynamic reference: resolved by CloudFormation at deploy time, never in the template.
      customHeaders: { [ORIGIN_SECRET_HEADER]: props.originSecret.secretValue.unsafeUnwrap() },
    });

    const statusCache = new cloudfront.CachePolicy(this, 'StatusCache', {
      comment: 'Anteroom status answers: about a second, keyed by path and query string',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(props.statusCacheSeconds),
      maxTtl: Duration.seconds(props.statusCacheSeconds),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const originDirectedCache = new cloudfront.CachePolicy(this, 'OriginDirectedCache', {
      comment: 'Anteroom assets and public keys: as the origin Cache-Control says, five minutes at most',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.minutes(5),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const statusOriginRequest = new cloudfront.OriginRequestPolicy(this, 'StatusOriginRequest', {
      comment: 'Anteroom cacheable answers: query string only, so every viewer shares the cached answer',
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });

    const clientAddress = new cloudfront.Function(this, 'ClientAddress', {
      comment: 'Anteroom: the viewer address in a header the viewer cannot set',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(CLIENT_ADDRESS_FUNCTION),
    });
    const uncached: cloudfront.BehaviorOptions = {
      origin,
      functionAssociations: [
        { function: clientAddress, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // Everything but Host, which must stay the execute-api name for API Gateway to route.
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: true,
    };
    const cached: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
      cachePolicy: statusCache,
      originRequestPolicy: statusOriginRequest,
      compress: true,
    };

    const originDirected: cloudfront.BehaviorOptions = { ...cached, cachePolicy: originDirectedCache };

    const domain = customDomain(this, props.domainNames, props.certificateArn);
    this.webAcl = props.webAcl === undefined ? undefined : rateLimitedWebAcl(this, props.webAcl);
    const webAclId = this.webAcl?.attrArn ?? props.webAclArn;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Anteroom waiting room',
      defaultBehavior: uncached,
      additionalBehaviors: Object.fromEntries([
        ...CACHED_STATUS_PATHS.map((path) => [path, cached] as const),
        ...ORIGIN_DIRECTED_PATHS.map((path) => [path, originDirected] as const),
        ...UNCACHED_PATHS.map((path) => [path, uncached] as const),
      ]),
      errorResponses: UNCACHED_ERRORS.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      ...domain,
      ...(webAclId === undefined ? {} : { webAclId }),
    });
    this.usesDefaultCertificate = domain === undefined;
    this.hasWebAcl = webAclId !== undefined;
    this.url = `https://${domain ? props.domainNames[0] : this.distribution.distributionDomainName}`;
  }
}

/** Where CloudFront's web ACLs live (scope CLOUDFRONT). */
export const WEB_ACL_REGION = 'us-east-1';

/**
 * `cdn.webAcl`: a web ACL (scope CLOUDFRONT) with one rate-based rule per client address, its
 * refusals answered 429 at the edge. CloudFront takes web ACLs from us-east-1 only: a stack
 * pinned to another region is refused at synth; an environment-agnostic one carries a
 * CloudFormation rule that stops the deployment anywhere else, before anything is created.
 */
function rateLimitedWebAcl(scope: Construct, config: WebAclConfig): wafv2.CfnWebACL {
  const { region } = Stack.of(scope);
  if (!Token.isUnresolved(region) && region !== WEB_ACL_REGION) {
    throw new ValidationError(
      'cdn.webAcl',
      `cdn.webAcl creates a CloudFront web ACL, which must live in ${WEB_ACL_REGION}; this stack is in ${region}: deploy it in ${WEB_ACL_REGION}, or create the web ACL there and give its ARN as cdn.webAclArn`,
    );
  }
  if (Token.isUnresolved(region)) {
    new CfnRule(scope, 'WebAclRegion', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, WEB_ACL_REGION),
          assertDescription: `cdn.webAcl creates a CloudFront web ACL, which must live in ${WEB_ACL_REGION}: deploy this stack there, or create the web ACL in ${WEB_ACL_REGION} and give its ARN as cdn.webAclArn`,
        },
      ],
    });
  }
  const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'CLOUDFRONT',
    description:
      'Anteroom: requests per client address, beyond cdn.webAcl.rateLimit answered 429 at the edge',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('anteroom-web-acl'),
    rules: [
      {
        name: 'rate-per-client-address',
        priority: 0,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit: config.rateLimit,
            evaluationWindowSec: config.windowSeconds,
          },
        },
        action: { block: { customResponse: { responseCode: 429 } } },
        visibilityConfig: visibility('anteroom-rate-per-client-address'),
      },
    ],
  });
}
