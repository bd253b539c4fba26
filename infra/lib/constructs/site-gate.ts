/**
 * The site gate on CloudFront (API.md §8): `authorizer/edge.ts` as a Lambda@Edge viewer-request
 * function in front of a site, signing visitors in through Anteroom's waiting room.
 *
 * Secrets: read by the function from Secrets Manager (us-east-1) on each container's first
 * request, never in its code package or in a template. A bundle built at deploy time by a custom
 * resource would save that one call per container, but it would put both secrets in clear in the
 * code package (readable by anyone with `lambda:GetFunction`) and need a custom resource to
 * repackage and publish each version; the cold-start read needs neither. The package names the
 * secrets by names fixed at synth: the cookie secret is generated here, and the Anteroom client's
 * secret is copied here through a CloudFormation dynamic reference (resolved by CloudFormation,
 * never written in the template).
 *
 * `behaviorOptions` attaches the gate to a behaviour of a distribution of the same app (the
 * viewer-request association and an origin-request policy that forwards the `x-anteroom-*`
 * headers); for a distribution defined elsewhere the stack outputs the function version and the
 * same settings to apply by hand. `withGateClient` registers the site's redirect URIs on the
 * Anteroom client, in the waiting room's deployment configuration.
 */
import { AssetHashType, CfnOutput, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { createGate } from '../../../authorizer/gate/core.ts';
import type { GateConfig } from '../../../authorizer/gate/options.ts';
import { IDENTITY_HEADERS } from '../../../authorizer/gate/session.ts';
import { ValidationError } from '../../../queue-core/errors.ts';
import { bundleEdgeGate } from '../edge-bundle.ts';
import { PROJECT_ROOT } from '../entries.ts';

/** The gate's JSON settings other than the issuer, the client and the secrets. */
export type GateSettings = Omit<
  GateConfig,
  'issuer' | 'clientId' | 'clientSecret' | 'cookieSecret' | 'fetch' | 'now' | 'log'
>;

export interface SiteGateProps {
  /** Anteroom's issuer, `<publicUrl>/oidc`: known at synth (it is written into the package). */
  issuer: string;
  clientId: string;
  /** The Anteroom client's secret, in us-east-1 (e.g. the waiting room stack's, deployed there). */
  clientSecret: secretsmanager.ISecret;
  settings?: GateSettings;
  /** Viewer headers the origin needs beside the `x-anteroom-*` ones (CloudFront allows 10 in all). */
  originRequestHeaders?: string[];
}

/** Lambda@Edge functions and their secrets live in us-east-1. */
export const EDGE_REGION = 'us-east-1';
/** CloudFront gives a viewer-request function 5 s; the gate bounds each call to Anteroom at 3 s. */
const VIEWER_REQUEST_TIMEOUT = Duration.seconds(5);

function fail(field: string, message: string): never {
  throw new ValidationError(field, `SiteGate: ${message}`, 'invalid_gate_config');
}

export class SiteGate extends Construct {
  readonly fn: cloudfront.experimental.EdgeFunction;
  readonly cookieSecret: secretsmanager.Secret;
  /** The copy of the Anteroom client's secret the function reads. */
  readonly clientSecret: secretsmanager.Secret;
  readonly originRequestPolicy: cloudfront.OriginRequestPolicy;
  /** What the function reads from `anteroom-edge.json` (secret names only, never values). */
  readonly edgeConfig: Record<string, unknown>;
  /** Spread into a distribution's behaviour: `{ origin, ...gate.behaviorOptions, … }`. */
  readonly behaviorOptions: Required<Pick<cloudfront.BehaviorOptions, 'edgeLambdas' | 'originRequestPolicy'>>;

  constructor(scope: Construct, id: string, props: SiteGateProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (stack.region !== EDGE_REGION) {
      fail('region', `the stack of a Lambda@Edge gate must be deployed in ${EDGE_REGION} (env.region)`);
    }
    if (Token.isUnresolved(props.issuer) || Token.isUnresolved(props.clientId)) {
      fail('issuer', 'issuer and clientId must be known at synth (set the waiting room publicUrl)');
    }
    const headers = props.originRequestHeaders ?? [];
    if (headers.length + Object.keys(IDENTITY_HEADERS).length > 10) {
      fail('originRequestHeaders', 'CloudFront forwards at most 10 named headers, 4 of them the gate’s');
    }
    // The settings are checked as the function will check them: a typo fails here, not at the edge.
    const checked = { issuer: props.issuer, clientId: props.clientId, ...props.settings };
    createGate({ ...checked, clientSecret: 'synth-check', cookieSecret: 'synth-check'.repeat(4) });

    const name = (suffix: string) =>
      `anteroom-gate/${Names.uniqueResourceName(this, { maxLength: 200 })}/${suffix}`;
    this.cookieSecret = new secretsmanager.Secret(this, 'CookieSecret', {
      secretName: name('cookie'),
      description: 'Anteroom site gate: seals the gate cookies (change it to sign every visitor out)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    this.clientSecret = new secretsmanager.Secret(this, 'ClientSecret', {
      secretName: name('client'),
      description: `Anteroom site gate: the secret of OIDC client ${props.clientId} (copied at deploy time)`,
      // A dynamic reference: CloudFormation resolves it; the template never holds the value.
      secretStringValue: props.clientSecret.secretValue,
    });
    // The names as given, not `secret.secretName` (a token): the package is built at synth.
    this.edgeConfig = {
      ...checked,
      secretsManager: { region: EDGE_REGION, clientSecret: name('client'), cookieSecret: name('cookie') },
    };

    const edgeConfig = this.edgeConfig;
    this.fn = new cloudfront.experimental.EdgeFunction(this, 'Function', {
      description: `Anteroom site gate (Lambda@Edge viewer-request) for client ${props.clientId}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      memorySize: 128,
      timeout: VIEWER_REQUEST_TIMEOUT,
      code: lambda.Code.fromAsset(`${PROJECT_ROOT}authorizer`, {
        // The package is the bundle plus its configuration: hash what is deployed.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: lambda.Runtime.NODEJS_22_X.bundlingImage,
          local: {
            tryBundle(outputDir: string): boolean {
              bundleEdgeGate(outputDir, edgeConfig);
              return true;
            },
          },
        },
      }),
    });
    this.cookieSecret.grantRead(this.fn);
    this.clientSecret.grantRead(this.fn);

    this.originRequestPolicy = new cloudfront.OriginRequestPolicy(this, 'OriginRequest', {
      comment: 'Anteroom site gate: the visitor identity headers, every cookie and query parameter',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(
        ...Object.values(IDENTITY_HEADERS),
        ...headers,
      ),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.all(),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
    });
    this.behaviorOptions = {
      edgeLambdas: [
        { functionVersion: this.fn.currentVersion, eventType: cloudfront.LambdaEdgeEventType.VIEWER_REQUEST },
      ],
      originRequestPolicy: this.originRequestPolicy,
    };

    new CfnOutput(this, 'FunctionVersionArn', {
      description: 'Lambda@Edge version to associate with viewer-request (distributions defined elsewhere)',
      value: this.fn.currentVersion.edgeArn,
    });
    new CfnOutput(this, 'BehaviorSettings', {
      description: 'Cache-behaviour settings for a distribution defined elsewhere',
      value: stack.toJsonString({
        LambdaFunctionAssociations: [
          {
            EventType: 'viewer-request',
            LambdaFunctionARN: this.fn.currentVersion.edgeArn,
            IncludeBody: false,
          },
        ],
        OriginRequestPolicyId: this.originRequestPolicy.originRequestPolicyId,
      }),
    });
  }
}

/**
 * The waiting room's deployment configuration (raw, before `parseDeployConfig`) with the gate's
 * client registered: the client is added (confidential: the stack generates its secret) or, when
 * present, given the sites' redirect URIs. `siteUrls` are the sites' external https origins.
 */
export function withGateClient(
  raw: Record<string, unknown>,
  gate: { clientId: string; eventId: string; siteUrls: string[]; callbackPath?: string },
): Record<string, unknown> {
  const callbackPath = gate.callbackPath ?? '/_anteroom/callback';
  const redirectUris = gate.siteUrls.map((site) => {
    if (Token.isUnresolved(site)) fail('siteUrls', 'site URLs must be known at synth (a custom domain)');
    return `${site.replace(/\/+$/, '')}${callbackPath}`;
  });
  const app = (raw['app'] ?? {}) as Record<string, unknown>;
  const oidc = (app['oidc'] ?? {}) as Record<string, unknown>;
  const clients = [...((oidc['clients'] ?? []) as Array<Record<string, unknown>>)];
  const index = clients.findIndex((client) => client['client_id'] === gate.clientId);
  if (index === -1) {
    clients.push({ client_id: gate.clientId, redirect_uris: redirectUris, event_id: gate.eventId });
  } else {
    const existing = clients[index] as Record<string, unknown>;
    const uris = [...((existing['redirect_uris'] ?? []) as string[])];
    for (const uri of redirectUris) if (!uris.includes(uri)) uris.push(uri);
    clients[index] = { ...existing, redirect_uris: uris };
  }
  return { ...raw, app: { ...app, oidc: { ...oidc, clients } } };
}
