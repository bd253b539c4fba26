/**
 * Every configuration option of `anteroom serve` (and of the Lambda handlers) once, beside its
 * default. `server-config.ts` validates a file and the environment against these; `docs/configuration.md`
 * is the reference for operators. Values marked "development default" print a one-time notice.
 */

export const DEFAULTS = {
  /** Public listener port (`listen.port`, env `PORT`). */
  port: 8080,
  /** Public listener address (`listen.host`, env `HOST`). */
  host: '0.0.0.0',
  /** Private admin listener port (`listen.adminPort`, env `ADMIN_PORT`). */
  adminPort: 8081,
  /** Admin listener address (`listen.adminHost`, env `ADMIN_HOST`): loopback only by default. */
  adminHost: '127.0.0.1',
  /** Development default: signing keys generated into this file on first start (`keys`, env `ANTEROOM_KEYS_FILE`). */
  keysFile: '.anteroom/keys.json',
  /** Per-client enqueue budget per minute (`limits.enqueuePerClientPerMinute`); 0 turns the limit off. */
  enqueuePerClientPerMinute: 60,
  /**
   * Failed admin authentications (bearer or SigV4) one client address may make per minute
   * (`limits.adminFailuresPerClientPerMinute`); beyond, 429 with `Retry-After`. 0 turns it off.
   */
  adminFailuresPerClientPerMinute: 10,
  /**
   * Per-client budget per minute of the OIDC requests that make the provider store state
   * (`limits.authorizePerClientPerMinute`): authorization requests (`/oidc/auth`, an interaction
   * each) and logout pages (`/oidc/session/end`, a session each). 0 turns the limit off.
   */
  authorizePerClientPerMinute: 60,
  /** Connections each listener holds at once (`limits.maxConnections`); more are closed on arrival. */
  maxConnections: 10_000,
  /**
   * Connections one client address holds at once (`limits.connectionsPerClient`, an IPv6 client
   * by its /64); more are closed on arrival. Not applied behind a trusted proxy, whose
   * connections carry many clients. 0 turns it off.
   */
  connectionsPerClient: 256,
  /** Longest request head, request line and headers together (`limits.headerBytes`): 431 beyond. */
  headerBytes: 16_384,
  /** Time to receive a request's headers (`limits.headersTimeoutSeconds`): 408 and closed after it. */
  headersTimeoutSeconds: 10,
  /** Time to receive a whole request, body included (`limits.requestTimeoutSeconds`). */
  requestTimeoutSeconds: 30,
  /**
   * How long an idle keep-alive connection stays open (`limits.keepAliveTimeoutSeconds`): longer
   * than common load balancers' idle timeout (ALB: 60 s), so they close first.
   */
  keepAliveTimeoutSeconds: 65,
  /** Status streams open at once on one request id, per process (`limits.streamsPerRequestId`): 429 beyond. */
  streamsPerRequestId: 4,
  /** Status streams one client address holds open at once, per process (`limits.streamsPerClient`): 429 beyond. */
  streamsPerClient: 64,
  /** A status stream is ended after this long (`limits.streamMaxSeconds`); EventSource reconnects. */
  streamMaxSeconds: 1800,
  /** Trust `X-Forwarded-*` headers (`limits.trustProxy`, env `TRUST_PROXY`: true, false or a hop count). */
  trustProxy: false,
  /** pino level (`log.level`, env `LOG_LEVEL`). */
  logLevel: 'info',
  /** The configuration file looked for in the working directory when neither `--config` nor `$ANTEROOM_CONFIG` is given. */
  configFile: 'anteroom.config.json',
} as const;

/** Bodies larger than this answer 413 (API.md common rules). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Longest authorization parameters (characters), checked before the provider stores them in
 * the interaction: `state` and `redirect_uri` may carry a URL, `id_token_hint` is a JWT, the
 * rest are short by nature. Longer answers 400 `invalid_request` and stores nothing.
 */
export const AUTHORIZE_PARAMETER_LIMITS = {
  /** The whole query string. */
  query: 6144,
  state: 2048,
  redirect_uri: 2048,
  post_logout_redirect_uri: 2048,
  id_token_hint: 4096,
  claims: 2048,
  /** Any other parameter. */
  other: 512,
} as const;

/**
 * An interaction nobody has visited yet (an authorization request whose browser never came to
 * the waiting page) is forgotten after this long; the first visit gives it the whole wait
 * (`interactionTtlSeconds`, 3 h). A flood of authorization requests then holds little for long.
 */
export const UNVISITED_INTERACTION_TTL_SECONDS = 600;

/** How long a process reuses a serving counter / waiting count it read (API: "≤ 1 s stale"). */
export const MICRO_CACHE_MS = 1000;

/** Live event settings (admin overrides) are re-read at most this often per process. */
export const EVENT_SETTINGS_CACHE_MS = 1000;

/** Retry-After (seconds) of a refused status stream: a slot frees when another stream closes. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/** SSE heartbeat comment interval: below the common 30–60 s proxy idle timeouts. */
export const SSE_HEARTBEAT_MS = 15_000;

/** How often each process checks the serving counter of events with live SSE subscribers. */
export const SSE_POLL_MS = 1000;

/** The inlet loop's period: one tick per second per process; one process acts per tick. */
export const INLET_TICK_MS = 1000;

/** Retry-After (seconds) sent with a 503 when the store is unreachable. */
export const STORE_RETRY_AFTER_SECONDS = 2;

/** The built-in relying party (`sampleSite`, on by default only with no events and no clients). */
export const SAMPLE_SITE = {
  /** Its client id at the provider. */
  clientId: 'sample-site',
  /** Where the public app serves it (under any base path). */
  path: '/sample-site',
} as const;

/** Notices printed once at start when a development-only default is in force. */
export const NOTICES = {
  memoryStore: 'in-memory store: state is lost on restart (set REDIS_URL for a durable, shared store)',
  generatedAdminKey: 'generated admin key: set ANTEROOM_ADMIN_KEY (or adminKeys) to keep a stable one',
  demoEvent: 'no events configured: serving the demo event "demo" with a periodic inlet',
  sampleSite:
    'sample relying party at /sample-site/ (client "sample-site", secret generated per run): set sampleSite false to turn it off',
  keysFile:
    'signing keys are kept in a local file: use Secrets Manager (keys.type "secrets-manager") in production',
} as const;
