/**
 * Secrets Manager reads at cold start: one client per container, each secret read once.
 * Tests pass a fake `send` (Secrets Manager itself is unreachable from the test machine).
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerLike } from '../../queue-core/signing-keys/key-ring.ts';

export type { SecretsManagerLike };

export class SecretMissingError extends Error {
  readonly secretId: string;
  constructor(secretId: string) {
    super(`secret ${secretId} has no SecretString`);
    this.name = 'SecretMissingError';
    this.secretId = secretId;
  }
}

/** Reads secret strings through one client, created on first use. */
export class SecretReader {
  private client: SecretsManagerLike | null;

  constructor(client?: SecretsManagerLike) {
    this.client = client ?? null;
  }

  /** The shared client (also handed to the key ring, so the container holds one). */
  get secretsManager(): SecretsManagerLike {
    this.client ??= new SecretsManagerClient({});
    return this.client;
  }

  async read(secretId: string): Promise<string> {
    const output: GetSecretValueCommandOutput = await this.secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretId }),
    );
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
