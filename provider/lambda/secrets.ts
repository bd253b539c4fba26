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

type SecretOutput = { SecretString?: string | undefined };

/** Several secrets in one call: what it returned, by the id asked for. */
export type BatchRead = (secretIds: string[]) => Promise<Map<string, SecretOutput>>;

/** `BatchGetSecretValue` takes at most 20 ids. */
const BATCH_LIMIT = 20;

/** `BatchGetSecretValue` without the SDK (see `directSecretsManager`). */
export function directBatchRead(env: Env): BatchRead {
  return async (secretIds) => {
    const output = (await callAwsJson(env, SECRETS_MANAGER, 'secretsmanager.BatchGetSecretValue', {
      SecretIdList: secretIds,
    })) as { SecretValues?: { ARN?: string; Name?: string; SecretString?: string }[] };
    const found = new Map<string, SecretOutput>();
    for (const value of output.SecretValues ?? []) {
      // An id may be the ARN or the name; the answer carries both.
      const id = secretIds.find((asked) => asked === value.ARN || asked === value.Name);
      if (id !== undefined) found.set(id, { SecretString: value.SecretString });
    }
    return found;
  };
}

/**
 * The secrets a function's environment names (`ANTEROOM_*_SECRET_ARN`, the OIDC client secrets),
 * read all at once before the code that parses them is even loaded (`provider/lambda.ts`, when
 * Lambda names the handler): the first invocation then finds them in flight or read. Each read
 * is handed out once (`take`): a later read of the same secret (a key reload) asks again.
 */
export class SecretPrefetch {
  private readonly reads = new Map<string, Promise<SecretOutput>>();

  /**
   * One `BatchGetSecretValue` call for all of them (one TLS handshake and one round trip where
   * `GetSecretValue` needs one each); a secret the batch did not return, or every secret when the
   * batch fails (a role without `secretsmanager:BatchGetSecretValue`), is read on its own.
   */
  constructor(client: SecretsManagerLike, secretIds: Iterable<string>, batch?: BatchRead) {
    const ids = [...new Set(secretIds)];
    const single = (secretId: string) => client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const batched = batch && ids.length > 1 ? batch(ids.slice(0, BATCH_LIMIT)) : null;
    for (const [index, secretId] of ids.entries()) {
      const read =
        batched && index < BATCH_LIMIT
          ? batched.then(
              (found) => found.get(secretId) ?? single(secretId),
              () => single(secretId),
            )
          : single(secretId);
      // Not awaited here: a failure reaches whoever takes the read (or nobody).
      read.catch(() => {});
      this.reads.set(secretId, read);
    }
  }

  /** The secret ids of the environment's variables (an unreadable client map names none). */
  static idsOf(env: Env): string[] {
    const ids = [
      env.ANTEROOM_REDIS_AUTH_SECRET_ARN,
      env.ANTEROOM_KEYS_SECRET_ARN,
      env.ANTEROOM_ORIGIN_SECRET_ARN,
      env.ANTEROOM_COOKIE_KEYS_SECRET_ARN,
    ];
    try {
      const clients: unknown = JSON.parse(env.ANTEROOM_OIDC_CLIENT_SECRET_ARNS || '{}');
      if (typeof clients === 'object' && clients !== null) ids.push(...(Object.values(clients) as string[]));
    } catch {
      // the cold start reports the bad variable
    }
    return ids.filter((id): id is string => typeof id === 'string' && id !== '');
  }

  take(secretId: string): Promise<SecretOutput> | undefined {
    const read = this.reads.get(secretId);
    this.reads.delete(secretId);
    return read;
  }
}

/** Reads secret strings through one client, created on first use. */
export class SecretReader {
  private client: SecretsManagerLike | null;
  private readonly env: Env;
  private readonly prefetch: SecretPrefetch | undefined;
  private prefetching: SecretsManagerLike | null = null;

  /**
   * `env`: where the default client finds the function's credentials and region. `prefetch`:
   * reads already started, each used once in place of a request of its own.
   */
  constructor(client?: SecretsManagerLike, env: Env = process.env, prefetch?: SecretPrefetch) {
    this.client = client ?? null;
    this.env = env;
    this.prefetch = prefetch;
  }

  /** The shared client (also handed to the key ring, so the container holds one). */
  get secretsManager(): SecretsManagerLike {
    this.client ??= directSecretsManager(this.env);
    const { client, prefetch } = this;
    if (!prefetch) return client;
    this.prefetching ??= {
      send: (command: GetSecretValueCommand | PutSecretValueCommand) =>
        command instanceof GetSecretValueCommand
          ? (prefetch.take(command.input.SecretId) ?? client.send(command))
          : client.send(command),
    } as SecretsManagerLike;
    return this.prefetching;
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
