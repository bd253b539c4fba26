/**
 * The deployment configuration: what an operator sets with `-c anteroom:config=<JSON or file path>`
 * (or passes as stack props). One place for the defaults, each documented beside its value, and
 * eager validation that names the bad field, so a typo fails at synth time, not after a 20-minute
 * deploy. docs/deploy-aws.md documents every key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../provider/config/server-config.ts';
import { parseOidcClients } from '../../provider/oidc/clients.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import { fieldRules } from '../../queue-core/fields.ts';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../../queue-core/signing-keys/document.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import { entryEgressPorts } from './entry-reach.ts';
import { type OriginHealthConfig, parseOriginHealth, signalEgressPorts } from './origin-signals.ts';

/** The context key holding the deployment configuration. */
export const CONFIG_CONTEXT_KEY = 'anteroom:config';

/**
 * An OIDC client as the Lambdas get it (the fields of `oidc.clients[]`, docs/configuration.md),
 * without `client_secret`: the stack generates one per confidential client. In the deployment
 * configuration a client may also carry `"public": true` (a PKCE client without a secret); the
 * stack takes that flag off before the app sees it.
 */
export interface OidcClientConfig {
  client_id: string;
  redirect_uris: string[];
  event_id: string;
  [key: string]: unknown;
}

/**
 * The application configuration handed to the Lambdas as `ANTEROOM_CONFIG_JSON`: the same keys as
 * `anteroom serve` reads (DESIGN.md), minus everything the stack provides (store, keys, cookie
 * keys, admin keys, client secrets).
 */
export interface AppConfig {
  /** External base URL; defaults to the CloudFront distribution's https URL. */
  publicUrl?: string;
  events: Array<{ id: string; [key: string]: unknown }>;
  oidc?: { clients?: OidcClientConfig[]; [key: string]: unknown };
  limits?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface QueueStoreConfig {
  /** `replication-group`: node-based, Multi-AZ with automatic failover. `serverless`: ElastiCache Serverless. */
  type: 'replication-group' | 'serverless';
  /** `valkey` (about 20 % cheaper than `redis` on ElastiCache, same protocol) or `redis`. */
  engine: 'valkey' | 'redis';
  /** Engine version (default: 8.0 for valkey, 7.1 for redis). Serverless uses its major version. */
  engineVersion: string;
  /** Node type of the replication group (primary and replica). Ignored for serverless. */
  nodeType: string;
  /** A non-default port makes drive-by scans of 6379 miss; serverless always uses 6379. */
  port: number;
  /** Days of daily snapshots kept (0 turns snapshots off). */
  snapshotRetentionDays: number;
  /**
   * Replicas beside the primary (node-based only; 1–5, default 2). With one, the first failover
   * leaves no replica to confirm a write: with `durability: "replica"` every write answers 503
   * until ElastiCache replaces the lost node.
   */
  replicas: number;
  /**
   * When the app counts a write as acknowledged (`store.durability`, API.md section 5):
   * `replica` (default for a replication group: `WAIT 1` confirms a replica holds it, so a
   * failover hands no position out twice) or `none`. Serverless: `none` only.
   */
  durability: 'none' | 'replica';
}

export interface NetworkConfig {
  /**
   * 0 (default): no NAT gateway; the Lambdas reach AWS services through VPC endpoints only
   * (Secrets Manager and EventBridge interface endpoints, DynamoDB gateway endpoint).
   * ≥ 1: that many NAT gateways give the VPC Lambdas internet egress instead of interface endpoints.
   */
  natGateways: number;
  /** Availability zones used (2 = Multi-AZ for the queue store). */
  maxAzs: number;
}

export interface PublicApiConfig {
  /** Steady-state requests per second the public API Gateway stage accepts. */
  throttleRateLimit: number;
  /** Burst the public stage accepts above the steady rate. */
  throttleBurstLimit: number;
}

export interface PrivateApiConfig {
  /**
   * Origins of browser apps allowed to call the private admin API (CORS), such as where the AWS
   * solution's control panel is hosted: `https://host[:port]`, or `http://localhost[:port]`.
   * API Gateway answers their preflights itself, before the IAM check. None: no CORS.
   */
  corsOrigins: string[];
}

export interface CdnConfig {
  /** Custom host names for the distribution (needs `certificateArn`, a us-east-1 ACM certificate). */
  domainNames: string[];
  certificateArn?: string;
  /** ARN of a WAFv2 web ACL (scope CLOUDFRONT, in us-east-1) to attach. */
  webAclArn?: string;
  /**
   * A web ACL the stack creates and attaches instead (scope CLOUDFRONT: the stack must then be
   * deployed in us-east-1), with one rate-based rule: a client address that sends more than
   * `rateLimit` requests within `windowSeconds` is answered 429 by CloudFront until it slows down.
   */
  webAcl?: WebAclConfig;
  /** Seconds the status answers (`/serving_num`, `/waiting_num`, `/status`) stay cached at the edge. */
  statusCacheSeconds: number;
}

export interface WebAclConfig {
  /** Requests per client address within the window (AWS WAF: 10 to 2,000,000,000). */
  rateLimit: number;
  /** The rate rule's evaluation window: 60, 120, 300 (default) or 600 seconds. */
  windowSeconds: number;
}

/** The evaluation windows AWS WAF's rate-based rules accept (seconds). */
export const WEB_ACL_WINDOWS = [60, 120, 300, 600] as const;

export interface DeployConfig {
  app: AppConfig;
  /**
   * Algorithm of admission tokens: `ES256` (smaller, faster) or `RS256` (what the AWS solution
   * signed with, for downstream verifiers that accept nothing else). OIDC ID tokens are RS256 either way.
   */
  admissionTokenAlgorithm: KeyAlgorithm;
  /** Clients without `"public": true`: each gets a client secret generated by the stack. */
  confidentialClients: string[];
  queueStore: QueueStoreConfig;
  network: NetworkConfig;
  publicApi: PublicApiConfig;
  privateApi: PrivateApiConfig;
  cdn: CdnConfig;
  /** SNS topic that receives every alarm (none: alarms only show in the console). */
  alarmTopicArn?: string;
  /** Keep tables and secrets when the stack is deleted (default true: admissions are a record). */
  retainData: boolean;
  /** Days the Lambda and API access logs are kept. */
  logRetentionDays: number;
  /**
   * Ship source maps with the Lambda code and run it with `--enable-source-maps`, so stack traces
   * name the TypeScript sources. Off by default: it slows every cold start (bench/lambda-cold.ts).
   */
  sourceMaps: boolean;
  /** CloudWatch metrics forwarded to adaptive events with a push signal (origin-signals.ts). */
  originHealth: OriginHealthConfig[];
  /** Ports (beyond 443) the scheduled function reaches for probe and Prometheus signals. */
  signalPorts: number[];
  /** Ports (beyond 443) the public function reaches for siteverify and enqueue-token keys (entry-reach.ts). */
  entryPorts: number[];
}

/** Engine version used when `queueStore.engineVersion` is not set. */
export const DEFAULT_ENGINE_VERSION = { valkey: '8.0', redis: '7.1' } as const;

export const DEFAULTS: Omit<
  DeployConfig,
  'app' | 'confidentialClients' | 'queueStore' | 'originHealth' | 'signalPorts' | 'entryPorts'
> & {
  queueStore: Omit<QueueStoreConfig, 'engineVersion' | 'durability'>;
} = {
  queueStore: {
    type: 'replication-group',
    engine: 'valkey',
    nodeType: 'cache.t4g.medium',
    port: 6380,
    snapshotRetentionDays: 1,
    replicas: 2,
  },
  admissionTokenAlgorithm: 'ES256',
  network: { natGateways: 0, maxAzs: 2 },
  publicApi: { throttleRateLimit: 3000, throttleBurstLimit: 5000 },
  privateApi: { corsOrigins: [] },
  cdn: { domainNames: [], statusCacheSeconds: 1 },
  retainData: true,
  logRetentionDays: 30,
  sourceMaps: false,
};

/** The app config used when none is given: one demo event, as `anteroom serve` does. */
export const DEFAULT_APP_CONFIG: AppConfig = {
  events: [{ id: 'demo', inlet: { type: 'periodic', incrementBy: 10, intervalSeconds: 60 } }],
};

/** Keys of the app config the stack provides itself; an operator setting them is a mistake. */
const STACK_OWNED_APP_KEYS = ['store', 'keys', 'adminKeys', 'listen'];

/** Lambda environment variables are limited to 4 KiB in total; leave room for the other variables. */
const MAX_APP_CONFIG_BYTES = 2800;

/**
 * Reads the context value: inline JSON (starts with `{`) or a path to a JSON file.
 * Undefined means "all defaults".
 */
export function loadDeployConfig(contextValue: unknown, cwd = process.cwd()): DeployConfig {
  if (contextValue === undefined || contextValue === null || contextValue === '')
    return parseDeployConfig({});
  if (typeof contextValue === 'object') return parseDeployConfig(contextValue);
  if (typeof contextValue !== 'string') {
    throw new ValidationError(CONFIG_CONTEXT_KEY, `${CONFIG_CONTEXT_KEY} must be JSON or a file path`);
  }
  const text = contextValue.trimStart().startsWith('{') ? contextValue : readConfigFile(contextValue, cwd);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      CONFIG_CONTEXT_KEY,
      `${CONFIG_CONTEXT_KEY} is not valid JSON: ${String(error)}`,
    );
  }
  return parseDeployConfig(raw);
}

function readConfigFile(path: string, cwd: string): string {
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) {
    throw new ValidationError(CONFIG_CONTEXT_KEY, `${CONFIG_CONTEXT_KEY}: no such file ${absolute}`);
  }
  return readFileSync(absolute, 'utf8');
}

/** Merges the defaults into a raw config and validates every field. */
export function parseDeployConfig(raw: unknown): DeployConfig {
  const input = asObject(raw, 'config');
  rejectUnknown(input, 'config', [
    'app',
    'admissionTokenAlgorithm',
    'queueStore',
    'network',
    'publicApi',
    'privateApi',
    'cdn',
    'alarmTopicArn',
    'retainData',
    'logRetentionDays',
    'sourceMaps',
    'originHealth',
  ]);
  const { events, ...app } = parseAppConfig(input['app'] === undefined ? DEFAULT_APP_CONFIG : input['app']);
  const network = parseNetwork(input['network']);
  return {
    ...app,
    admissionTokenAlgorithm: oneOf(
      input['admissionTokenAlgorithm'] ?? DEFAULTS.admissionTokenAlgorithm,
      'admissionTokenAlgorithm',
      KEY_ALGORITHMS,
    ),
    originHealth: parseOriginHealth(input['originHealth'], events),
    signalPorts: signalEgressPorts(events, network),
    entryPorts: entryEgressPorts(events, network),
    queueStore: parseQueueStore(input['queueStore']),
    network,
    publicApi: parsePublicApi(input['publicApi']),
    privateApi: parsePrivateApi(input['privateApi']),
    cdn: parseCdn(input['cdn']),
    ...optionalString(input, 'alarmTopicArn', 'alarmTopicArn', /^arn:aws[a-z-]*:sns:/),
    retainData: bool(input['retainData'] ?? DEFAULTS.retainData, 'retainData'),
    logRetentionDays: retentionDays(input['logRetentionDays'] ?? DEFAULTS.logRetentionDays),
    sourceMaps: bool(input['sourceMaps'] ?? DEFAULTS.sourceMaps, 'sourceMaps'),
  };
}

/** The app configuration as the Lambdas get it, and the clients the stack makes secrets for. */
function parseAppConfig(raw: unknown): {
  app: AppConfig;
  confidentialClients: string[];
  events: EventSettings[];
} {
  const input = asObject(raw, 'app');
  for (const key of STACK_OWNED_APP_KEYS) {
    if (key in input) throw new ValidationError(`app.${key}`, `app.${key} is set by the stack; remove it`);
  }
  if ('adminSigV4Keys' in input) {
    throw new ValidationError(
      'app.adminSigV4Keys',
      'app.adminSigV4Keys: on AWS, API Gateway checks SigV4 signatures with IAM; attach the stack output AdminInvokePolicyArn to the callers instead',
    );
  }
  const oidc = input['oidc'] === undefined ? undefined : asObject(input['oidc'], 'app.oidc');
  if (oidc !== undefined && 'cookieKeys' in oidc) {
    throw new ValidationError(
      'app.oidc.cookieKeys',
      'app.oidc.cookieKeys is generated by the stack; remove it',
    );
  }
  if (input['publicUrl'] !== undefined) {
    const url = input['publicUrl'];
    if (typeof url !== 'string' || !/^https:\/\/[^/]+$/.test(url)) {
      throw new ValidationError('app.publicUrl', 'app.publicUrl must be an https origin without a path');
    }
  }
  if (!Array.isArray(input['events']) || input['events'].length === 0) {
    throw new ValidationError('app.events', 'app.events must be a non-empty array');
  }
  const { clients, confidentialClients } = splitClients(oidc?.['clients']);
  const app = oidc === undefined ? { ...input } : { ...input, oidc: { ...oidc, clients } };
  const events = checkWithAppValidator(app);
  checkClientsWithAppValidator(
    clients,
    events.map((event) => event.id),
  );
  const bytes = Buffer.byteLength(JSON.stringify(app));
  if (bytes > MAX_APP_CONFIG_BYTES) {
    throw new ValidationError(
      'app',
      `app config is ${bytes} bytes; Lambda environment variables hold at most ${MAX_APP_CONFIG_BYTES} for it`,
      'config_too_large',
    );
  }
  return { app: app as AppConfig, confidentialClients, events };
}

/**
 * The Lambdas validate this configuration at cold start with the validator `anteroom serve`
 * uses; running the same validator here turns a typo into a synth error instead of a broken
 * deployment. Returns the events as the Lambdas will see them.
 */
function checkWithAppValidator(app: Record<string, unknown>): EventSettings[] {
  return withAppPrefix(() => loadConfig({ raw: app, env: {} }).events);
}

/** Clients are checked where the OIDC provider is built; with no secret they parse as public. */
function checkClientsWithAppValidator(clients: unknown[] | undefined, eventIds: string[]): void {
  withAppPrefix(() => parseOidcClients(clients, eventIds));
}

function withAppPrefix<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    const field = (error as { field?: unknown }).field;
    if (typeof field !== 'string') throw error;
    throw new ValidationError(`app.${field}`, `app: ${(error as Error).message}`);
  }
}

/**
 * Takes the deploy-only `public` flag off each client. A client without it is confidential: the
 * stack generates its secret, which must never be written in the configuration.
 */
function splitClients(raw: unknown): { clients: unknown[] | undefined; confidentialClients: string[] } {
  if (raw === undefined) return { clients: undefined, confidentialClients: [] };
  if (!Array.isArray(raw)) throw new ValidationError('app.oidc.clients', 'app.oidc.clients must be an array');
  const confidentialClients: string[] = [];
  const clients = raw.map((entry, index) => {
    const field = `app.oidc.clients[${index}]`;
    const { public: isPublic = false, ...client } = asObject(entry, field);
    if ('client_secret' in client) {
      throw new ValidationError(
        `${field}.client_secret`,
        `${field}.client_secret must not be in the configuration: the stack generates it in Secrets Manager`,
      );
    }
    if (!bool(isPublic, `${field}.public`) && typeof client['client_id'] === 'string') {
      confidentialClients.push(client['client_id']);
    }
    return client;
  });
  return { clients, confidentialClients };
}

function parseQueueStore(raw: unknown): QueueStoreConfig {
  const input = raw === undefined ? {} : asObject(raw, 'queueStore');
  rejectUnknown(input, 'queueStore', [...Object.keys(DEFAULTS.queueStore), 'engineVersion', 'durability']);
  const merged = { ...DEFAULTS.queueStore, ...input };
  const engine = oneOf(merged.engine, 'queueStore.engine', ['valkey', 'redis'] as const);
  const type = oneOf(merged.type, 'queueStore.type', ['replication-group', 'serverless'] as const);
  const durability = oneOf(
    input['durability'] ?? (type === 'serverless' ? 'none' : 'replica'),
    'queueStore.durability',
    ['none', 'replica'] as const,
  );
  if (type === 'serverless' && durability === 'replica') {
    throw new ValidationError(
      'queueStore.durability',
      'queueStore.durability "replica" needs a replication group: ElastiCache Serverless replicates across zones by itself and documents no WAIT to confirm a write on a replica; use "none" (the regression guard still applies) or type "replication-group"',
    );
  }
  return {
    type,
    engine,
    engineVersion: pattern(
      input['engineVersion'] ?? DEFAULT_ENGINE_VERSION[engine],
      'queueStore.engineVersion',
      /^\d+(\.\d+)?$/,
    ),
    nodeType: pattern(merged.nodeType, 'queueStore.nodeType', /^cache\.[a-z0-9]+\.[a-z0-9]+$/),
    port: integer(merged.port, 'queueStore.port', 1024, 65535),
    snapshotRetentionDays: integer(merged.snapshotRetentionDays, 'queueStore.snapshotRetentionDays', 0, 35),
    replicas: integer(merged.replicas, 'queueStore.replicas', 1, 5),
    durability,
  };
}

function parseNetwork(raw: unknown): NetworkConfig {
  const input = raw === undefined ? {} : asObject(raw, 'network');
  rejectUnknown(input, 'network', Object.keys(DEFAULTS.network));
  const merged = { ...DEFAULTS.network, ...input };
  return {
    natGateways: integer(merged.natGateways, 'network.natGateways', 0, 3),
    maxAzs: integer(merged.maxAzs, 'network.maxAzs', 2, 3),
  };
}

function parsePublicApi(raw: unknown): PublicApiConfig {
  const input = raw === undefined ? {} : asObject(raw, 'publicApi');
  rejectUnknown(input, 'publicApi', Object.keys(DEFAULTS.publicApi));
  const merged = { ...DEFAULTS.publicApi, ...input };
  return {
    throttleRateLimit: integer(merged.throttleRateLimit, 'publicApi.throttleRateLimit', 1, 1_000_000),
    throttleBurstLimit: integer(merged.throttleBurstLimit, 'publicApi.throttleBurstLimit', 1, 1_000_000),
  };
}

/** A browser origin: scheme, host and port only; plain http only for a panel on this machine. */
const BROWSER_ORIGIN = /^(https:\/\/[a-z0-9.-]+|http:\/\/(localhost|127\.0\.0\.1))(:\d{1,5})?$/;

function parsePrivateApi(raw: unknown): PrivateApiConfig {
  const input = raw === undefined ? {} : asObject(raw, 'privateApi');
  rejectUnknown(input, 'privateApi', Object.keys(DEFAULTS.privateApi));
  const origins = input['corsOrigins'] ?? DEFAULTS.privateApi.corsOrigins;
  if (!Array.isArray(origins)) {
    throw new ValidationError('privateApi.corsOrigins', 'privateApi.corsOrigins must be an array of origins');
  }
  return {
    corsOrigins: origins.map((origin, index) => {
      const field = `privateApi.corsOrigins[${index}]`;
      if (typeof origin !== 'string' || !BROWSER_ORIGIN.test(origin)) {
        throw new ValidationError(
          field,
          `${field} must be an origin such as https://panel.example.com (no path, no "*"; http only for localhost)`,
        );
      }
      return origin;
    }),
  };
}

function parseCdn(raw: unknown): CdnConfig {
  const input = raw === undefined ? {} : asObject(raw, 'cdn');
  rejectUnknown(input, 'cdn', ['domainNames', 'certificateArn', 'webAclArn', 'webAcl', 'statusCacheSeconds']);
  const domainNames = input['domainNames'] ?? [];
  if (!Array.isArray(domainNames) || !domainNames.every((name) => typeof name === 'string')) {
    throw new ValidationError('cdn.domainNames', 'cdn.domainNames must be an array of host names');
  }
  const certificate = optionalString(
    input,
    'certificateArn',
    'cdn.certificateArn',
    /^arn:aws[a-z-]*:acm:us-east-1:/,
  );
  if (domainNames.length > 0 && certificate.certificateArn === undefined) {
    throw new ValidationError(
      'cdn.certificateArn',
      'cdn.domainNames needs cdn.certificateArn (ACM, us-east-1)',
    );
  }
  const webAclArn = optionalString(input, 'webAclArn', 'cdn.webAclArn', /^arn:aws[a-z-]*:wafv2:us-east-1:/);
  const webAcl = input['webAcl'] === undefined ? undefined : parseWebAcl(input['webAcl']);
  if (webAcl !== undefined && webAclArn.webAclArn !== undefined) {
    throw new ValidationError(
      'cdn.webAcl',
      'cdn.webAcl creates a web ACL and cdn.webAclArn attaches one: a distribution has one, choose either',
    );
  }
  return {
    domainNames,
    ...certificate,
    ...webAclArn,
    ...(webAcl === undefined ? {} : { webAcl }),
    statusCacheSeconds: integer(
      input['statusCacheSeconds'] ?? DEFAULTS.cdn.statusCacheSeconds,
      'cdn.statusCacheSeconds',
      1,
      60,
    ),
  };
}

function parseWebAcl(raw: unknown): WebAclConfig {
  const input = asObject(raw, 'cdn.webAcl');
  rejectUnknown(input, 'cdn.webAcl', ['rateLimit', 'windowSeconds']);
  if (input['rateLimit'] === undefined) {
    throw new ValidationError(
      'cdn.webAcl.rateLimit',
      'cdn.webAcl.rateLimit is required (requests per client address and window)',
    );
  }
  const windowSeconds = integer(input['windowSeconds'] ?? 300, 'cdn.webAcl.windowSeconds', 60, 600);
  if (!(WEB_ACL_WINDOWS as readonly number[]).includes(windowSeconds)) {
    throw new ValidationError(
      'cdn.webAcl.windowSeconds',
      `cdn.webAcl.windowSeconds must be one of ${WEB_ACL_WINDOWS.join(', ')} (what AWS WAF accepts)`,
    );
  }
  return { rateLimit: integer(input['rateLimit'], 'cdn.webAcl.rateLimit', 10, 2_000_000_000), windowSeconds };
}

/** The shared field rules (`queue-core/fields.ts`), failing with a `ValidationError`. */
const rules = fieldRules((field, message) => new ValidationError(field, message));
const { integer, oneOf } = rules;
const asObject = rules.object;
const bool = rules.boolean;

/** `npm run synth` has always said "unknown key <field>" (scripts match it): kept, on the shared rule's failure. */
function rejectUnknown(input: Record<string, unknown>, field: string, known: string[]): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw rules.fail(`${field}.${key}`, `unknown key ${field}.${key}`);
  }
}

/** The only retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function retentionDays(value: unknown): number {
  if (typeof value !== 'number' || !LOG_RETENTION_DAYS.includes(value)) {
    throw new ValidationError(
      'logRetentionDays',
      `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  return value;
}

function pattern(value: unknown, field: string, shape: RegExp): string {
  return rules.matches(value, field, shape);
}

function optionalString<K extends string>(
  input: Record<string, unknown>,
  key: K,
  field: string,
  shape: RegExp,
): { [P in K]?: string } {
  const value = input[key];
  if (value === undefined) return {};
  return { [key]: pattern(value, field, shape) } as { [P in K]?: string };
}
