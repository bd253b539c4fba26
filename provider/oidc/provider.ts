/**
 * The oidc-provider instance, configured for production: authorization code flow only, PKCE
 * S256 (required for public clients), exact redirect URIs, single-use codes living 60 s,
 * RS256 ID tokens with `kid`, JWT access tokens (audience per client, lifetime bounded by the
 * admission window), refresh tokens per client and refused once the window has ended,
 * introspection, revocation, RP-initiated logout, no development interactions, no consent
 * screen. The authorization step is the waiting room (`policy.ts`, `interaction.ts`).
 */
import type { JWK } from 'jose';
import type Koa from 'koa';
import type { ClientMetadata, Configuration, KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { errors, Provider } from 'oidc-provider';
import {
  OIDC_INTERACTION_TTL_SECONDS,
  UNVISITED_INTERACTION_TTL_SECONDS,
} from '../../queue-core/defaults.ts';
import type { VisitorCookieSigner } from '../http/visitor-cookie.ts';
import { requestBasePath } from '../pages/base-path.ts';
import { html, page, SafeHtml } from '../pages/html.ts';
import type { AdapterFactory } from './adapters/types.ts';
import { type OidcClientConfig, providerClientMetadata } from './clients.ts';
import type { CookieKeys } from './cookie-keys.ts';
import { accountIdOf, readVisitorId } from './identity.ts';
import { guardAdapter, guarded } from './outage.ts';
import { loginAdmittedVisitor } from './park.ts';
import { WAITING_ROOM_PROMPT, waitingRoomPolicy } from './policy.ts';
import { ClientRegistry } from './registry.ts';
import { type Admission, admissionClaims, WAITING_ROOM_CLAIMS, type WaitingRoom } from './waiting.ts';

export interface OidcProviderOptions {
  /** `<publicUrl>/oidc`. Its path is kept in every URL the provider builds. */
  issuer: string;
  clients: readonly OidcClientConfig[];
  /**
   * Cookie signing keys, the same on every instance (`resolveCookieKeys`), and the secret that
   * derives `sub` from the visitor cookie, stable across rotations. The provider runs in its own
   * Koa context (`mount.ts`), so the outer app needs none of them.
   */
  cookieKeys: CookieKeys;
  /** Private JWKs, the RS256 signing key first (`KeyRing.oidcJwks()`). */
  jwks: JWK[];
  adapter: AdapterFactory;
  waitingRoom: WaitingRoom;
  /** How long an interaction (a visitor's wait inside one authorization request) may last. */
  interactionTtlSeconds?: number;
  /** Path of the public URL (`/prod`, or `''`): the asset URLs of the pages the provider renders. */
  pagesBasePath?: string;
  /** The signed visitor cookie (`anteroom_vid`): who the browser is before it has a session. */
  visitorCookies: VisitorCookieSigner;
}

/** The options of every cookie the provider sets. */
export const PROVIDER_COOKIE = { httpOnly: true, sameSite: 'lax', signed: true } as const;

/** The access-token claim naming the grant it was issued from (`userinfo.ts` checks it). */
export const GRANT_CLAIM = 'gid';

/** Codes are exchanged by the relying party within seconds of the redirect. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;
const SESSION_TTL_SECONDS = 24 * 3600;

/** Admission windows looked up during one token request, for the (synchronous) TTL functions. */
const windows = new WeakMap<object, Admission>();

export interface OidcProvider {
  provider: Provider;
  registry: ClientRegistry;
  /** The account id of the browser behind a provider context (session, then visitor cookie). */
  accountOf(ctx: KoaContextWithOIDC): string | null;
  /** The account id of a visitor id. */
  accountOfVisitor(visitorId: string): string;
}

export function createOidcProvider(options: OidcProviderOptions): OidcProvider {
  const registry = new ClientRegistry(options.clients);
  const { waitingRoom } = options;
  const { accountSecret } = options.cookieKeys;
  const accountOfVisitor = (visitorId: string) => accountIdOf(visitorId, accountSecret);
  const accountOf = (ctx: KoaContextWithOIDC): string | null => {
    const fromSession = ctx.oidc.session?.accountId;
    if (fromSession) return fromSession;
    const visitorId = readVisitorId(ctx, options.visitorCookies);
    return visitorId === null ? null : accountOfVisitor(visitorId);
  };
  const issuerPath = new URL(options.issuer).pathname.replace(/\/$/, '');
  const remaining = (admission: Admission) => Math.max(1, admission.expiresAt - waitingRoom.now());
  const pagesBase = (ctx: KoaContextWithOIDC) => requestBasePath(ctx, options.pagesBasePath ?? '');

  const configuration: Configuration = {
    adapter: guardAdapter(options.adapter),
    clients: options.clients.map((client) => providerClientMetadata(client) as ClientMetadata),
    jwks: { keys: options.jwks as never },
    cookies: {
      keys: options.cookieKeys.keys,
      names: { session: '_ar_session', interaction: '_ar_interaction', resume: '_ar_resume' },
      long: { ...PROVIDER_COOKIE },
      short: { ...PROVIDER_COOKIE },
    },
    responseTypes: ['code'],
    // The site's enqueue token (API.md section 6), read by the waiting-room interaction. Its
    // validator runs on every authorization request, after the provider's own checks and before
    // the account is loaded: where an admitted parked visitor is logged in (`park.ts`).
    extraParams: {
      enqueue_token: async (ctx: KoaContextWithOIDC) => loginAdmittedVisitor(ctx),
    },
    scopes: ['openid', 'offline_access', WAITING_ROOM_PROMPT],
    // The waiting-room claims come with `openid` alone: ALB and most RPs ask for nothing else.
    claims: {
      openid: ['sub', ...WAITING_ROOM_CLAIMS],
      [WAITING_ROOM_PROMPT]: [...WAITING_ROOM_CLAIMS],
    },
    conformIdTokenClaims: false,
    // GET only at /auth: oidc-provider allows POST only with SameSite=None session cookies,
    // which would weaken every visitor's cookies for a method no relying party here uses.
    enableHttpPostMethods: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    },
    features: {
      devInteractions: { enabled: false },
      // Pushed authorization requests are one more way to store state; no relying party here uses them.
      pushedAuthorizationRequests: { enabled: false },
      // A client introspects and revokes its own tokens only.
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => logoutSource(ctx, form, pagesBase(ctx)),
        postLogoutSuccessSource: (ctx) => postLogoutSuccessSource(ctx, pagesBase(ctx)),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client) => {
          const found = registry.get(client?.clientId);
          return found === undefined ? undefined : registry.resourceOf(found);
        },
        // Every access token is a JWT for the client's resource, also when `openid` is asked.
        useGrantedResource: () => true,
        getResourceServerInfo: async (ctx, resource, client) => {
          const found = registry.get(client?.clientId);
          if (found === undefined || resource !== registry.resourceOf(found))
            throw new errors.InvalidTarget();
          const admission = windows.get(ctx);
          const event = await guarded(() => waitingRoom.room.getEvent(found.eventId));
          const ttl = admission === undefined ? event.tokenValiditySeconds : remaining(admission);
          const info: ResourceServer = {
            scope: `openid ${WAITING_ROOM_PROMPT}`,
            audience: found.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: Math.min(ttl, event.tokenValiditySeconds),
            jwt: { sign: { alg: 'RS256' } },
          };
          return info;
        },
      },
    },
    interactions: {
      policy: waitingRoomPolicy({ registry, waitingRoom, accountOf }),
      url: (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}`,
    },
    // Waiting visitors never see consent: the grant covers what was asked for.
    loadExistingGrant: async (ctx) => {
      const { client, session } = ctx.oidc;
      if (client === undefined || session?.accountId === undefined) return undefined;
      const grantId = session.grantIdFor(client.clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (grant !== undefined && grant.accountId !== session.accountId) grant = undefined;
      grant ??= new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const scopes = [...ctx.oidc.requestParamScopes];
      if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
      const servers = (ctx.oidc.resourceServers ?? {}) as Record<string, { scope?: string }>;
      for (const [indicator, server] of Object.entries(servers)) {
        if (server.scope) grant.addResourceScope(indicator, server.scope);
      }
      await grant.save();
      return grant;
    },
    findAccount: async (ctx, sub) => {
      // At the token endpoint the account exists only while its admission does: a refresh after
      // the window (or after the session was ended) is refused with invalid_grant.
      if (ctx.oidc.route === 'token') {
        const eventId = registry.eventOf(ctx.oidc.client?.clientId);
        const admission =
          eventId === undefined ? null : await guarded(() => waitingRoom.admission(eventId, sub));
        if (admission === null) return undefined;
        windows.set(ctx, admission);
      }
      return {
        accountId: sub,
        claims: async () => {
          const eventId = registry.eventOf(ctx.oidc.client?.clientId);
          const admission =
            windows.get(ctx) ??
            (eventId === undefined ? null : await guarded(() => waitingRoom.admission(eventId, sub)));
          return { sub, ...(admission ? admissionClaims(admission) : {}) };
        },
      };
    },
    // The grant an access token came from, so userinfo can refuse it once the grant is revoked
    // (a replayed code, a reused refresh token, a revocation): the JWT itself is never stored.
    extraTokenClaims: async (_ctx, token) =>
      token.kind === 'AccessToken' && typeof token.grantId === 'string'
        ? { [GRANT_CLAIM]: token.grantId }
        : undefined,
    issueRefreshToken: async (ctx, client) =>
      registry.get(client.clientId)?.refresh === true && windows.has(ctx),
    rotateRefreshToken: true,
    ttl: {
      AuthorizationCode: AUTHORIZATION_CODE_TTL_SECONDS,
      // Until its first visit (interaction-lifetime.ts): a request nobody follows is soon gone.
      Interaction: Math.min(
        UNVISITED_INTERACTION_TTL_SECONDS,
        options.interactionTtlSeconds ?? OIDC_INTERACTION_TTL_SECONDS,
      ),
      Session: SESSION_TTL_SECONDS,
      Grant: SESSION_TTL_SECONDS,
      IdToken: (ctx) => {
        const admission = windows.get(ctx);
        return admission === undefined ? 3600 : Math.min(3600, remaining(admission));
      },
      RefreshToken: (ctx) => {
        const admission = windows.get(ctx);
        return admission === undefined ? 1 : remaining(admission);
      },
      AccessToken: (ctx) => {
        const admission = windows.get(ctx);
        return admission === undefined ? 600 : Math.min(3600, remaining(admission));
      },
    },
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    renderError: (ctx, out) => renderError(ctx, out, pagesBase(ctx)),
  };

  const provider = new Provider(options.issuer, configuration);
  // The mount sets X-Forwarded-Proto, -Host and -For from publicUrl and the resolved client
  // address (public-origin.ts); what a client sends never reaches the provider.
  provider.proxy = true;
  return { provider, registry, accountOf, accountOfVisitor };
}

// ---------------------------------------------------------------------------------
// Pages the provider renders itself (errors at /auth, logout), in our style, no stack traces.

function sendHtml(ctx: Koa.Context, document: string): void {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.body = document;
}

/** The page of a refused sign-in request; also for requests refused before the provider runs. */
export async function renderError(
  ctx: Koa.Context,
  out: { error: string; error_description?: string },
  basePath: string,
): Promise<void> {
  const body = html`<main id="main" class="card" tabindex="-1">
<h1>This sign-in request cannot continue</h1>
<p class="lead">${out.error_description ?? 'The request was not valid.'}</p>
<p class="meta">Error: <code>${out.error}</code>. Go back to the site and try again.</p>
</main>`;
  sendHtml(ctx, page({ title: 'Sign-in problem', body, basePath }));
}

async function logoutSource(ctx: KoaContextWithOIDC, form: string, basePath: string): Promise<void> {
  // `form` is oidc-provider's own hidden form (with its CSRF token); the buttons submit it.
  const body = html`<main id="main" class="card" tabindex="-1">
<h1>Leave the waiting room?</h1>
<p class="lead">Sign out of ${ctx.host}.</p>
${new SafeHtml(form)}
<p><button autofocus type="submit" class="button primary" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></p>
<p><button type="submit" class="button" form="op.logoutForm">No, stay signed in</button></p>
</main>`;
  sendHtml(ctx, page({ title: 'Sign out', body, basePath }));
}

async function postLogoutSuccessSource(ctx: KoaContextWithOIDC, basePath: string): Promise<void> {
  const body = html`<main id="main" class="card" tabindex="-1">
<h1>Signed out</h1>
<p class="lead">You have been signed out.</p>
</main>`;
  sendHtml(ctx, page({ title: 'Signed out', body, basePath }));
}
