/**
 * One Lambda function of the waiting room: Node.js 22, ESM, bundled by the local esbuild (no
 * Docker), with its own log group so retention is set without the LogRetention custom resource.
 */
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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
  /** Folders copied beside the bundle, for code that reads files relative to its module. */
  runtimeFiles?: RuntimeFiles[];
  /** Set for functions that reach the queue store. */
  network?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroup: ec2.ISecurityGroup };
}

/**
 * esbuild emits ESM; bundled CommonJS dependencies (ioredis, koa's helpers) still call `require`
 * for Node built-ins, which ESM lacks, so the banner defines it once for the bundle.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __anteroomCreateRequire } from 'node:module'; " +
  'const require = __anteroomCreateRequire(import.meta.url);';

export class AppFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: props.handler,
      description: props.description,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout,
      logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.network === undefined
        ? {}
        : {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: [props.network.securityGroup],
          }),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        sourceMap: true,
        // The runtime ships AWS SDK v3; bundling it would only grow the cold start.
        externalModules: ['@aws-sdk/*'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) =>
            (props.runtimeFiles ?? []).map((files) => copyCommand(files, outputDir)),
        },
      },
    });
  }
}

/**
 * A portable copy (Node's cpSync), run by the local bundler after esbuild. Forward slashes work
 * on every platform and need no escaping inside the quoted JavaScript string.
 */
function copyCommand(files: RuntimeFiles, outputDir: string): string {
  const from = files.from.replaceAll('\\', '/');
  const to = `${outputDir.replaceAll('\\', '/')}/${files.to}`;
  return `node -e "require('node:fs').cpSync('${from}', '${to}', { recursive: true })"`;
}
