/**
 * Secrets Manager reads at cold start: one client per container, each secret read once. The
 * client signs its requests itself (`aws-json.ts`) rather than load the AWS SDK. Tests pass a
 * fake `send` (Secrets Manager itself is unreachable from the test machine).
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerLike,
} from '../../queue-core/signing-keys/secrets-manager.ts';
import { callAwsJson, type Env } from './aws-json.ts';

export type { SecretsManagerLike };

export class SecretMissingError extends Error {
  readonly secretId: string;
  constructor(secretId: string) {
    super(`secret ${secretId} has no SecretString`);
    this.name = 'SecretMissingError';
    this.secretId = secretId;
  }
}

const SECRETS_MANAGER = {
  endpointPrefix: 'secretsmanager',
  endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

/** `GetSecretValue` and `PutSecretValue` (the key ring's rotations) without the SDK. */
export function directSecretsManager(env: Env): SecretsManagerLike {
  const send = (command: GetSecretValueCommand | PutSecretValueCommand) =>
    command instanceof PutSecretValueCommand
      ? callAwsJson(env, SECRETS_MANAGER, 'secretsmanager.PutSecretValue', command.input)
      : callAwsJson(env, SECRETS_MANAGER, 'secretsmanager.GetSecretValue', command.input);
  return { send } as SecretsManagerLike;
}

/** Reads secret strings through one client, created on first use. */
export class SecretReader {
  private client: SecretsManagerLike | null;
  private readonly env: Env;

  /** `env`: where the default client finds the function's credentials and region. */
  constructor(client?: SecretsManagerLike, env: Env = process.env) {
    this.client = client ?? null;
    this.env = env;
  }

  /** The shared client (also handed to the key ring, so the container holds one). */
  get secretsManager(): SecretsManagerLike {
    this.client ??= directSecretsManager(this.env);
    return this.client;
  }

  async read(secretId: string): Promise<string> {
    const output = await this.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (typeof output.SecretString !== 'string') throw new SecretMissingError(secretId);
    return output.SecretString;
  }
}

/**
 * A secret that holds a list of strings: a JSON array, `{"keys": [...]}`, or a
 * comma-separated string (what `ANTEROOM_COOKIE_KEYS` takes).
 */
export function parseStringList(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const parsed: unknown = JSON.parse(trimmed);
    const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown }).keys;
    if (Array.isArray(list) && list.every((item) => typeof item === 'string' && item.length > 0)) {
      return list as string[];
    }
    throw new Error('expected a JSON array of strings or {"keys": [...]}');
  }
  return trimmed
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * The Redis AUTH token secret: a plain string, or JSON with `password`/`authToken`/`token`
 * (a generated ElastiCache secret is often `{"username": …, "password": …}`).
 */
export function parseRedisAuth(text: string): { username?: string; password: string } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { password: trimmed };
  const parsed = JSON.parse(trimmed) as Record<string, unknown>;
  const password = parsed.password ?? parsed.authToken ?? parsed.token;
  if (typeof password !== 'string' || password.length === 0) {
    throw new Error('expected a "password" (or "authToken") string in the Redis auth secret');
  }
  return typeof parsed.username === 'string' && parsed.username
    ? { username: parsed.username, password }
    : { password };
}
