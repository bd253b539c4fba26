/**
 * An example of a site behind Anteroom on CloudFront: a distribution in front of the site's own
 * origin, every page signed in through the waiting room by the Lambda@Edge gate, the origin told
 * who the visitor is by the `x-anteroom-*` headers. Deploy it in us-east-1 beside (or after) the
 * waiting room; docs/oidc.md ("CloudFront") shows the whole app.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type { Construct } from 'constructs';
import { customDomain } from './constructs/cdn.ts';
import { SiteGate, type SiteGateProps } from './constructs/site-gate.ts';
import { acceptSiteGateFindings } from './nag-suppressions.ts';

export interface SiteGateExampleStackProps extends StackProps {
  gate: SiteGateProps;
  /** The site's own origin (an ALB, an API, a web server), reached over https. */
  originDomainName: string;
  /** The site's host names and their us-east-1 ACM certificate (the redirect URIs name them). */
  domainNames?: string[];
  certificateArn?: string;
}

export class SiteGateExampleStack extends Stack {
  readonly gate: SiteGate;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: SiteGateExampleStackProps) {
    super(scope, id, props);
    this.gate = new SiteGate(this, 'Gate', props.gate);
    const origin = new origins.HttpOrigin(props.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const domain = customDomain(this, props.domainNames, props.certificateArn);
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'A site behind the Anteroom waiting room',
      defaultBehavior: {
        origin,
        ...this.gate.behaviorOptions,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Pages answer per visitor (x-anteroom-* headers): nothing shared in the edge cache.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      ...domain,
    });
    acceptSiteGateFindings(this, { usesDefaultCertificate: domain === undefined });
  }
}
