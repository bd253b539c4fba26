/**
 * The CDK app: `npm run synth` (node infra/bin/app.ts) or `npx cdk --app 'node infra/bin/app.ts' deploy`.
 * Synthesizes offline: no AWS credentials, no Docker (the local esbuild bundles the handlers).
 *
 * Context (`-c key=value`):
 *   anteroom:config     deployment configuration: inline JSON or a JSON file path (docs/deploy-aws.md)
 *   anteroom:stackName  stack name (default Anteroom)
 */
import { buildApp } from '../lib/build-app.ts';

try {
  // The CDK CLI passes its output folder in CDK_OUTDIR; run directly, the app writes cdk.out.
  const { app } = buildApp({ outdir: process.env['CDK_OUTDIR'] ?? 'cdk.out' });
  app.synth();
} catch (error) {
  const { code } = error as { code?: unknown };
  const label = typeof code === 'string' ? ` (${code})` : '';
  console.error(`anteroom synth failed${label}: ${(error as Error).message}`);
  process.exitCode = 1;
}
