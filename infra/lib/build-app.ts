/**
 * Builds the CDK app: the one place bin/app.ts and the tests share, so the tests check exactly
 * what `npm run synth` and `cdk deploy` produce. The AWS Solutions rules (cdk-nag) run on every
 * synth; the accepted findings carry their reasons in nag-suppressions.ts.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_CONTEXT_KEY, type DeployConfig, loadDeployConfig } from './config.ts';
import type { LambdaEntries } from './entries.ts';
import { WaitingRoomStack } from './waiting-room-stack.ts';

/** Context key of the stack name (default `Anteroom`). */
export const STACK_NAME_CONTEXT_KEY = 'anteroom:stackName';

export interface BuildAppOptions {
  outdir?: string;
  /** Extra context, e.g. `{"aws:cdk:bundling-stacks": []}` to skip bundling in tests. */
  context?: Record<string, unknown>;
  /** A parsed configuration; by default it is read from the `anteroom:config` context. */
  config?: DeployConfig;
  entries?: LambdaEntries;
  /**
   * CDK's own CloudFormation schema validation (default on). The tests turn it off: it takes
   * ten times longer than the rest of synth, and `npm run synth` still runs it.
   */
  builtinCloudFormationValidation?: boolean;
}

export function buildApp(options: BuildAppOptions = {}): { app: App; stack: WaitingRoomStack } {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.builtinCloudFormationValidation === undefined
      ? {}
      : { builtinCloudFormationValidation: options.builtinCloudFormationValidation }),
  });
  const config = options.config ?? loadDeployConfig(app.node.tryGetContext(CONFIG_CONTEXT_KEY));
  const stackName = app.node.tryGetContext(STACK_NAME_CONTEXT_KEY) ?? 'Anteroom';
  const stack = new WaitingRoomStack(app, stackName, {
    config,
    ...(options.entries === undefined ? {} : { entries: options.entries }),
    description: 'Anteroom virtual waiting room (serverless)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
