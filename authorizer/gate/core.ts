/**
 * The site gate's decision for one request, whatever carries it (Lambda@Edge, Koa, Express):
 * forward it to the origin (with the visitor's `x-anteroom-*` headers when signed in), or answer
 * it here (the redirect to Anteroom, the callback, sign-out, a refusal). API.md §8.
 *
 *   callback path   → checkFlow → redeemCode → verifyIdToken → open the session → back to the page
 *   sign-out path   → end the session → the provider's end-session endpoint
 *   public path     → forward, anonymous
 *   protected path  → a live session: forward with its claims; none: startSignIn
 *
 * Incoming `x-anteroom-*` headers are always the adapters' to strip, on every path.
 */
import type { JWTPayload } from 'jose';
import { cookieHeader, cookiesNamed, readCookie } from './cookies.ts';
import { createDiscovery, type ProviderMetadata } from './discovery.ts';
import { SignInError, type SignInFailure } from './failures.ts';
import { authorizationUrl, endSessionUrl, newFlow, redeemCode, verifyIdToken } from './flow.ts';
import { type GateConfig, type ResolvedGateConfig, resolveGateConfig } from './options.ts';
import { failurePage, PAGE_HEADERS } from './page.ts';
import { createPathPolicy } from './paths.ts';
import { createRecheck } from './recheck.ts';
import { createSealer } from './seal.ts';
import {
  claimsOfIdToken,
  claimsOfSession,
  FLOW_COOKIE_PREFIX,
  identityHeaders,
  SESSION_COOKIE,
  type SessionClaims,
  sessionEnd,
  sessionPayload,
} from './session.ts';

/** A request as every adapter sees it. */
export interface GateRequest {
  method: string;
  /** The path as the visitor sent it, without the query. */
  path: string;
  /** The query string, without `?`. */
  query: string;
  /** The `Host` header (used when `baseUrl` is not set). */
  host: string | undefined;
  /** The `Cookie` header(s), joined with `; `. */
  cookie: string | undefined;
  /** `Sec-Fetch-Mode`: a browser says whether this is a page navigation. */
  fetchMode: string | undefined;
}

export type GateResult =
  /** Send the request on; `headers` (the identity) replace any `x-anteroom-*` the client sent. */
  | { action: 'forward'; claims: SessionClaims | null; headers: Record<string, string> }
  /** Answer here. `cookies` are `Set-Cookie` values. */
  | { action: 'respond'; status: number; headers: Record<string, string>; cookies: string[]; body: string };

export interface Gate {
  handle(request: GateRequest): Promise<GateResult>;
  readonly config: ResolvedGateConfig;
}

/** How long one sign-in may take, waiting room included (the provider's interaction lifetime). */
export const FLOW_TTL_SECONDS = 3 * 3600;
/** Sign-ins kept at once per browser (tabs); older ones are dropped when another starts. */
export const MAX_PARALLEL_FLOWS = 4;
/** Longest original URL kept for the return; a longer one returns to its path alone. */
const MAX_RETURN_LENGTH = 1024;
/** Each call to Anteroom; Lambda@Edge gives a viewer-request function 5 s in all. */
const PROVIDER_TIMEOUT_MS = 3000;
const STATE = /^[A-Za-z0-9_-]{43}$/;
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const ANONYMOUS: GateResult = Object.freeze({ action: 'forward', claims: null, headers: {} });

interface OpenFlow {
  state: string;
  nonce: string;
  verifier: string;
  /** Path and query to return to. */
  returnTo: string;
  expiresAt: number;
}

export function createGate(gateConfig: GateConfig): Gate {
  const config = resolveGateConfig(gateConfig);
  const { now, log } = config;
  const nowSeconds = () => Math.floor(now() / 1000);
  const sealer = createSealer({
    secret: config.cookieSecret,
    context: `${config.issuer}\u0000${config.clientId}`,
    now: nowSeconds,
  });
  const needsSession = createPathPolicy(config.protect, config.publicPaths);
  const transport = { fetch: config.fetch, timeoutMs: PROVIDER_TIMEOUT_MS };
  const discover = createDiscovery({
    issuer: config.issuer,
    fetch: config.fetch,
    now,
    timeoutMs: PROVIDER_TIMEOUT_MS,
  });
  const sessionEnded =
    config.recheckMs > 0
      ? createRecheck({ intervalMs: config.recheckMs, discover, now, log, ...transport })
      : undefined;
  const setCookie = (name: string, value: string, maxAge: number) =>
    cookieHeader(name, value, { path: '/', maxAge, secure: true });

  function siteUrl(request: GateRequest): string | null {
    if (config.baseUrl !== undefined) return config.baseUrl;
    const host = request.host?.trim();
    return host !== undefined && HOST.test(host) ? `https://${host.toLowerCase()}` : null;
  }

  function redirect(location: string, cookies: string[]): GateResult {
    return {
      action: 'respond',
      status: 302,
      headers: { location, 'cache-control': 'no-store' },
      cookies,
      body: '',
    };
  }

  function refuse(code: SignInFailure, base: string, returnTo: string, cookies: string[] = []): GateResult {
    const failure = new SignInError(code);
    const headers: Record<string, string> = { ...PAGE_HEADERS };
    if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
    return {
      action: 'respond',
      status: failure.status,
      headers,
      cookies,
      body: failurePage(code, `${base}${returnTo}`),
    };
  }

  function report(error: SignInError): void {
    log({
      level: error.status >= 500 ? 'error' : 'warn',
      msg: 'sign-in did not complete',
      code: error.code,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
    });
  }

  // -- a protected request -------------------------------------------------------------

  async function currentSession(request: GateRequest): Promise<SessionClaims | null> {
    const opened = sealer.open('session', readCookie(request.cookie, SESSION_COOKIE));
    if (opened === null) return null;
    const claims = claimsOfSession(opened);
    if (claims === null) return null;
    const accessToken = opened['a'];
    if (sessionEnded !== undefined && typeof accessToken === 'string' && (await sessionEnded(accessToken))) {
      return null;
    }
    return claims;
  }

  /** Older sign-ins of this browser beyond the limit, as deletions (the newest are kept). */
  function pruneFlows(request: GateRequest): string[] {
    const flows = cookiesNamed(request.cookie, FLOW_COOKIE_PREFIX).map(([name, value]) => ({
      name,
      expiresAt: Number(sealer.open('flow', value)?.['exp'] ?? 0),
    }));
    if (flows.length < MAX_PARALLEL_FLOWS) return [];
    flows.sort((a, b) => a.expiresAt - b.expiresAt);
    return flows.slice(0, flows.length - MAX_PARALLEL_FLOWS + 1).map(({ name }) => setCookie(name, '', 0));
  }

  function returnPath(request: GateRequest): string {
    const full = request.query === '' ? request.path : `${request.path}?${request.query}`;
    if (full.length <= MAX_RETURN_LENGTH) return full;
    return request.path.length <= MAX_RETURN_LENGTH ? request.path : '/';
  }

  async function startSignIn(request: GateRequest, base: string, ended: boolean): Promise<GateResult> {
    const cookies = ended ? [setCookie(SESSION_COOKIE, '', 0)] : [];
    const returnTo = returnPath(request);
    // A script's request or a sub-resource cannot go through the waiting room: only pages can.
    if (request.fetchMode !== undefined && request.fetchMode !== 'navigate') {
      return refuse('sign_in_required', base, returnTo, cookies);
    }
    let metadata: ProviderMetadata;
    try {
      metadata = await discover();
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      report(error);
      return refuse(error.code, base, returnTo, cookies);
    }
    const flow = newFlow();
    const sealed = sealer.seal(
      'flow',
      { s: flow.state, n: flow.nonce, v: flow.verifier, u: returnTo },
      FLOW_TTL_SECONDS,
    );
    cookies.push(
      ...pruneFlows(request),
      setCookie(`${FLOW_COOKIE_PREFIX}${flow.state}`, sealed, FLOW_TTL_SECONDS),
    );
    const redirectUri = `${base}${config.callbackPath}`;
    return redirect(
      authorizationUrl(metadata.authorizationEndpoint, { clientId: config.clientId, redirectUri }, flow),
      cookies,
    );
  }

  // -- the callback --------------------------------------------------------------------

  function openFlow(request: GateRequest, state: string | null): OpenFlow | null {
    if (state === null || !STATE.test(state)) return null;
    const opened = sealer.open('flow', readCookie(request.cookie, `${FLOW_COOKIE_PREFIX}${state}`));
    if (opened === null || opened['s'] !== state) return null;
    const { n, v, u, exp } = opened;
    if (typeof n !== 'string' || typeof v !== 'string' || typeof u !== 'string' || !u.startsWith('/'))
      return null;
    return { state, nonce: n, verifier: v, returnTo: u, expiresAt: exp as number };
  }

  async function completeSignIn(flow: OpenFlow, code: string, base: string): Promise<string> {
    const metadata = await discover();
    const client = {
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: `${base}${config.callbackPath}`,
    };
    const tokens = await redeemCode(
      metadata.tokenEndpoint,
      client,
      { code, verifier: flow.verifier },
      transport,
    );
    const expected = {
      issuer: config.issuer,
      clientId: config.clientId,
      nonce: flow.nonce,
      algorithms: metadata.idTokenAlgorithms,
      nowMs: now(),
    };
    const idToken: JWTPayload = await verifyIdToken(tokens.idToken, expected, metadata.keys);
    const claims = claimsOfIdToken(idToken);
    if (claims === null) throw new SignInError('id_token_invalid', 'ID token lacks the waiting-room claims');
    const ttl = sessionEnd(idToken, tokens.expiresIn, now()) - nowSeconds();
    if (ttl <= 0) throw new SignInError('id_token_invalid', 'the admission has already ended');
    const recheckToken = sessionEnded === undefined ? undefined : tokens.accessToken;
    return setCookie(SESSION_COOKIE, sealer.seal('session', sessionPayload(claims, recheckToken), ttl), ttl);
  }

  async function callback(request: GateRequest, base: string): Promise<GateResult> {
    const query = new URLSearchParams(request.query);
    const state = query.get('state');
    const flow = openFlow(request, state);
    if (flow === null) return refuse('flow_not_found', base, '/');
    // One callback per flow: whatever happens next, this flow's cookie is spent.
    const spent = setCookie(`${FLOW_COOKIE_PREFIX}${flow.state}`, '', 0);
    const code = query.get('code');
    const issuer = query.get('iss');
    try {
      // RFC 9207: an answer that names another issuer is a mix-up, not ours to redeem.
      if (issuer !== null && issuer !== config.issuer)
        throw new SignInError('provider_error', `iss ${issuer}`);
      if (query.has('error') || code === null || code === '') {
        throw new SignInError('provider_error', query.get('error') ?? 'no code');
      }
      const session = await completeSignIn(flow, code, base);
      return redirect(`${base}${flow.returnTo}`, [session, spent]);
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      report(error);
      return refuse(error.code, base, flow.returnTo, [spent]);
    }
  }

  // -- sign-out ------------------------------------------------------------------------

  async function signOut(base: string): Promise<GateResult> {
    const cleared = setCookie(SESSION_COOKIE, '', 0);
    const fallback = config.postLogoutRedirectUri ?? `${base}/`;
    try {
      const { endSessionEndpoint } = await discover();
      if (endSessionEndpoint === undefined) return redirect(fallback, [cleared]);
      return redirect(endSessionUrl(endSessionEndpoint, config.clientId, config.postLogoutRedirectUri), [
        cleared,
      ]);
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      report(error);
      return redirect(fallback, [cleared]);
    }
  }

  function badHost(): GateResult {
    return {
      action: 'respond',
      status: 400,
      headers: { ...PAGE_HEADERS },
      cookies: [],
      body: 'Bad Host header.\n',
    };
  }

  async function handle(request: GateRequest): Promise<GateResult> {
    if (request.path === config.callbackPath || request.path === config.signOutPath) {
      const base = siteUrl(request);
      if (base === null) return badHost();
      if (request.path === config.signOutPath) return signOut(base);
      // GET only: the provider redirects here, and a HEAD must not spend a flow.
      if (request.method !== 'GET') {
        return {
          action: 'respond',
          status: 405,
          headers: { ...PAGE_HEADERS, allow: 'GET' },
          cookies: [],
          body: '',
        };
      }
      return callback(request, base);
    }
    if (!needsSession(request.path)) return ANONYMOUS;
    const claims = await currentSession(request);
    if (claims !== null) return { action: 'forward', claims, headers: identityHeaders(claims) };
    const base = siteUrl(request);
    if (base === null) return badHost();
    return startSignIn(request, base, readCookie(request.cookie, SESSION_COOKIE) !== null);
  }

  return { handle, config };
}
