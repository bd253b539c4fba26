/**
 * The sample site: a relying party built into the public app, so `npm start` shows the OpenID
 * Connect provider end to end. Served only when `config.sampleSite` is on.
 *
 *   GET /sample-site/           signed in: the claims; else the redirect to the provider
 *   GET /sample-site/callback   the authorization response: state, code exchange, ID token
 *   GET /sample-site/logout     end the local session, then RP-initiated logout at the provider
 *
 * The OpenID Connect steps are the site gate's (`authorizer/gate/flow.ts`), done by hand here so
 * every step is visible. State, nonce and PKCE verifier ride in a sealed cookie scoped to the
 * site's path, as does the session; the sealing key is generated when the site is built, so the
 * cookies of one process mean nothing to another (the sample site is a one-process demo). Every URL handed to the browser carries the base path (`base-path.ts`);
 * the URLs the provider checks (redirect URI, post-logout URI) are the registered ones.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { JWK } from 'jose';
import type Koa from 'koa';
import { cookieHeader, readCookie } from '../../../authorizer/gate/cookies.ts';
import {
  authorizationUrl,
  type Client,
  endSessionUrl,
  newFlow,
  redeemCode,
  verifyIdToken,
} from '../../../authorizer/gate/flow.ts';
import { createSealer } from '../../../authorizer/gate/seal.ts';
import { createStaticKeySet } from '../../../authorizer/jwks.ts';
import { AnteroomError } from '../../../queue-core/errors.ts';
import type { AppDeps } from '../../apps/deps.ts';
import { SAMPLE_SITE } from '../../config/development.ts';
import type { AnteroomConfig } from '../../config/server-config.ts';
import { publicUrlPath, requestBasePath } from '../base-path.ts';
import { sendPage } from '../headers.ts';
import { renderSignedIn, renderSignInProblem, type SessionClaims } from './render.ts';

/** Where `provider/oidc/index.ts` mounts the provider in the public app (`OIDC_MOUNT_PATH`). */
const OIDC_MOUNT_PATH = '/oidc';
const FLOW_COOKIE = 'anteroom_sample_flow';
const SESSION_COOKIE = 'anteroom_sample_session';
/** As long as one authorization request may wait in the queue (the provider's interaction TTL, 3 h). */
const FLOW_TTL_SECONDS = 3 * 3600;
const SESSION_TTL_SECONDS = 3600;
const TOKEN_TIMEOUT_MS = 10_000;

interface RelyingParty extends Client {
  /** `<publicUrl>/oidc` */
  issuer: string;
  /** `<publicUrl>/sample-site/`, exactly as registered. */
  postLogoutRedirectUri: string;
  /** The provider's public signing keys (the key ring's JWKS), read at each check so a rotation is seen. */
  jwks: () => { keys: JWK[] };
}

/** The sample site's client, as `config/server-config.ts` registered it. */
function relyingParty(deps: AppDeps): RelyingParty {
  const { config } = deps;
  const client = config.oidc.clients.find(
    (entry): entry is Record<string, unknown> =>
      typeof entry === 'object' &&
      entry !== null &&
      (entry as Record<string, unknown>).client_id === SAMPLE_SITE.clientId,
  );
  if (client === undefined || typeof client.client_secret !== 'string') {
    throw new AnteroomError(
      'sample_site_unregistered',
      `sampleSite is on but no "${SAMPLE_SITE.clientId}" client with a secret is registered`,
    );
  }
  return {
    issuer: `${config.publicUrl}${OIDC_MOUNT_PATH}`,
    clientId: SAMPLE_SITE.clientId,
    clientSecret: client.client_secret,
    redirectUri: `${config.publicUrl}${SAMPLE_SITE.path}/callback`,
    postLogoutRedirectUri: `${config.publicUrl}${SAMPLE_SITE.path}/`,
    jwks: () => deps.keys.jwks(),
  };
}

/**
 * The token endpoint as this process reaches it: over the listener the request came in on (a
 * proxy in front may make `publicUrl` unreachable from here, or route it to another process),
 * else (Lambda: no listener) through `publicUrl`.
 */
function tokenEndpoint(ctx: Koa.Context, rp: RelyingParty): string {
  const socket = ctx.req.socket as Partial<Socket> | undefined;
  const port = socket?.localPort;
  const address = socket?.localAddress;
  if (typeof port !== 'number' || port <= 0 || typeof address !== 'string' || address === '') {
    return `${rp.issuer}/token`;
  }
  const host = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${OIDC_MOUNT_PATH}/token`;
}

function claimsOf(payload: Record<string, unknown>): SessionClaims {
  const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    sub: String(payload.sub ?? ''),
    event_id: typeof payload.event_id === 'string' ? payload.event_id : null,
    queue_position: numberOrNull(payload.queue_position),
    queued_at: numberOrNull(payload.queued_at),
    admitted_at: numberOrNull(payload.admitted_at),
  };
}

function sessionClaims(session: Record<string, unknown> | null): SessionClaims | null {
  return session === null || typeof session.sub !== 'string' ? null : claimsOf(session);
}

export function sampleSiteRoutes(deps: AppDeps): Koa.Middleware {
  const rp = relyingParty(deps);
  const sealer = createSealer({ secret: randomBytes(32) });
  const publicBasePath = publicUrlPath(deps.config.publicUrl);
  const secure = deps.config.publicUrl.startsWith('https:');

  function paths(ctx: Koa.Context) {
    const basePath = requestBasePath(ctx, publicBasePath);
    const home = `${basePath}${SAMPLE_SITE.path}/`;
    return { basePath, home, logout: `${home}logout` };
  }

  function setCookie(ctx: Koa.Context, name: string, value: string, maxAge: number): void {
    ctx.append('Set-Cookie', cookieHeader(name, value, { path: paths(ctx).home, maxAge, secure }));
  }

  function refuse(ctx: Koa.Context, status: number, title: string, text: string): void {
    const { basePath, home } = paths(ctx);
    sendPage(ctx, status, renderSignInProblem(title, text, { basePath, retry: home }));
  }

  function home(ctx: Koa.Context): void {
    const claims = sessionClaims(sealer.open('session', readCookie(ctx.get('Cookie'), SESSION_COOKIE)));
    const { basePath, logout } = paths(ctx);
    if (claims !== null) {
      sendPage(ctx, 200, renderSignedIn(claims, { basePath, signOut: logout }));
      return;
    }
    // Not signed in: off to the provider (and its waiting room), keeping what the callback checks.
    const flow = newFlow();
    setCookie(ctx, FLOW_COOKIE, sealer.seal('flow', flow, FLOW_TTL_SECONDS), FLOW_TTL_SECONDS);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(authorizationUrl(`${rp.issuer}/auth`, rp, flow));
  }

  async function callback(ctx: Koa.Context): Promise<void> {
    const flow = sealer.open('flow', readCookie(ctx.get('Cookie'), FLOW_COOKIE));
    const query = (name: string) =>
      typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : null;
    // One callback per flow: whatever happens next, the flow cookie is spent.
    setCookie(ctx, FLOW_COOKIE, '', 0);
    if (flow === null || typeof flow.state !== 'string' || query('state') !== flow.state) {
      refuse(
        ctx,
        400,
        'This sign-in could not be checked',
        'The answer from the provider does not belong to a sign-in this browser started here (or it is too old).',
      );
      return;
    }
    const issuer = query('iss');
    if (issuer !== null && issuer !== rp.issuer) {
      refuse(ctx, 400, 'This sign-in could not be checked', 'The answer names another provider.');
      return;
    }
    const error = query('error');
    const code = query('code');
    if (error !== null || code === null) {
      const reason = query('error_description') ?? error ?? 'no code';
      refuse(ctx, 400, 'Sign-in did not complete', `The provider answered: ${reason}.`);
      return;
    }
    try {
      const grant = { code, verifier: String(flow.verifier) };
      const transport = { fetch, timeoutMs: TOKEN_TIMEOUT_MS };
      const { idToken } = await redeemCode(tokenEndpoint(ctx, rp), rp, grant, transport);
      const expected = {
        issuer: rp.issuer,
        clientId: rp.clientId,
        nonce: String(flow.nonce),
        algorithms: ['RS256'],
      };
      const payload = await verifyIdToken(idToken, expected, createStaticKeySet(rp.jwks()));
      const claims = claimsOf(payload as Record<string, unknown>);
      setCookie(
        ctx,
        SESSION_COOKIE,
        sealer.seal('session', claims, SESSION_TTL_SECONDS),
        SESSION_TTL_SECONDS,
      );
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(paths(ctx).home);
    } catch (failure) {
      if (!(failure instanceof AnteroomError)) throw failure;
      deps.logger.warn({ err: failure, code: failure.code }, 'sample site sign-in failed');
      refuse(
        ctx,
        failure.status,
        'Sign-in did not complete',
        failure.expose ? failure.message : 'Please start again.',
      );
    }
  }

  function logout(ctx: Koa.Context): void {
    setCookie(ctx, SESSION_COOKIE, '', 0);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(endSessionUrl(`${rp.issuer}/session/end`, rp.clientId, rp.postLogoutRedirectUri));
  }

  return async function sampleSite(ctx, next) {
    // GET only: a HEAD must not spend a flow or end a session.
    if (ctx.method !== 'GET') return next();
    switch (ctx.path) {
      case SAMPLE_SITE.path:
        ctx.redirect(paths(ctx).home);
        return;
      case `${SAMPLE_SITE.path}/`:
        return home(ctx);
      case `${SAMPLE_SITE.path}/callback`:
        return callback(ctx);
      case `${SAMPLE_SITE.path}/logout`:
        return logout(ctx);
      default:
        return next();
    }
  };
}

/** For the waiting page: the sample site is where visitors of its event go once admitted. */
export function sampleSiteOnward(
  config: AnteroomConfig,
): ((eventId: string, basePath: string) => string | null) | null {
  if (!config.sampleSite) return null;
  const client = config.oidc.clients.find(
    (entry) => (entry as Record<string, unknown> | null)?.client_id === SAMPLE_SITE.clientId,
  ) as Record<string, unknown> | undefined;
  const eventId = client?.event_id;
  return (event, basePath) => (event === eventId ? `${basePath}${SAMPLE_SITE.path}/` : null);
}
