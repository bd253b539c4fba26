/**
 * The deployed edge function's configuration: `anteroom-edge.json`, bundled beside the handler
 * (Lambda@Edge has no environment variables). It holds the gate's settings (`./options.ts`); the
 * two secrets may instead be named in Secrets Manager, and are then read once per container, on
 * its first request, so they are never in the function's code package or in a template:
 *
 *   {"issuer": "...", "clientId": "...", "baseUrl": "...",
 *    "secretsManager": {"region": "us-east-1", "clientSecret": "<ARN>", "cookieSecret": "<ARN>"}}
 *
 * The AWS SDK is the one the Lambda runtime ships, loaded only when a secret is to be read.
 */
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../queue-core/errors.ts';
import type { GateConfig } from './options.ts';

export type SecretRead = (region: string, secretId: string) => Promise<string>;

const SECRET_FIELDS = ['clientSecret', 'cookieSecret'] as const;

function fail(field: string, message: string): never {
  throw new ValidationError(field, `anteroom-edge.json: ${message}`, 'invalid_gate_config');
}

async function readFromSecretsManager(region: string, secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const output = await new SecretsManagerClient({ region }).send(
    new GetSecretValueCommand({ SecretId: secretId }),
  );
  if (typeof output.SecretString !== 'string' || output.SecretString === '') {
    throw new Error(`secret ${secretId} has no SecretString`);
  }
  return output.SecretString;
}

/** The gate configuration from the parsed file, with any Secrets Manager references resolved. */
export async function resolveEdgeConfig(
  raw: unknown,
  readSecret: SecretRead = readFromSecretsManager,
): Promise<GateConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('config', 'must hold a JSON object');
  const { secretsManager, ...settings } = raw as Record<string, unknown>;
  if (secretsManager === undefined) return settings as unknown as GateConfig;
  if (typeof secretsManager !== 'object' || secretsManager === null) {
    fail('secretsManager', 'secretsManager must be an object');
  }
  const refs = secretsManager as Record<string, unknown>;
  const region = refs['region'];
  if (typeof region !== 'string' || region === '')
    fail('secretsManager.region', 'secretsManager.region is required');
  for (const key of Object.keys(refs)) {
    if (key !== 'region' && !(SECRET_FIELDS as readonly string[]).includes(key)) {
      fail(`secretsManager.${key}`, `secretsManager.${key} is not a secret the gate reads`);
    }
  }
  const resolved = await Promise.all(
    SECRET_FIELDS.filter((field) => refs[field] !== undefined).map(async (field) => {
      const secretId = refs[field];
      if (typeof secretId !== 'string' || secretId === '')
        fail(`secretsManager.${field}`, 'must be a secret ARN');
      if (settings[field] !== undefined)
        fail(field, `${field} is given both in clear and in Secrets Manager`);
      return [field, await readSecret(region, secretId)] as const;
    }),
  );
  return { ...settings, ...Object.fromEntries(resolved) } as unknown as GateConfig;
}

export async function loadEdgeConfig(file: URL, readSecret?: SecretRead): Promise<GateConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    fail('config', `cannot be read: ${(error as Error).message}`);
  }
  return resolveEdgeConfig(raw, readSecret);
}
