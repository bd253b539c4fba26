/**
 * The one typed, validated configuration of `anteroom serve` and the Lambda handlers.
 *
 * Sources, later ones winning: the JSON file (`--config <path>`, else `$ANTEROOM_CONFIG`, else
 * `./anteroom.config.json` if present), then environment variables, then command-line flags.
 * Unknown or ill-typed keys fail at start-up with a `ConfigError` naming the field.
 * `oidc.clients` and `oidc.cookieKeys` pass through as raw values: the OIDC provider validates them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { CONFIG_DEFAULTS, CONFIG_FILE, LIMIT_DEFAULTS } from '../../queue-core/defaults.ts';
import { parseEvents } from '../../queue-core/event-settings.ts';
import { fieldRules } from '../../queue-core/fields.ts';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../../queue-core/signing-keys/document.ts';
import type { KeysConfig } from '../../queue-core/signing-keys/key-ring.ts';
import type { StoreConfig } from '../../queue-core/store/create-store.ts';
import { DURABILITIES, type Durability } from '../../queue-core/store/durability.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import type { ScopedAdminKey } from '../http/admin-scopes.ts';
import { redirectUriProblem } from '../oidc/clients.ts';
import { accentProblem, HEX_COLOR, type PageTheme } from '../pages/theme.ts';
import {
  LANGUAGES,
  type Language,
  MESSAGE_KEYS,
  type MessageKey,
  type PageLanguages,
  type PageText,
  placeholders,
} from '../pages/waiting/messages.ts';
import {
  type AdminSigV4Key,
  parseAdminKeyEntries,
  parseAdminKeys,
  parseSigV4Keys,
  parseSigV4KeysEnv,
} from './admin-keys.ts';
import { NOTICES, SAMPLE_SITE } from './development.ts';

export type { KeysConfig, StoreConfig };

type RedisStoreConfig = Extract<StoreConfig, { type: 'redis' }>;

export interface AnteroomConfig {
  /** External base URL without a trailing slash; the admission-token issuer; OIDC issuer is `<publicUrl>/oidc`. */
  publicUrl: string;
  listen: { port: number; host: string; adminPort: number; adminHost: string };
  /** Bearer keys accepted by the admin API (at least one, each strong enough: `key-strength.ts`). */
  adminKeys: string[];
  /** AWS SigV4 key pairs accepted by the admin API beside the bearer keys (service `execute-api`). */
  adminSigV4Keys: AdminSigV4Key[];
  /** Bearer keys limited to some calls: the `{"key", "scopes"}` entries of `adminKeys`. */
  scopedAdminKeys: ScopedAdminKey[];
  store: StoreConfig;
  keys: KeysConfig;
  events: EventSettings[];
  limits: {
    enqueuePerClientPerMinute: number;
    /** Failed admin authentications a client may make per minute before it gets 429 (0: no limit). */
    adminFailuresPerClientPerMinute: number;
    /** Per-client budget of OIDC authorization and logout requests (0: none). */
    authorizePerClientPerMinute: number;
    /** The HTTP listeners' bounds (`http-limits.ts`) and the status streams' (`stream-slots.ts`). */
    maxConnections: number;
    connectionsPerClient: number;
    headerBytes: number;
    headersTimeoutSeconds: number;
    requestTimeoutSeconds: number;
    keepAliveTimeoutSeconds: number;
    streamsPerRequestId: number;
    streamsPerClient: number;
    streamMaxSeconds: number;
    /** A proxy is trusted (a hop count or proxy networks): `X-Forwarded-*` headers are read. */
    trustProxy: boolean;
    /**
     * How many proxies in front append to `X-Forwarded-For`: the client address is the entry
     * that many places from its end (the right-most one no trusted proxy wrote). 0: none.
     */
    trustedProxyHops: number;
    /**
     * The networks of the proxies in front (CIDRs, normalised): the client address is the
     * right-most `X-Forwarded-For` entry outside them, and a peer outside them is the client.
     */
    trustedProxyNetworks: string[];
    /** A header set by the proxy in front to the client's address; takes precedence (lower case). */
    clientAddressHeader: string | null;
  };
  oidc: {
    /** Raw client registrations, validated by the OIDC provider. */
    clients: unknown[];
    /** Raw cookie signing keys (undefined: generated and kept beside the signing keys). */
    cookieKeys: unknown;
  };
  log: { level: string };
  /** The waiting pages: languages and wording (`pages.language`, `pages.messages`), colours. */
  pages: PageLanguages & { theme: PageTheme; refreshSeconds: number };
  /**
   * The built-in relying party at `/sample-site/` (`provider/pages/sample-site/`) is served, and
   * its client (`SAMPLE_SITE.clientId`, secret generated at start) is in `oidc.clients`.
   */
  sampleSite: boolean;
  /**
   * A simulated crowd joins the demo event over its first minutes (`provider/server/demo-crowd.ts`);
   * only ever with the demo event.
   */
  demoCrowd: boolean;
  /** The admin key was generated at start (it is printed once). */
  generatedAdminKey: boolean;
  /** One-time notices for development-only defaults in force. */
  notices: string[];
  /** Where the file configuration came from, or null. */
  source: string | null;
}

/** A configuration problem; `field` is the dotted path of the bad key. */
export class ConfigError extends Error {
  readonly field: string;
  /** `message` names the field itself unless `named` is false (then the field is put before it). */
  constructor(field: string, message: string, named = false) {
    super(named ? `configuration: ${message}` : `configuration: ${field} ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

export interface ConfigOverrides {
  /** `--config <path>` */
  configPath?: string | undefined;
  /** `--port n` */
  port?: number | undefined;
  /** `--admin-port n` */
  adminPort?: number | undefined;
}

export interface LoadConfigOptions extends ConfigOverrides {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A configuration object instead of a file (tests, Lambda). */
  raw?: unknown;
}

type Raw = Record<string, unknown>;

/** The shared field rules (`queue-core/fields.ts`), failing with a `ConfigError`. */
const rules = fieldRules((field, message) => new ConfigError(field, message, true));
const { string, integer, boolean } = rules;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object whose keys are all `allowed` (`field` '' is the whole configuration). */
function object(value: unknown, field: string, allowed: readonly string[]): Raw {
  if (field === '' && !isObject(value)) throw rules.fail('', 'the configuration must be an object');
  return rules.onlyKeys(rules.object(value, field), field, allowed);
}

function port(value: unknown, field: string): number {
  return integer(value, field, 0, 65_535);
}

function envPort(value: string, name: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new ConfigError(name, 'must be a port number');
  return port(Number(value), name);
}

function envBoolean(value: string, name: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(lowered)) return false;
  throw new ConfigError(name, 'must be true or false');
}

const MAX_PROXY_HOPS = 16;

interface ProxyTrust {
  trust: boolean;
  hops: number;
  networks: string[];
}

const NO_PROXY: ProxyTrust = { trust: false, hops: 0, networks: [] };

const TRUST_PROXY_TRUE =
  'true is refused: it trusted the first X-Forwarded-For entry, which any client writes. Give the ' +
  `number of proxies in front (1 to ${MAX_PROXY_HOPS}: the client is the entry the outermost one ` +
  'appended) or the list of their networks (CIDRs, e.g. ["10.0.0.0/8"]: the client is the ' +
  'right-most entry outside them)';

/** A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address, normalised to `address/prefix`. */
function cidr(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText) || prefix > bits) {
    throw new ConfigError(field, 'must be a network in CIDR notation (e.g. 10.0.0.0/8) or an IP address');
  }
  return `${address.toLowerCase()}/${prefix}`;
}

/**
 * `limits.trustProxy`: false (none), the number of proxies in front (0 = none), or the list of
 * their networks. `true` is refused (TRUST_PROXY_TRUE).
 */
function trustProxy(value: unknown, field = 'limits.trustProxy'): ProxyTrust {
  if (value === true) throw new ConfigError(field, TRUST_PROXY_TRUE);
  if (value === false) return NO_PROXY;
  if (Array.isArray(value)) {
    if (value.length > 1000) throw new ConfigError(field, 'lists at most 1000 networks');
    const networks = value.map((item, index) => cidr(item, `${field}[${index}]`));
    return networks.length === 0 ? NO_PROXY : { trust: true, hops: 0, networks };
  }
  const hops = integer(value, field, 0, MAX_PROXY_HOPS);
  return hops === 0 ? NO_PROXY : { trust: true, hops, networks: [] };
}

/** `TRUST_PROXY`: false/no/off/0, the number of proxies in front, or comma-separated networks. */
function envTrustProxy(value: string): ProxyTrust {
  const trimmed = value.trim();
  if (/^\d{1,2}$/.test(trimmed)) return trustProxy(Number(trimmed), 'TRUST_PROXY');
  const lowered = trimmed.toLowerCase();
  if (['false', 'no', 'off', ''].includes(lowered)) return NO_PROXY;
  if (['true', 'yes', 'on'].includes(lowered)) throw new ConfigError('TRUST_PROXY', TRUST_PROXY_TRUE);
  try {
    return trustProxy(trimmed.split(','), 'TRUST_PROXY');
  } catch {
    throw new ConfigError(
      'TRUST_PROXY',
      `must be false, a number of proxies from 0 to ${MAX_PROXY_HOPS}, or comma-separated networks (CIDRs)`,
    );
  }
}

/** An HTTP header name (RFC 9110 token), lower-cased. */
function headerName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(value)) {
    throw new ConfigError(field, 'must be an HTTP header name');
  }
  return value.toLowerCase();
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function publicUrl(value: unknown, field: string): string {
  const text = string(value, field);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(field, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(field, 'must be an http or https URL');
  }
  if (url.search || url.hash) throw new ConfigError(field, 'must not carry a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function redisUrl(value: unknown, field: string): string {
  const text = string(value, field);
  if (!/^rediss?:\/\//.test(text)) throw new ConfigError(field, 'must be a redis:// or rediss:// URL');
  return text;
}

/** Above the store's command timeout a confirmation could never arrive in time. */
const MAX_WAIT_TIMEOUT_MS = 4000;

function durability(value: unknown, field: string): Durability {
  if (!DURABILITIES.includes(value as Durability)) {
    throw new ConfigError(field, `must be one of ${DURABILITIES.map((d) => `"${d}"`).join(', ')}`);
  }
  return value as Durability;
}

/** `durability` and `waitTimeoutMs`, each only when given. */
function durabilitySettings(raw: Raw, field: string): Pick<RedisStoreConfig, 'durability' | 'waitTimeoutMs'> {
  return {
    ...(raw.durability === undefined
      ? {}
      : { durability: durability(raw.durability, `${field}.durability`) }),
    ...(raw.waitTimeoutMs === undefined
      ? {}
      : { waitTimeoutMs: integer(raw.waitTimeoutMs, `${field}.waitTimeoutMs`, 1, MAX_WAIT_TIMEOUT_MS) }),
  };
}

/** `host:port`, `[v6]:port`. */
const SENTINEL_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

function sentinelAddresses(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : null;
  if (list === null || list.length === 0)
    throw new ConfigError(field, 'must be a non-empty array of "host:port"');
  return list.map((item, index) => {
    const match = typeof item === 'string' ? SENTINEL_ADDRESS.exec(item) : null;
    if (match === null || Number(match[2]) > 65_535) {
      throw new ConfigError(`${field}[${index}]`, 'must be "host:port"');
    }
    return item as string;
  });
}

/** `sentinels` and `name`, each only when given. */
function sentinelSettings(raw: Raw, field: string): Pick<RedisStoreConfig, 'sentinels' | 'name'> {
  return {
    ...(raw.sentinels === undefined
      ? {}
      : { sentinels: sentinelAddresses(raw.sentinels, `${field}.sentinels`) }),
    ...(raw.name === undefined ? {} : { name: string(raw.name, `${field}.name`) }),
  };
}

function storeConfig(value: unknown, field: string): StoreConfig {
  if (!isObject(value)) throw rules.fail(field, `${field} must be an object`);
  if (value.type === 'memory') {
    object(value, field, ['type']);
    return { type: 'memory' };
  }
  if (value.type === 'redis') {
    const raw = object(value, field, [
      'type',
      'url',
      'keyPrefix',
      'cluster',
      'durability',
      'waitTimeoutMs',
      'sentinels',
      'name',
    ]);
    return {
      type: 'redis',
      url: redisUrl(raw.url, `${field}.url`),
      keyPrefix: raw.keyPrefix === undefined ? undefined : string(raw.keyPrefix, `${field}.keyPrefix`),
      cluster: raw.cluster === undefined ? undefined : boolean(raw.cluster, `${field}.cluster`),
      ...durabilitySettings(raw, field),
      ...sentinelSettings(raw, field),
    };
  }
  throw new ConfigError(`${field}.type`, 'must be "memory" or "redis"');
}

function keysConfig(value: unknown, field: string, cwd: string): KeysConfig {
  if (!isObject(value)) throw rules.fail(field, `${field} must be an object`);
  const algorithm = (allowed: Raw): KeyAlgorithm | undefined => {
    if (allowed.algorithm === undefined) return undefined;
    if (!KEY_ALGORITHMS.includes(allowed.algorithm as KeyAlgorithm)) {
      throw new ConfigError(`${field}.algorithm`, `must be one of ${KEY_ALGORITHMS.join(', ')}`);
    }
    return allowed.algorithm as KeyAlgorithm;
  };
  if (value.type === 'file') {
    const raw = object(value, field, ['type', 'path', 'algorithm']);
    return {
      type: 'file',
      path: absolute(string(raw.path, `${field}.path`), cwd),
      algorithm: algorithm(raw),
    };
  }
  if (value.type === 'env') {
    const raw = object(value, field, ['type', 'variable', 'algorithm']);
    return {
      type: 'env',
      variable: raw.variable === undefined ? undefined : string(raw.variable, `${field}.variable`),
      algorithm: algorithm(raw),
    };
  }
  if (value.type === 'secrets-manager') {
    const raw = object(value, field, ['type', 'secretId', 'region', 'algorithm', 'readOnly']);
    return {
      type: 'secrets-manager',
      secretId: string(raw.secretId, `${field}.secretId`),
      region: raw.region === undefined ? undefined : string(raw.region, `${field}.region`),
      algorithm: algorithm(raw),
      ...(raw.readOnly === undefined ? {} : { readOnly: boolean(raw.readOnly, `${field}.readOnly`) }),
    };
  }
  throw new ConfigError(`${field}.type`, 'must be "file", "env" or "secrets-manager"');
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

const configError = (field: string, message: string) => new ConfigError(field, message);

function events(value: unknown): EventSettings[] {
  try {
    return parseEvents(value);
  } catch (error) {
    const field = (error as { field?: unknown }).field;
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(typeof field === 'string' && field ? field : 'events', message, true);
  }
}

/** The file's path, or null when there is none (development defaults). */
export function findConfigFile(options: LoadConfigOptions): string | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.configPath) return absolute(options.configPath, cwd);
  if (env.ANTEROOM_CONFIG) return absolute(env.ANTEROOM_CONFIG, cwd);
  const local = resolve(cwd, CONFIG_FILE);
  return existsSync(local) ? local : null;
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('file', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError('file', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The integer `limits.*` keys read by one rule: the default from DEFAULTS, else a range check. */
const NUMERIC_LIMITS = [
  'authorizePerClientPerMinute',
  'maxConnections',
  'connectionsPerClient',
  'headerBytes',
  'headersTimeoutSeconds',
  'requestTimeoutSeconds',
  'keepAliveTimeoutSeconds',
  'streamsPerRequestId',
  'streamsPerClient',
  'streamMaxSeconds',
] as const;

const TOP_LEVEL_KEYS = [
  '$schema',
  'publicUrl',
  'listen',
  'adminKeys',
  'adminSigV4Keys',
  'store',
  'keys',
  'events',
  'oidc',
  'limits',
  'log',
  'sampleSite',
  'demo',
  'demoCrowd',
  'pages',
] as const;

/** Read, merge and validate the configuration. Throws `ConfigError` naming the bad field. */
export function loadConfig(options: LoadConfigOptions = {}): AnteroomConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const source = options.raw === undefined ? findConfigFile(options) : null;
  const raw = object(
    options.raw !== undefined ? options.raw : source ? readConfigFile(source) : {},
    '',
    TOP_LEVEL_KEYS,
  );
  const notices: string[] = [];

  const listenRaw = object(raw.listen ?? {}, 'listen', ['port', 'host', 'adminPort', 'adminHost']);
  const defaults = CONFIG_DEFAULTS.listen;
  const listen = {
    port: listenRaw.port === undefined ? defaults.port : port(listenRaw.port, 'listen.port'),
    host: listenRaw.host === undefined ? defaults.host : string(listenRaw.host, 'listen.host'),
    adminPort:
      listenRaw.adminPort === undefined ? defaults.adminPort : port(listenRaw.adminPort, 'listen.adminPort'),
    adminHost:
      listenRaw.adminHost === undefined
        ? defaults.adminHost
        : string(listenRaw.adminHost, 'listen.adminHost'),
  };
  if (env.PORT) listen.port = envPort(env.PORT, 'PORT');
  if (env.HOST) listen.host = env.HOST;
  if (env.ADMIN_PORT) listen.adminPort = envPort(env.ADMIN_PORT, 'ADMIN_PORT');
  if (env.ADMIN_HOST) listen.adminHost = env.ADMIN_HOST;
  if (options.port !== undefined) listen.port = port(options.port, '--port');
  if (options.adminPort !== undefined) listen.adminPort = port(options.adminPort, '--admin-port');

  let url = raw.publicUrl === undefined ? null : publicUrl(raw.publicUrl, 'publicUrl');
  if (env.ANTEROOM_PUBLIC_URL) url = publicUrl(env.ANTEROOM_PUBLIC_URL, 'ANTEROOM_PUBLIC_URL');
  url ??= `http://localhost:${listen.port}`;

  const configuredKeys =
    raw.adminKeys === undefined ? null : parseAdminKeyEntries(raw.adminKeys, 'adminKeys', configError);
  // Keys for every call: a file listing scoped keys only still gets a generated one.
  let keysAdmin = configuredKeys?.keys.length ? configuredKeys.keys : null;
  if (env.ANTEROOM_ADMIN_KEY) {
    keysAdmin = parseAdminKeys(commaList(env.ANTEROOM_ADMIN_KEY), 'ANTEROOM_ADMIN_KEY', configError);
  }
  const generatedAdminKey = keysAdmin === null;
  if (generatedAdminKey) notices.push(NOTICES.generatedAdminKey);
  keysAdmin ??= [randomBytes(24).toString('base64url')];
  const sigV4Keys = env.ANTEROOM_ADMIN_SIGV4_KEYS
    ? parseSigV4KeysEnv(env.ANTEROOM_ADMIN_SIGV4_KEYS, 'ANTEROOM_ADMIN_SIGV4_KEYS', configError)
    : parseSigV4Keys(raw.adminSigV4Keys ?? [], 'adminSigV4Keys', configError);

  let store = raw.store === undefined ? null : storeConfig(raw.store, 'store');
  if (env.REDIS_URL) {
    const file = store?.type === 'redis' ? store : undefined;
    store = {
      type: 'redis',
      url: redisUrl(env.REDIS_URL, 'REDIS_URL'),
      keyPrefix: file?.keyPrefix,
      cluster: file?.cluster,
      ...(file === undefined ? {} : durabilitySettings(file, 'store')),
      ...(file === undefined ? {} : sentinelSettings(file, 'store')),
    };
  }
  if (env.REDIS_CLUSTER !== undefined && store?.type === 'redis') {
    store = { ...store, cluster: envBoolean(env.REDIS_CLUSTER, 'REDIS_CLUSTER') };
  }
  if (env.REDIS_DURABILITY !== undefined && store?.type === 'redis') {
    store = { ...store, durability: durability(env.REDIS_DURABILITY, 'REDIS_DURABILITY') };
  }
  if (env.REDIS_SENTINELS && store?.type === 'redis') {
    store = { ...store, sentinels: sentinelAddresses(commaList(env.REDIS_SENTINELS), 'REDIS_SENTINELS') };
  }
  if (env.REDIS_SENTINEL_NAME && store?.type === 'redis') {
    store = { ...store, name: env.REDIS_SENTINEL_NAME };
  }
  if (store?.type === 'redis' && store.sentinels !== undefined && store.cluster) {
    throw new ConfigError(
      'store.sentinels',
      'cannot be combined with store.cluster: a Redis Cluster fails over by itself',
    );
  }
  store ??= { ...CONFIG_DEFAULTS.store };
  if (store.type === 'memory') notices.push(NOTICES.memoryStore);

  let keys = raw.keys === undefined ? null : keysConfig(raw.keys, 'keys', cwd);
  if (env.ANTEROOM_KEYS_FILE) {
    keys = { type: 'file', path: absolute(env.ANTEROOM_KEYS_FILE, cwd), algorithm: keys?.algorithm };
  }
  keys ??= { ...CONFIG_DEFAULTS.keys, path: absolute(CONFIG_DEFAULTS.keys.path, cwd) };
  if (keys.type === 'file') notices.push(NOTICES.keysFile);

  const demo = demoSetting(raw, env, url);
  if (raw.events === undefined && !demo) {
    throw new ConfigError(
      'events',
      'no events are configured. The demo event is served only when publicUrl is on localhost, ' +
        'or when asked for with "demo": true (ANTEROOM_DEMO=true); a deployment lists its events',
      true,
    );
  }
  if (raw.events === undefined) notices.push(NOTICES.demoEvent);
  const eventList = events(raw.events);
  const demoCrowd = demoCrowdSetting(raw, env, raw.events === undefined);

  const limitsRaw = object(raw.limits ?? {}, 'limits', [
    'enqueuePerClientPerMinute',
    'adminFailuresPerClientPerMinute',
    ...NUMERIC_LIMITS,
    'trustProxy',
    'clientAddressHeader',
  ]);
  const limit = (name: (typeof NUMERIC_LIMITS)[number], min: number, max: number): number =>
    limitsRaw[name] === undefined
      ? LIMIT_DEFAULTS[name]
      : integer(limitsRaw[name], `limits.${name}`, min, max);
  const proxy =
    env.TRUST_PROXY !== undefined
      ? envTrustProxy(env.TRUST_PROXY)
      : trustProxy(limitsRaw.trustProxy ?? CONFIG_DEFAULTS.limits.trustProxy);
  const addressHeader = env.CLIENT_ADDRESS_HEADER ?? limitsRaw.clientAddressHeader;
  const limits = {
    enqueuePerClientPerMinute:
      limitsRaw.enqueuePerClientPerMinute === undefined
        ? CONFIG_DEFAULTS.limits.enqueuePerClientPerMinute
        : integer(limitsRaw.enqueuePerClientPerMinute, 'limits.enqueuePerClientPerMinute', 0, 1_000_000),
    adminFailuresPerClientPerMinute:
      limitsRaw.adminFailuresPerClientPerMinute === undefined
        ? CONFIG_DEFAULTS.limits.adminFailuresPerClientPerMinute
        : integer(
            limitsRaw.adminFailuresPerClientPerMinute,
            'limits.adminFailuresPerClientPerMinute',
            0,
            1_000_000,
          ),
    authorizePerClientPerMinute: limit('authorizePerClientPerMinute', 0, 1_000_000),
    maxConnections: limit('maxConnections', 1, 1_000_000),
    connectionsPerClient: limit('connectionsPerClient', 0, 1_000_000),
    headerBytes: limit('headerBytes', 1024, 1_048_576),
    headersTimeoutSeconds: limit('headersTimeoutSeconds', 1, 300),
    requestTimeoutSeconds: limit('requestTimeoutSeconds', 1, 3600),
    keepAliveTimeoutSeconds: limit('keepAliveTimeoutSeconds', 1, 3600),
    streamsPerRequestId: limit('streamsPerRequestId', 1, 1000),
    streamsPerClient: limit('streamsPerClient', 1, 1_000_000),
    streamMaxSeconds: limit('streamMaxSeconds', 1, 86_400),
    trustProxy: proxy.trust,
    trustedProxyHops: proxy.hops,
    trustedProxyNetworks: proxy.networks,
    clientAddressHeader:
      addressHeader === undefined || addressHeader === ''
        ? null
        : headerName(
            addressHeader,
            env.CLIENT_ADDRESS_HEADER !== undefined ? 'CLIENT_ADDRESS_HEADER' : 'limits.clientAddressHeader',
          ),
  };

  if (limits.requestTimeoutSeconds < limits.headersTimeoutSeconds) {
    throw new ConfigError('limits.requestTimeoutSeconds', 'must be at least limits.headersTimeoutSeconds');
  }

  const oidcRaw = object(raw.oidc ?? {}, 'oidc', ['clients', 'cookieKeys']);
  if (oidcRaw.clients !== undefined && !Array.isArray(oidcRaw.clients)) {
    throw new ConfigError('oidc.clients', 'must be an array');
  }
  let cookieKeys: unknown = oidcRaw.cookieKeys;
  if (env.ANTEROOM_COOKIE_KEYS) cookieKeys = commaList(env.ANTEROOM_COOKIE_KEYS);

  const logRaw = object(raw.log ?? {}, 'log', ['level']);
  let level = logRaw.level === undefined ? CONFIG_DEFAULTS.log.level : string(logRaw.level, 'log.level');
  if (env.LOG_LEVEL) level = env.LOG_LEVEL;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new ConfigError(env.LOG_LEVEL ? 'LOG_LEVEL' : 'log.level', 'must be a pino level (info, debug, …)');
  }

  // A copy: the sample site's client is added to it, never to the caller's document.
  const clients = [...((oidcRaw.clients as unknown[] | undefined) ?? [])];
  const sampleSite = sampleSiteSetting(raw.sampleSite, {
    development: demo && raw.events === undefined && clients.length === 0,
    publicUrl: url,
  });
  if (sampleSite) {
    clients.push(sampleSiteClient(url, eventList[0]?.id ?? 'demo'));
    notices.push(NOTICES.sampleSite);
  }

  return {
    publicUrl: url,
    listen,
    adminKeys: keysAdmin,
    adminSigV4Keys: sigV4Keys,
    scopedAdminKeys: configuredKeys?.scoped ?? [],
    store,
    keys,
    events: eventList,
    limits,
    oidc: { clients, cookieKeys },
    log: { level },
    pages: pageSettings(raw.pages),
    sampleSite,
    demoCrowd,
    generatedAdminKey,
    notices,
    source,
  };
}

/**
 * `pages`: the shipped languages offered (`"fr"`, or `["fr", "en"]`: the first is the default,
 * the others are chosen by the visitor's `Accept-Language`) and, per language, the operator's
 * own wording of any message. An override keeps the placeholders of the message it replaces,
 * so no number or link goes missing from the page.
 */
function pageSettings(value: unknown): AnteroomConfig['pages'] {
  const raw = object(value ?? {}, 'pages', [
    'language',
    'messages',
    'accentColor',
    'accentColorDark',
    'refreshSeconds',
  ]);
  const shipped = Object.keys(LANGUAGES);
  const list =
    raw.language === undefined
      ? [...CONFIG_DEFAULTS.pages.language]
      : typeof raw.language === 'string'
        ? [raw.language]
        : raw.language;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(
      'pages.language',
      `must be a language or a non-empty list of them (${shipped.join(', ')})`,
    );
  }
  const languages = list.map((language, index) => {
    const field = typeof raw.language === 'string' ? 'pages.language' : `pages.language[${index}]`;
    if (typeof language !== 'string' || !shipped.includes(language)) {
      throw new ConfigError(field, `must be one of ${shipped.join(', ')}`);
    }
    if (list.indexOf(language) !== index) throw new ConfigError(field, `${language} is listed twice`);
    return language as Language;
  });
  const overrides = object(raw.messages ?? {}, 'pages.messages', languages);
  const offered = languages.map((language) => ({
    lang: language,
    messages: { ...LANGUAGES[language], ...messageOverrides(overrides[language], language) },
  }));
  return {
    offered: offered as [PageText, ...PageText[]],
    refreshSeconds:
      raw.refreshSeconds === undefined
        ? CONFIG_DEFAULTS.pages.refreshSeconds
        : integer(raw.refreshSeconds, 'pages.refreshSeconds', 2, 3600),
    theme: {
      ...accent(raw.accentColor, 'pages.accentColor', 'light'),
      ...accent(raw.accentColorDark, 'pages.accentColorDark', 'dark'),
    },
  };
}

/** A brand colour, refused when the page would be hard to read with it. */
function accent(value: unknown, field: string, scheme: 'light' | 'dark'): PageTheme {
  if (value === undefined) return {};
  if (typeof value !== 'string' || !HEX_COLOR.test(value))
    throw new ConfigError(field, 'must be a colour as #rrggbb');
  const problem = accentProblem(value.toLowerCase(), scheme);
  if (problem !== null) throw new ConfigError(field, problem);
  return { [scheme === 'light' ? 'accentColor' : 'accentColorDark']: value.toLowerCase() };
}

function messageOverrides(value: unknown, language: Language): Partial<Record<MessageKey, string>> {
  const base = LANGUAGES[language];
  const overrides: Partial<Record<MessageKey, string>> = {};
  for (const [key, text] of Object.entries(object(value ?? {}, `pages.messages.${language}`, MESSAGE_KEYS))) {
    const field = `pages.messages.${language}.${key}`;
    if (typeof text !== 'string' || text.trim() === '' || text.length > 1000) {
      throw new ConfigError(field, 'must be a non-empty string of at most 1000 characters');
    }
    const expected = placeholders(base[key as MessageKey]);
    if (placeholders(text).join() !== expected.join()) {
      const names = expected.length === 0 ? 'none' : expected.map((name) => `{${name}}`).join(', ');
      throw new ConfigError(field, `must use exactly the placeholders of the message it replaces: ${names}`);
    }
    overrides[key as MessageKey] = text;
  }
  return overrides;
}

/** A public URL on this machine (localhost, 127.0.0.1, [::1]): a development server. */
export function isLocalUrl(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

/**
 * `demo` (`ANTEROOM_DEMO`): serve the demo event and the sample site when no events are
 * configured. Explicit true/false wins; unset, it is on only for a development server: no
 * events and a localhost publicUrl. A deployment configured from the environment alone (an
 * https publicUrl, Redis, an admin key) gets no demo: it fails start-up asking for its events.
 */
function demoSetting(raw: Raw, env: NodeJS.ProcessEnv, url: string): boolean {
  if (env.ANTEROOM_DEMO !== undefined) return envBoolean(env.ANTEROOM_DEMO, 'ANTEROOM_DEMO');
  if (raw.demo !== undefined) return boolean(raw.demo, 'demo');
  return raw.events === undefined && isLocalUrl(url);
}

/**
 * `demoCrowd` (`ANTEROOM_DEMO_CROWD`): simulated visitors in the demo event. On by default with
 * the demo event and never without it: a configured event is never filled with simulated people.
 */
function demoCrowdSetting(raw: Raw, env: NodeJS.ProcessEnv, demoEvent: boolean): boolean {
  const fromEnv = env.ANTEROOM_DEMO_CROWD !== undefined;
  const name = fromEnv ? 'ANTEROOM_DEMO_CROWD' : 'demoCrowd';
  const asked = fromEnv
    ? envBoolean(env.ANTEROOM_DEMO_CROWD as string, name)
    : raw.demoCrowd === undefined
      ? undefined
      : boolean(raw.demoCrowd, name);
  if (asked === true && !demoEvent) {
    throw new ConfigError(name, 'only the demo event (no events configured) takes a simulated crowd');
  }
  return asked ?? demoEvent;
}

/**
 * `sampleSite`: explicit true/false wins; unset, it is on in the demo (no events, no clients)
 * when the provider would accept its redirect URI (https, or http on localhost): a development
 * server reached over plain http by another name just goes without.
 */
function sampleSiteSetting(value: unknown, mode: { development: boolean; publicUrl: string }): boolean {
  if (value !== undefined) return boolean(value, 'sampleSite');
  if (!mode.development) return false;
  return redirectUriProblem(`${mode.publicUrl}${SAMPLE_SITE.path}/callback`) === null;
}

/** The sample site's client registration; its secret lives as long as this process. */
function sampleSiteClient(url: string, eventId: string): Record<string, unknown> {
  return {
    client_id: SAMPLE_SITE.clientId,
    client_secret: randomBytes(32).toString('base64url'),
    redirect_uris: [`${url}${SAMPLE_SITE.path}/callback`],
    post_logout_redirect_uris: [`${url}${SAMPLE_SITE.path}/`],
    event_id: eventId,
  };
}
