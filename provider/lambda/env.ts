/**
 * The Lambda functions' environment → the same validated configuration `anteroom serve` uses.
 *
 * | variable | becomes |
 * |---|---|
 * | `ANTEROOM_CONFIG_JSON` | the configuration document (else `ANTEROOM_CONFIG` / `./anteroom.config.json`, as `serve`) |
 * | `ANTEROOM_REDIS_HOST`, `ANTEROOM_REDIS_PORT` (6379), `ANTEROOM_REDIS_TLS` | `store: {"type":"redis","url":"redis[s]://host:port"}` |
 * | `ANTEROOM_REDIS_CLUSTER` (`true`) | `store.cluster: true` (ElastiCache Serverless) |
 * | `ANTEROOM_REDIS_AUTH_SECRET_ARN` | the AUTH token in that URL (plain string or `{"password"}` JSON) |
 * | `ANTEROOM_KEYS_SECRET_ARN` | `keys: {"type":"secrets-manager","secretId":…}` |
 * | `ANTEROOM_KEYS_ALGORITHM` (`ES256`, `RS256`) | with `ANTEROOM_KEYS_SECRET_ARN`: `keys.algorithm`, the admission tokens' algorithm (default ES256) |
 * | `ANTEROOM_KEYS_READ_ONLY` (`true`) | with `ANTEROOM_KEYS_SECRET_ARN`: `keys.readOnly` (the function never writes the secret) |
 * | `ANTEROOM_COOKIE_KEYS_SECRET_ARN` | `oidc.cookieKeys` (JSON array, `{"keys"}` or comma-separated) |
 * | `ANTEROOM_PUBLIC_URL` | `publicUrl` (behind CloudFront: the CloudFront URL) |
 * | `ANTEROOM_ORIGIN_SECRET_ARN` / `ANTEROOM_ORIGIN_SECRET` | required `x-anteroom-origin-secret` header value |
 * | `ANTEROOM_EVENT_BUS` | EventBridge bus for status events (none: events are dropped) |
 * | `ANTEROOM_OIDC_TABLE` | DynamoDB table of the OIDC provider's state (none: the queue's Redis) |
 * | `ANTEROOM_LEDGER_TABLE` | DynamoDB table of the durable admission ledger (none: Redis only) |
 * | `ANTEROOM_OIDC_CLIENT_SECRET_ARNS` | `client_secret` of confidential clients: JSON `{"<client_id>": "<secret ARN>"}`, each secret a plain string |
 *
 * Every other variable `anteroom serve` reads (`REDIS_URL`, `ANTEROOM_ADMIN_KEY`, `LOG_LEVEL`,
 * `TRUST_PROXY`, …) works the same here.
 */
import { readFileSync } from 'node:fs';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../../queue-core/signing-keys/document.ts';
import { type AnteroomConfig, ConfigError, findConfigFile, loadConfig } from '../config/server-config.ts';
import {
  checkSecretClients,
  parseClientSecretArns,
  readClientSecrets,
  withClientSecrets,
} from './client-secrets.ts';
import { parseRedisAuth, parseStringList, type SecretReader } from './secrets.ts';

export type Env = Record<string, string | undefined>;

export interface LambdaSettings {
  config: AnteroomConfig;
  /** Value the public handler requires in `x-anteroom-origin-secret`, or null (no check). */
  originSecret: string | null;
  /** EventBridge bus name or ARN, or null. */
  eventBus: string | null;
  /** DynamoDB table of the OIDC provider's state, or null (then Redis, like the queue). */
  oidcTable: string | null;
  /** DynamoDB table of the durable admission ledger (`ledger.ts`), or null (Redis only). */
  ledgerTable: string | null;
}

export interface SettingsHint {
  /**
   * The address of the API the first request came through. Used as `publicUrl` only when
   * neither `ANTEROOM_PUBLIC_URL` nor the configuration document names one.
   */
  derivedPublicUrl?: string | undefined;
}

/** Resolve secrets and build the configuration. Throws `ConfigError` naming the bad variable. */
export async function loadLambdaSettings(
  env: Env,
  secrets: SecretReader,
  hint: SettingsHint = {},
): Promise<LambdaSettings> {
  const clientSecretArns = parseClientSecretArns(env.ANTEROOM_OIDC_CLIENT_SECRET_ARNS);
  const baseRaw = rawConfig(env);
  checkSecretClients(baseRaw, clientSecretArns.keys());
  const [redisUrl, cookieKeys, originSecret, clientSecrets] = await Promise.all([
    redisUrlFromEnv(env, secrets),
    secretList(env.ANTEROOM_COOKIE_KEYS_SECRET_ARN, 'ANTEROOM_COOKIE_KEYS_SECRET_ARN', secrets),
    originSecretFromEnv(env, secrets),
    readClientSecrets(clientSecretArns, secrets),
  ]);
  const effectiveEnv: NodeJS.ProcessEnv = { ...env };
  if (redisUrl) effectiveEnv.REDIS_URL = redisUrl;
  // ElastiCache Serverless speaks the cluster protocol (every script stays in one slot: `{event_id}`).
  if (env.ANTEROOM_REDIS_CLUSTER) effectiveEnv.REDIS_CLUSTER = env.ANTEROOM_REDIS_CLUSTER;
  if (cookieKeys) effectiveEnv.ANTEROOM_COOKIE_KEYS = cookieKeys.join(',');

  // Merged before validation: the provider is built from complete clients.
  const raw = withClientSecrets(baseRaw, clientSecrets);
  if (env.ANTEROOM_KEYS_SECRET_ARN) {
    // The deployment's secret wins over any keys file (a Lambda's file system is read-only).
    raw.keys = {
      type: 'secrets-manager',
      secretId: env.ANTEROOM_KEYS_SECRET_ARN,
      ...(env.ANTEROOM_KEYS_ALGORITHM ? { algorithm: keysAlgorithm(env.ANTEROOM_KEYS_ALGORITHM) } : {}),
      // The internet-facing functions read the keys and never write them (least privilege).
      ...(env.ANTEROOM_KEYS_READ_ONLY === 'true' ? { readOnly: true } : {}),
    };
    delete effectiveEnv.ANTEROOM_KEYS_FILE;
  }
  if (!env.ANTEROOM_PUBLIC_URL && raw.publicUrl === undefined && hint.derivedPublicUrl) {
    effectiveEnv.ANTEROOM_PUBLIC_URL = hint.derivedPublicUrl;
  }
  const config = loadConfig({ raw, env: effectiveEnv });
  return {
    config,
    originSecret,
    eventBus: env.ANTEROOM_EVENT_BUS || null,
    oidcTable: env.ANTEROOM_OIDC_TABLE || null,
    ledgerTable: env.ANTEROOM_LEDGER_TABLE || null,
  };
}

function keysAlgorithm(value: string): KeyAlgorithm {
  if (!KEY_ALGORITHMS.includes(value as KeyAlgorithm)) {
    throw new ConfigError('ANTEROOM_KEYS_ALGORITHM', `must be one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  return value as KeyAlgorithm;
}

function rawConfig(env: Env): Record<string, unknown> {
  const text = env.ANTEROOM_CONFIG_JSON;
  if (text !== undefined && text.trim() !== '') return parseObject(text, 'ANTEROOM_CONFIG_JSON');
  const file = findConfigFile({ env: env as NodeJS.ProcessEnv });
  return file ? parseObject(readFileSync(file, 'utf8'), file) : {};
}

function parseObject(text: string, field: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(field, `is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(field, 'must be a JSON object');
  }
  return { ...(parsed as Record<string, unknown>) };
}

async function redisUrlFromEnv(env: Env, secrets: SecretReader): Promise<string | null> {
  const host = env.ANTEROOM_REDIS_HOST;
  if (!host) return null;
  const port = env.ANTEROOM_REDIS_PORT || '6379';
  if (!/^\d{1,5}$/.test(port)) throw new ConfigError('ANTEROOM_REDIS_PORT', 'must be a port number');
  const tls = ['1', 'true', 'yes', 'on'].includes((env.ANTEROOM_REDIS_TLS ?? '').trim().toLowerCase());
  let credentials = '';
  if (env.ANTEROOM_REDIS_AUTH_SECRET_ARN) {
    const auth = parseSecret(
      await secrets.read(env.ANTEROOM_REDIS_AUTH_SECRET_ARN),
      'ANTEROOM_REDIS_AUTH_SECRET_ARN',
      parseRedisAuth,
    );
    credentials = `${encodeURIComponent(auth.username ?? '')}:${encodeURIComponent(auth.password)}@`;
  }
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${tls ? 'rediss' : 'redis'}://${credentials}${hostPart}:${port}`;
}

async function secretList(secretId: string | undefined, field: string, secrets: SecretReader) {
  if (!secretId) return null;
  const list = parseSecret(await secrets.read(secretId), field, parseStringList);
  if (list.length === 0) throw new ConfigError(field, 'the secret holds no key');
  return list;
}

async function originSecretFromEnv(env: Env, secrets: SecretReader): Promise<string | null> {
  const value = env.ANTEROOM_ORIGIN_SECRET_ARN
    ? (await secrets.read(env.ANTEROOM_ORIGIN_SECRET_ARN)).trim()
    : (env.ANTEROOM_ORIGIN_SECRET ?? '').trim();
  if (value === '' && (env.ANTEROOM_ORIGIN_SECRET_ARN || env.ANTEROOM_ORIGIN_SECRET !== undefined)) {
    // A configured but empty secret would let everyone through: refuse to start instead.
    throw new ConfigError(
      env.ANTEROOM_ORIGIN_SECRET_ARN ? 'ANTEROOM_ORIGIN_SECRET_ARN' : 'ANTEROOM_ORIGIN_SECRET',
      'is empty',
    );
  }
  return value === '' ? null : value;
}

function parseSecret<T>(text: string, field: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    // Never echo the secret into logs: JSON.parse messages quote the text they read.
    const reason = error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message;
    throw new ConfigError(field, `secret has the wrong shape: ${reason}`);
  }
}
