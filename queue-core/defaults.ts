/**
 * Every default of Anteroom once, beside what it means: the configuration keys of
 * `anteroom serve` and the Lambda handlers, the event settings, and the timings of the room,
 * the store and the HTTP surfaces. The code that uses a default reads it from here (no default
 * is written as a literal where it is used); `test/docs/configuration-defaults.test.ts` checks
 * the defaults docs/configuration.md states against `CONFIG_DEFAULTS` and `EVENT_DEFAULTS`.
 * Data only, so every layer (queue-core, provider, infra) may read it. The deployment's own
 * options (node types, throttling…) have theirs in `infra/lib/config.ts`, documented in
 * docs/deploy-aws.md.
 */
import type { EventSettings } from './types.ts';

/** The defaults of `limits.*` (per-client budgets, proxies). */
export const LIMIT_DEFAULTS = deepFreeze({
  /** Per-client enqueue budget per minute; 0 turns the limit off. */
  enqueuePerClientPerMinute: 60,
  /** Trust `X-Forwarded-*` headers (env `TRUST_PROXY`: true, false or a hop count). */
  trustProxy: false,
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
} as const);

/** The defaults of the configuration keys (docs/configuration.md, "Keys"), by key path. */
export const CONFIG_DEFAULTS = deepFreeze({
  listen: {
    /** Public listener port (`listen.port`, env `PORT`). */
    port: 8080,
    /** Public listener address (`listen.host`, env `HOST`). */
    host: '0.0.0.0',
    /** Private admin listener port (`listen.adminPort`, env `ADMIN_PORT`). */
    adminPort: 8081,
    /** Admin listener address (`listen.adminHost`, env `ADMIN_HOST`): loopback only by default. */
    adminHost: '127.0.0.1',
  },
  /** Development default: one process, state lost on restart (`store`, env `REDIS_URL`). */
  store: { type: 'memory' },
  /** Development default: signing keys generated into this file on first start (`keys`, env `ANTEROOM_KEYS_FILE`). */
  keys: { type: 'file', path: '.anteroom/keys.json' },
  limits: LIMIT_DEFAULTS,
  /** pino level (`log.level`, env `LOG_LEVEL`). */
  log: { level: 'info' },
  pages: {
    /**
     * The waiting pages' languages (`pages.language`): every shipped one, the first the fallback
     * when a visitor's `Accept-Language` names none of them.
     */
    language: ['en', 'fr', 'de', 'es'],
    /**
     * How often a waiting page reloads itself in a browser without JavaScript
     * (`pages.refreshSeconds`; sooner when a turn's warning or end falls before the next reload).
     */
    refreshSeconds: 20,
  },
} as const);

/** The configuration file looked for in the working directory when neither `--config` nor `$ANTEROOM_CONFIG` is given. */
export const CONFIG_FILE = 'anteroom.config.json';

/** The defaults of the per-event settings (docs/configuration.md, "Event settings"). */
export const EVENT_DEFAULTS = deepFreeze({
  /** Visitors queue; `passthrough` admits at once, `closed` refuses new entries. */
  mode: 'queue' as EventSettings['mode'],
  /** An event configured without an inlet only moves when an operator moves it. */
  inlet: { type: 'manual' } as EventSettings['inlet'],
  /** Admission tokens live one hour (the AWS solution's `ValidityPeriod`). */
  tokenValiditySeconds: 3600,
  /** A reached position has 15 minutes to claim its token (the AWS solution's default). */
  queuePositionExpirySeconds: 900 as number | null,
  /** Expired positions do not advance the serving counter unless asked. */
  incrementServingOnExpiry: false,
  /** A pre-queue is given its positions in arrival order unless `shuffle` is asked. */
  draw: 'fifo' as 'fifo' | 'shuffle',
  /** Every visitor counts as present (absent visitors, API.md section 6) unless a window is set. */
  abandonAfterSeconds: null as number | null,
});

/** The defaults of an adaptive inlet's settings (`inlet: {"type": "adaptive", …}`, API.md section 7). */
export const ADAPTIVE_INLET_DEFAULTS = deepFreeze({
  /** The controller steps every 10 s; between steps the inlet admits at its rate, second by second. */
  intervalSeconds: 10,
});

/**
 * The development default when no event is configured: `demo`, with a periodic inlet
 * admitting 5 every 10 seconds so a freshly started server visibly moves.
 */
export const DEFAULT_EVENT: EventSettings = deepFreeze({
  id: 'demo',
  mode: 'queue',
  inlet: { type: 'periodic', incrementBy: 5, intervalSeconds: 10 },
  tokenValiditySeconds: EVENT_DEFAULTS.tokenValiditySeconds,
  queuePositionExpirySeconds: EVENT_DEFAULTS.queuePositionExpirySeconds,
  incrementServingOnExpiry: EVENT_DEFAULTS.incrementServingOnExpiry,
});

/**
 * The demo's simulated crowd (`demoCrowd`, development only; provider/server/demo-crowd.ts): a few
 * hundred visitors over the first minutes, most of them early, against the demo event's 5 every
 * 10 s, so a newcomer joins behind people; a tenth never come back when their turn comes.
 */
export const DEMO_CROWD = deepFreeze({
  visitors: 300,
  arrivalSeconds: 180,
  noShowShare: 0.1,
  claimDelaySeconds: [2, 10] as readonly [number, number],
  stepMs: 1000,
});

/** Bounds of the entry settings (API.md section 6: bots and identities). */
export const ENTRY_LIMITS = deepFreeze({
  /** `challenge.difficulty` of a proof of work, in bits (2^bits hashes on average). */
  powDifficulty: { min: 8, max: 24 },
  /** Keys of an inline `enqueueToken.jwks`. */
  jwksKeys: 20,
});

/** Timings of the entry challenge and enqueue tokens. */
export const ENTRY_DEFAULTS = deepFreeze({
  /**
   * How long a proof-of-work prefix may be answered (seconds): long enough for difficulty 24 on a
   * slow phone (docs/bots-and-identities.md). A spent prefix is remembered this long.
   */
  powTtlSeconds: 300,
  /** The siteverify call and a JWKS download give up after this long (ms): the visitor gets 503. */
  verifyTimeoutMs: 5000,
  /** A site's JWKS (`enqueueToken.jwksUrl`) is fetched again at most this often (ms). */
  jwksCooldownMs: 30_000,
  /** ... and kept at most this long before it is fetched again (ms). */
  jwksMaxAgeMs: 600_000,
  /** The siteverify URL of each provider (`challenge.url` overrides it). */
  siteverifyUrls: {
    turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    hcaptcha: 'https://api.hcaptcha.com/siteverify',
    recaptcha: 'https://www.google.com/recaptcha/api/siteverify',
  },
});

/** The room's per-process caches and loops (`createRoom` options). */
export const ROOM_DEFAULTS = deepFreeze({
  /**
   * How long a process reuses its snapshot of an event (serving counter, waiting count, history,
   * read in one go) for polls (API: "≤ 1 s stale"); a change the process makes drops it at once.
   */
  microCacheMs: 1000,
  /** Live event settings (admin overrides) are re-read at most this often per process. */
  settingsCacheMs: 1000,
  /** How often each process reads an event its status streams follow (once for all of them). */
  watchMs: 1000,
  /**
   * A stream of a visitor in their claim window re-sends their status at least this often
   * (seconds), so the page's countdown and its last-minute warning follow the server's clock.
   */
  claimResyncSeconds: 10,
  /** Serving-counter history rows fed to the wait estimate. */
  historyLimit: 50,
  /** Wait-estimate samples kept per event (the newest admissions'): what `eta_accuracy` summarises. */
  etaSamplesKept: 1000,
  /** Lease of the expiry step: renewed every tick by its holder, taken over within seconds if it dies. */
  expiryLeaseMs: 5000,
  /** Lease of a max-size event's steering: one process admits into the free places at a time. */
  maxSizeLeaseMs: 15_000,
  /** The inlet loop's period (`anteroom serve`): one tick per second per process; one process acts per tick. */
  tickMs: 1000,
});

/** Absent visitors (API.md section 6, `abandonAfterSeconds`): how presence is kept cheaply. */
export const PRESENCE_DEFAULTS = deepFreeze({
  /** Shortest window: a page polling every few seconds must not look absent between two polls. */
  minAbandonAfterSeconds: 10,
  /** Longest window: one day. */
  maxAbandonAfterSeconds: 86_400,
  /**
   * A visitor seen again and again is written to the store this many times per window at most,
   * per process (a poll in between costs no store write); open streams are refreshed as often,
   * in one call for all of a process's streams of the event.
   */
  touchesPerWindow: 4,
  /** Positions one store call looks at (an inlet's walk, a sweep of stale presence): rule 6. */
  workPerCall: 1000,
  /** Most positions written in one presence call (a batch of polls and streams). */
  touchBatch: 1000,
  /** Lease of the presence sweep: one process counts and forgets stale presence per tick. */
  sweepLeaseMs: 5000,
});

/** The pre-queue's draw (API.md section 6): how its work is cut so Redis is never held for long. */
export const DRAW_DEFAULTS = deepFreeze({
  /** Participants whose drawn rank one store call writes (two SETRANGEs of 40 KB: well under a millisecond). */
  sliceSize: 10_000,
  /** Lease of the draw: one process draws at a time, renewed every slice, taken over if it dies. */
  leaseMs: 15_000,
  /** Most participants one page of `GET /events/{id}/draw/participants` holds (and its default). */
  pageLimit: 10_000,
});

/** Seconds a client is told to wait (`Retry-After`). */
export const RETRY_AFTER_SECONDS = deepFreeze({
  /** A 503 while the store is unreachable. */
  storeUnavailable: 2,
  /** A 503 when no place could be taken (the OIDC interaction gave up). */
  placeUnavailable: 2,
  /** A 202 "not your turn yet" of `generate_token`. */
  notYet: 1,
  /** A 503 when the siteverify call or the site's JWKS could not be reached. */
  entryCheckUnavailable: 2,
});

/** Retry-After (seconds) of a refused status stream: a slot frees when another stream closes. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/** The Redis store's connection (`RedisStoreOptions`). */
export const REDIS_DEFAULTS = deepFreeze({
  /** Prefix of every key. */
  keyPrefix: 'ar:',
  /** Give up a connection attempt after this long. */
  connectTimeoutMs: 2000,
  /** Reject a command that got no answer after this long. */
  commandTimeoutMs: 5000,
  /**
   * When a write counts as acknowledged (`store.durability`, env `REDIS_DURABILITY`): `none`,
   * once the primary applied it; `replica`, once `WAIT 1` confirms a replica holds it; `aof`,
   * once `WAITAOF 1 0` confirms the primary's append-only file holds it (API.md section 5).
   */
  durability: 'none',
  /** The longest a write waits for that confirmation (`store.waitTimeoutMs`), then 503. */
  waitTimeoutMs: 200,
  /** The Sentinel master group (`store.name`, env `REDIS_SENTINEL_NAME`). */
  name: 'mymaster',
});

/** How long an admin write's `Idempotency-Key` answers its first result again (API.md section 5). */
export const IDEMPOTENCY_KEY_SECONDS = 24 * 60 * 60;

/** Bodies larger than this answer 413 (API.md common rules). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** SSE heartbeat comment interval: below the common 30–60 s proxy idle timeouts. */
export const SSE_HEARTBEAT_MS = 15_000;

/** How long `anteroom serve` waits for in-flight requests at shutdown before cutting connections. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * How often every process re-reads its signing keys (`anteroom serve` on a timer, a warm Lambda
 * on its first invocation after it): a rotation made elsewhere reaches every JWKS within this.
 */
export const KEY_RELOAD_SECONDS = 60;

/** Algorithm of admission tokens (`keys.algorithm`); OIDC ID tokens are always RS256. */
export const DEFAULT_KEY_ALGORITHM = 'ES256';

/** Longest wait inside one OIDC authorization request; the queue place outlives it. */
export const OIDC_INTERACTION_TTL_SECONDS = 3 * 3600;

/**
 * An interaction nobody has visited yet (an authorization request whose browser never came to
 * the waiting page) is forgotten after this long; the first visit gives it the whole wait
 * (`interactionTtlSeconds`, 3 h). A flood of authorization requests then holds little for long.
 */
export const UNVISITED_INTERACTION_TTL_SECONDS = 600;

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
  /** The site's enqueue token (a JWT; `queue-core/entry/enqueue-token.ts` accepts 4096 at most). */
  enqueue_token: 4096,
  /** Any other parameter. */
  other: 512,
} as const;

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}
