/**
 * The OpenID Connect provider of the public app, in one call:
 *
 *   const oidc = await createOidcMiddleware(deps);
 *   app.use(oidc.middleware);        // before any body parser: the provider reads its own bodies
 *   …
 *   await oidc.close();              // on shutdown (closes the Redis connection it opened)
 *
 * Issuer `<publicUrl>/oidc`, mounted at `/oidc` of the app. Clients come from
 * `config.oidc.clients` (validated here: a bad client fails start-up naming the client and the
 * field), cookie keys from `config.oidc.cookieKeys` (derived from the RS256 keys when unset),
 * signing keys from the key ring (RS256 first; a rotation reaches the provider without a
 * restart), provider state in the same kind of store as the
 * queue (memory, or Redis at `config.store.url`) unless an adapter is passed (DynamoDB:
 * `dynamoAdapter(new DynamoDb(), { tableName })`, with the functions' own DynamoDB client from
 * `provider/lambda/dynamodb.ts`, not the SDK's).
 */
import type { IncomingMessage } from 'node:http';
import type { Cluster, Redis } from 'ioredis';
import type Koa from 'koa';
import type { Provider } from 'oidc-provider';
import { OIDC_INTERACTION_TTL_SECONDS } from '../../queue-core/defaults.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import { OIDC_ALGORITHM } from '../../queue-core/signing-keys/document.ts';
import { connectIoredis } from '../../queue-core/store/redis-connection.ts';
import type { AppDeps } from '../apps/deps.ts';
import { publicUrlPath, requestBasePath } from '../pages/base-path.ts';
import { pageTextOf } from '../pages/headers.ts';
import { sendProblemPage } from '../pages/waiting/problem.ts';
import { memoryAdapter } from './adapters/memory.ts';
import { redisAdapter } from './adapters/redis.ts';
import type { AdapterFactory } from './adapters/types.ts';
import { OIDC_CLIENT_ERROR, parseOidcClients } from './clients.ts';
import { resolveCookieKeys } from './cookie-keys.ts';
import {
  type CollectedPage,
  collectedView,
  type InteractionDeps,
  interactionHandler,
  parkedPageHandler,
} from './interaction.ts';
import { mountProvider } from './mount.ts';
import { isOidcPath, OIDC_MOUNT_PATH } from './on-demand.ts';
import { parking, seeOtherHeaders } from './park.ts';
import { PARKED_TOKEN, parkedRequestSealer } from './parked-request.ts';
import { createOidcProvider, renderError } from './provider.ts';
import { checkProviderState, type GuardOutcome, stateGuard } from './state-guard.ts';
import { userinfoHandler } from './userinfo.ts';
import { Visits } from './visits.ts';
import { WaitingRoom } from './waiting.ts';

export { dynamoAdapter, OIDC_TABLE_SCHEMA, oidcTableDefinition } from './adapters/dynamodb.ts';
export { memoryAdapter } from './adapters/memory.ts';
export { redisAdapter } from './adapters/redis.ts';
export type { AdapterFactory } from './adapters/types.ts';
export { type OidcClientConfig, parseOidcClients } from './clients.ts';

export { OIDC_MOUNT_PATH } from './on-demand.ts';

export interface OidcOptions {
  /** Provider state store; default: memory, or Redis when the queue store is Redis. */
  adapter?: AdapterFactory;
  /** Longest wait inside one authorization request (default 3 h); the queue place outlives it. */
  interactionTtlSeconds?: number;
  /** Epoch-seconds clock of admission windows (tests). */
  now?: () => number;
}

/**
 * `GET /oidc/auth` without Koa, for `anteroom serve`'s fast path (`server/hot-path.ts`): the
 * same checks and the same parking as the middleware (`checkProviderState`, `Parking.enter`).
 * The parked answer, or null when the middleware must answer the request (an error page, a
 * refusal, a request for the provider, keys that changed): what was found on the way (the budget
 * taken, the decision to leave it to the provider) is kept for the middleware, never done twice.
 * `query`: the query string without `?`; `client`: the client's address as the app resolves it.
 */
export type OidcEntry = (
  req: IncomingMessage,
  query: string,
  client: string,
) => Promise<CollectedPage | null>;

/**
 * `GET /oidc/interaction/<parked request>` without Koa, for the same fast path: the waiting page
 * of a parked request, through the same opening and the same view as the middleware
 * (`parkedPageHandler`); null when the middleware must answer it (a refused token, a failure, new
 * keys). `token`: the path segment after `/interaction/`.
 */
export type OidcPage = (req: IncomingMessage, token: string, client: string) => Promise<CollectedPage | null>;

/** What the fast path found about a request it left to the middleware. */
interface LeftToKoa {
  checked: GuardOutcome;
  /** Parking said the provider answers it. */
  toProvider: boolean;
}
const leftByFastPath = new WeakMap<IncomingMessage, LeftToKoa>();

export interface OidcMiddleware {
  /** Answers everything under `/oidc`; passes other paths on. */
  middleware: Koa.Middleware;
  /** `GET /oidc/auth` for the fast path. */
  entry: OidcEntry;
  /** `GET /oidc/interaction/<parked request>` for the fast path. */
  page: OidcPage;
  /** The oidc-provider instance now answering (events, `urlFor`, tests). */
  readonly provider: Provider;
  issuer: string;
  /** The cookie keys in use (give the same list to every instance). */
  readonly cookieKeys: string[];
  close(): Promise<void>;
}

export async function createOidcMiddleware(
  deps: AppDeps,
  options: OidcOptions = {},
): Promise<OidcMiddleware> {
  const { config } = deps;
  const issuer = `${config.publicUrl.replace(/\/$/, '')}${OIDC_MOUNT_PATH}`;
  const issuerPath = new URL(issuer).pathname;
  const clients = parseOidcClients(
    config.oidc.clients,
    config.events.map((event) => event.id),
  );
  currentCookieKeys(deps); // a bad `oidc.cookieKeys` fails here, before any connection opens

  // Everything above needs no connection. From here on a failure must close what was opened:
  // a container retrying a failed build would otherwise leak one connection per attempt.
  let redis: Redis | Cluster | undefined;
  let adapter = options.adapter;
  if (adapter === undefined && config.store.type === 'redis') {
    // The queue store's connection settings and policy (cluster, fail fast): one factory.
    const client = await connectIoredis(config.store, { commandTimeout: true });
    redis = client;
    logOutagesOnce(client, deps.logger);
    adapter = redisAdapter(client, {
      durability: config.store.durability,
      waitTimeoutMs: config.store.waitTimeoutMs,
    });
  }
  const close = async () => {
    redis?.disconnect();
  };
  const shared: Shared = { issuer, issuerPath, clients, adapter: adapter ?? memoryAdapter() };
  let current: Generation;
  try {
    current = await buildGeneration(deps, options, shared);
  } catch (error) {
    await close();
    throw error;
  }

  // oidc-provider takes its keys when it is built, so a change of the ring's OIDC keys (a
  // reload found a rotated key, or a rotated key started signing) builds a new provider over
  // the same adapter: every piece of provider state lives there, so sessions, interactions and
  // codes carry over. The first OIDC request after the change waits for the build; requests
  // already running finish on the previous provider.
  let rebuilding: Promise<void> | null = null;
  let failedVersion: string | null = null;
  const rebuild = async () => {
    const version = deps.keys.oidcKeysVersion();
    try {
      current = await buildGeneration(deps, options, shared);
      deps.logger.info(
        { oidc_signing_kid: current.signingKid },
        'oidc provider rebuilt with the current keys',
      );
    } catch (error) {
      failedVersion = version;
      deps.logger.error(
        { err: error },
        'could not rebuild the oidc provider with new keys; keeping the current ones',
      );
    }
  };
  /** New keys the current provider does not use yet (and did not fail to build with). */
  const keysChanged = () => {
    const version = deps.keys.oidcKeysVersion();
    return version !== current.version && version !== failedVersion;
  };
  const middleware: Koa.Middleware = async (ctx, next) => {
    if (!isOidcPath(ctx.path)) return next();
    if (keysChanged()) {
      rebuilding ??= rebuild().finally(() => {
        rebuilding = null;
      });
      await rebuilding;
    }
    return current.middleware(ctx, next);
  };

  // New keys: the middleware builds the provider that uses them first.
  const entry: OidcEntry = async (req, query, client) =>
    keysChanged() ? null : current.entry(req, query, client);
  const page: OidcPage = async (req, token, client) =>
    keysChanged() ? null : current.page(req, token, client);

  return {
    middleware,
    entry,
    page,
    get provider() {
      return current.provider;
    },
    issuer,
    get cookieKeys() {
      return current.cookieKeys;
    },
    close,
  };
}

/**
 * ioredis reports every failed reconnection attempt (about one a second for as long as Redis
 * is down): log the first of an outage and the recovery, not each attempt.
 */
function logOutagesOnce(redis: Redis | Cluster, logger: AppDeps['logger']): void {
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, 'oidc redis connection error (retrying; logged once per outage)');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('oidc redis connection restored');
  });
}

/** What every provider generation shares. */
interface Shared {
  issuer: string;
  issuerPath: string;
  clients: ReturnType<typeof parseOidcClients>;
  adapter: AdapterFactory;
}

/** One provider built from the keys of one moment. */
interface Generation {
  /** `KeyRing.oidcKeysVersion()` of those keys. */
  version: string;
  signingKid: string | undefined;
  provider: Provider;
  middleware: Koa.Middleware;
  entry: OidcEntry;
  page: OidcPage;
  cookieKeys: string[];
}

/** The cookie keys of the ring's current OIDC keys (or the configured ones). */
function currentCookieKeys(deps: AppDeps, jwks = deps.keys.oidcJwks()) {
  const oldest = deps.keys
    .summary()
    .filter((key) => key.alg === OIDC_ALGORITHM)
    .at(-1);
  return resolveCookieKeys(deps.config.oidc.cookieKeys, jwks, oldest?.kid);
}

/** The provider and its routes over an adapter that is already open, with the current keys. */
async function buildGeneration(deps: AppDeps, options: OidcOptions, shared: Shared): Promise<Generation> {
  const { config } = deps;
  const { issuer, issuerPath, clients, adapter } = shared;
  const version = deps.keys.oidcKeysVersion();
  const jwks = deps.keys.oidcJwks();
  const cookieKeys = currentCookieKeys(deps, jwks);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const waitingRoom = new WaitingRoom({ room: deps.room, visits: new Visits(adapter), now });
  const interactionTtlSeconds = options.interactionTtlSeconds ?? OIDC_INTERACTION_TTL_SECONDS;
  const oidc = createOidcProvider({
    issuer,
    clients,
    cookieKeys,
    jwks,
    adapter,
    waitingRoom,
    interactionTtlSeconds,
    pagesBasePath: publicUrlPath(config.publicUrl),
    visitorCookies: deps.visitorCookies,
  });
  const { provider } = oidc;
  await checkClientsAccepted(provider, clients);
  // OAuth errors are answers, not incidents: only server errors are logged.
  provider.on('server_error', (_ctx: unknown, error: Error) => {
    deps.logger.error({ err: error }, 'oidc provider error');
  });

  const park = parking({
    registry: oidc.registry,
    waitingRoom,
    sealer: parkedRequestSealer(cookieKeys.keys, interactionTtlSeconds),
    accountOfVisitor: oidc.accountOfVisitor,
    visitorCookies: deps.visitorCookies,
    cookieKeys: cookieKeys.keys,
    sessionCookie: provider.cookieName('session'),
    config,
    issuerPath,
    issuer,
    now,
  });
  const interactionDeps: InteractionDeps = {
    provider,
    registry: oidc.registry,
    waitingRoom,
    accountOfVisitor: oidc.accountOfVisitor,
    visitorCookies: deps.visitorCookies,
    config,
    logger: deps.logger,
    issuerPath,
    enqueueLimiter: deps.enqueueLimiter,
    interactionTtlSeconds,
    parking: park,
    issuer,
  };
  const interaction = interactionHandler(interactionDeps);
  const parkedPage = parkedPageHandler(interactionDeps);
  const publicBasePath = publicUrlPath(config.publicUrl);
  const page: OidcPage = async (req, token, client) => {
    const header = (name: string) => {
      const value = req.headers[name.toLowerCase()];
      return typeof value === 'string' ? value : '';
    };
    const view = collectedView({
      cookies: req.headers.cookie,
      ip: client,
      acceptLanguage: header('Accept-Language'),
    });
    const basePath = requestBasePath(
      { req, app: { proxy: config.limits.trustProxy }, get: header },
      publicBasePath,
    );
    return (await parkedPage(view, token, basePath)) ? view.answer : null;
  };
  // The raw adapter: an outage stays a StoreUnavailableError, which userinfo answers with 503.
  const grants = adapter('Grant');
  const userinfo = userinfoHandler({
    issuer,
    jwks,
    registry: oidc.registry,
    waitingRoom,
    grantExists: async (grantId) => (await grants.find(grantId)) !== undefined,
  });
  const guard = stateGuard({ budget: deps.authorizeBudget, config, issuerPath });
  const entry: OidcEntry = async (req, query, client) => {
    const checked = await checkProviderState(deps.authorizeBudget, query, client);
    if (checked.kind !== 'pass') {
      leftByFastPath.set(req, { checked, toProvider: false });
      return null;
    }
    const parked = await park.enter({ method: 'GET', querystring: query, cookies: req.headers.cookie });
    if (parked === null) {
      leftByFastPath.set(req, { checked, toProvider: true });
      return null;
    }
    const cookie: Array<[string, string]> =
      parked.setCookie === null ? [] : [['Set-Cookie', parked.setCookie]];
    return { status: 303, headers: [...cookie, ...seeOtherHeaders(parked.location)], body: '' };
  };
  const middleware = mountProvider(provider, {
    mountPath: OIDC_MOUNT_PATH,
    issuerPath,
    publicUrl: new URL(config.publicUrl),
    before: async (ctx, rest) => {
      const left = rest === '/auth' ? leftByFastPath.get(ctx.req) : undefined;
      if (await guard(ctx, rest, left?.checked)) return true;
      if (rest === '/me') {
        await userinfo(ctx, async () => {});
        return true;
      }
      if (rest === '/auth') return left?.toProvider ? false : (await park.authorize(ctx)).kind === 'answered';
      const resume = /^\/auth\/([^/]+)$/.exec(rest)?.[1];
      if (resume !== undefined && PARKED_TOKEN.test(resume)) {
        const basePath = requestBasePath(ctx, publicUrlPath(config.publicUrl));
        let routed: Awaited<ReturnType<typeof park.resume>>;
        try {
          routed = await park.resume(ctx, resume, async (problem) => {
            ctx.status = 400;
            await renderError(ctx, problem, basePath);
          });
        } catch (error) {
          // The admission could not be read (a store outage): the retry page, never a 500.
          const retryHref = `${issuerPath}${rest}`;
          if (sendProblemPage(ctx, error, { text: pageTextOf(ctx, config.pages), retryHref, basePath }))
            deps.logger.error({ err: error }, 'parked sign-in could not resume');
          return true;
        }
        return routed.kind === 'answered' ? true : { url: routed.url ?? `${rest}?${ctx.querystring}` };
      }
      return interaction(ctx, rest);
    },
  });

  return {
    version,
    signingKid: jwks[0]?.kid,
    provider,
    middleware,
    entry,
    page,
    cookieKeys: cookieKeys.keys,
  };
}

/**
 * oidc-provider validates a static client's metadata on its first use; do it now, so a client
 * it refuses fails start-up (naming the client) rather than a visitor's sign-in.
 */
async function checkClientsAccepted(provider: Provider, clients: Shared['clients']): Promise<void> {
  for (const [index, client] of clients.entries()) {
    try {
      await provider.Client.find(client.clientId);
    } catch (error) {
      const reason = (error as { error_description?: string }).error_description ?? (error as Error).message;
      const path = `oidc.clients[${index}]`;
      throw new ValidationError(
        path,
        `${path} ("${client.clientId}") is refused by the OIDC provider: ${reason}`,
        OIDC_CLIENT_ERROR,
      );
    }
  }
}

/** `app.use(createOidcMiddleware(deps).middleware)`, for callers that hold the app. */
export async function mountOidc(app: Koa, deps: AppDeps, options: OidcOptions = {}): Promise<OidcMiddleware> {
  const oidc = await createOidcMiddleware(deps, options);
  app.use(oidc.middleware);
  return oidc;
}
