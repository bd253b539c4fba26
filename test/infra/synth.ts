/**
 * Synthesizes the waiting-room app the way `npm run synth` does, minus esbuild (the
 * `aws:cdk:bundling-stacks` context set to [] makes CDK skip the assets' bundling) and minus
 * CDK's built-in CloudFormation schema validation (slow; `npm run synth` runs it), with the
 * cdk-nag AwsSolutions checks attached. Each test file calls it once and shares the result.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/lib/build-app.ts';
import { parseDeployConfig } from '../../infra/lib/config.ts';
import type { WaitingRoomStack } from '../../infra/lib/waiting-room-stack.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped.
export type Json = any;

export interface Violation {
  rule: string;
  severity: string;
  path: string;
}

export interface Acknowledgment {
  path: string;
  id: string;
  reason: string;
}

export interface Synthesized {
  stack: WaitingRoomStack;
  template: Template;
  /** The template as plain JSON. */
  json: Json;
  /** cdk-nag findings left after the acknowledgments (errors and warnings). */
  violations: Violation[];
  /** Every cdk-nag acknowledgment in the stack. */
  acknowledgments: Acknowledgment[];
}

export function synthesize(rawConfig: unknown = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'anteroom-infra-'));
  try {
    const { app, stack } = buildApp({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
      config: parseDeployConfig(rawConfig),
      // CDK's schema validation is ten times slower than the rest; `npm run synth` runs it.
      builtinCloudFormationValidation: false,
    });
    let failure: unknown;
    try {
      app.synth();
    } catch (error) {
      failure = error;
    }
    const reportPath = join(outdir, 'validation-report.json');
    if (failure !== undefined && !existsSync(reportPath)) throw failure;
    const violations = existsSync(reportPath) ? readViolations(reportPath) : [];
    const json = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8'));
    return {
      stack,
      template: Template.fromJSON(json),
      json,
      violations,
      acknowledgments: acknowledgments(stack),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function readViolations(path: string): Violation[] {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Json;
  return report.pluginReports.flatMap((plugin: Json) =>
    plugin.violations.flatMap((violation: Json) =>
      violation.violatingConstructs.map((construct: Json) => ({
        rule: violation.ruleName,
        severity: violation.severity,
        path: construct.constructPath,
      })),
    ),
  );
}

function acknowledgments(stack: WaitingRoomStack): Acknowledgment[] {
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      )
      .filter((ack) => ack.id.startsWith('AwsSolutions::')),
  );
}

/** `{Ref: id}` / `{Fn::GetAtt: …}` of a construct attribute, as it appears in the template. */
export function resolved(stack: WaitingRoomStack, value: unknown): Json {
  return stack.resolve(value);
}

/** Every IAM statement attached to the execution role of the function with this logical id. */
export function roleStatements(json: Json, functionLogicalId: string): Json[] {
  const fn = json.Resources[functionLogicalId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(json.Resources as Record<string, Json>)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The statement's actions and resources as arrays. */
export function actionsOf(statement: Json): string[] {
  return [statement.Action].flat();
}

export function resourcesOf(statement: Json): Json[] {
  return [statement.Resource].flat();
}

export function resourcesOfType(json: Json, type: string): Array<[string, Json]> {
  return Object.entries(json.Resources as Record<string, Json>).filter(
    ([, resource]) => resource.Type === type,
  );
}

/**
 * The security groups whose egress opens `port`; for the first, its egress rules as
 * `[protocol, from, to]` and the logical ids of the Lambda functions it is attached to.
 */
export function egressOpening(
  json: Json,
  port: number,
): { groups: number; rules: Array<[string, number, number]>; functions: string[] } {
  const groups = resourcesOfType(json, 'AWS::EC2::SecurityGroup').filter(([, group]) =>
    (group.Properties.SecurityGroupEgress ?? []).some((rule: Json) => rule.FromPort === port),
  );
  const [groupId, group] = groups[0] ?? ['', { Properties: {} }];
  const functions = resourcesOfType(json, 'AWS::Lambda::Function')
    .filter(([, resource]) =>
      (resource.Properties.VpcConfig?.SecurityGroupIds ?? []).some(
        (ref: Json) => ref['Fn::GetAtt']?.[0] === groupId,
      ),
    )
    .map(([id]) => id);
  return {
    groups: groups.length,
    rules: (group.Properties.SecurityGroupEgress ?? []).map((rule: Json) => [
      rule.IpProtocol,
      rule.FromPort,
      rule.ToPort,
    ]),
    functions,
  };
}
