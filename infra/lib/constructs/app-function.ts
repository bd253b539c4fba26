/**
 * One Lambda function of the waiting room: Node.js 22 on arm64, its code built by
 * `bundleFunction` (the local esbuild, no Docker: minified ES modules split at every `import()`),
 * with its own log group so retention is set without the LogRetention custom resource.
 */

import { relative } from 'node:path';
import { AssetHashType, DockerImage, type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleFunction } from '../bundle.ts';
import { PROJECT_ROOT, type RuntimeFiles } from '../entries.ts';

export interface AppFunctionProps {
  entry: string;
  /** Name of the export in `entry`. */
  handler: string;
  description: string;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize?: number;
  logRetentionDays: number;
  /** Ship source maps and run with `--enable-source-maps` (stack traces name the sources; slower cold starts). */
  sourceMaps?: boolean;
  /** Folders copied beside the bundle, for code that reads files relative to its module. */
  runtimeFiles?: RuntimeFiles[];
  /** Set for functions that reach the queue store. */
  network?: FunctionNetwork;
}

export interface FunctionNetwork {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  securityGroup: ec2.ISecurityGroup;
  /** Groups of this function alone (the scheduled function's origin-signal egress). */
  extraSecurityGroups?: ec2.ISecurityGroup[];
}

export class AppFunction extends Construct {
  readonly fn: lambda.Function;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const sourceMaps = props.sourceMaps ?? false;
    this.fn = new lambda.Function(this, 'Function', {
      code: bundledCode(props.entry, sourceMaps, props.runtimeFiles),
      handler: `index.${props.handler}`,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout,
      logGroup,
      environment: {
        ...props.environment,
        ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
      ...(props.network === undefined
        ? {}
        : {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: [props.network.securityGroup, ...(props.network.extraSecurityGroups ?? [])],
          }),
    });
  }
}

/**
 * The bundle as an asset: built locally into the asset folder, hashed by what was built (so an
 * unchanged build keeps its asset). Functions with the same entry and settings share one asset.
 */
function bundledCode(
  entry: string,
  sourceMaps: boolean,
  runtimeFiles: RuntimeFiles[] | undefined,
): lambda.Code {
  return lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: the local bundler below always builds (it throws rather than fall back).
      image: DockerImage.fromRegistry('anteroom/local-esbuild-only'),
      // Not run either, but part of the asset's cache key: one asset per entry and settings.
      command: [
        'bundle',
        relative(PROJECT_ROOT, entry),
        sourceMaps ? 'source-maps' : 'no-source-maps',
        ...(runtimeFiles ?? []).map((files) => files.to),
      ],
      local: {
        tryBundle(outputDir) {
          bundleFunction({ entry, outdir: outputDir, sourceMaps, runtimeFiles });
          return true;
        },
      },
    },
  });
}
