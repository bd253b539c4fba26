/**
 * Parking: a visitor without admission who arrives at `/oidc/auth` waits before the provider
 * stores anything. Nothing about a waiting visitor is kept but the queue's own place:
 *
 *   GET /auth?…          checked here against the client registry, as the provider would check
 *                        it (client, exact redirect URI, response type, scopes, PKCE S256; the
 *                        sizes and the per-client budget were checked by the state guard). A
 *                        request that passes is sealed into a token (`parked-request.ts`) and
 *                        answered 303 to the waiting page `/interaction/<token>`, which takes the
 *                        place through the room's one join (`interaction.ts`). Anything else —
 *                        an error, `prompt=none`, a request object, a browser with a provider
 *                        session, an admitted browser, a pass-through event — goes to the
 *                        provider exactly as before, so every error the provider gives is its own.
 *   GET /auth/<token>    where the waiting page sends an admitted visitor: the token is opened
 *                        again (same browser, not edited, client and redirect URI still
 *                        registered) and the original request is handed to the provider as
 *                        `/auth?…`. The provider validates it in full and, marked as admitted
 *                        here, logs the visitor's account in (`loginAdmittedVisitor`): the code
 *                        goes back to the relying party in the same answer.
 *
 * So the provider's session, grant and code are created only once the visitor is admitted;
 * while waiting, the authorization request lives in the page's URL, encrypted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type Koa from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AnteroomConfig } from '../config/server-config.ts';
import { cookieValue, newVisitor, visitorIdOf } from '../http/visitor.ts';
import type { VisitorCookieSigner } from '../http/visitor-cookie.ts';
import type { OidcClientConfig } from './clients.ts';
import type { ParkedRequestSealer, Unparked } from './parked-request.ts';
import type { ClientRegistry } from './registry.ts';
import type { Admission, WaitingRoom } from './waiting.ts';

/** The authorization parameters a parked request may carry; each once, none empty. */
const PARKABLE = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'enqueue_token',
]);

/**
 * Every other parameter oidc-provider reads at `/auth` (its PARAM_LIST and the features it
 * may enable): a request with any of them goes to the provider. Parameters it does not know it
 * ignores, and so does parking (they are kept in the request and reach the provider unchanged).
 */
const PROVIDER_PARAMS = new Set([
  'acr_values',
  'claims',
  'claims_locales',
  'display',
  'id_token_hint',
  'login_hint',
  'max_age',
  'registration',
  'request',
  'request_uri',
  'response_mode',
  'ui_locales',
  'resource',
  'authorization_details',
  'web_message_uri',
  'dpop_jkt',
]);

const PKCE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const PARKABLE_PROMPTS = new Set(['login', 'consent']);

/** RFC 6749's scope syntax, as oidc-provider checks it (`invalid_scope` otherwise). */
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;
/**
 * Scopes the provider accepts: well-formed, with `openid`. Every client's list holds the
 * provider's own scopes `openid` and `waiting_room`; `offline_access` it drops silently from a
 * client without refresh tokens; scopes it does not know (`profile`, `email`) it ignores.
 */
function acceptedScopes(scope: string | undefined): boolean {
  return scope !== undefined && SCOPE_SYNTAX.test(scope) && scope.split(' ').includes('openid');
}

/**
 * The client of an authorization request that can be parked, or null when the provider must
 * see it now (it is invalid, or asks for something parking does not carry). Conservative: a
 * request parked here is one the provider accepts; the provider validates it again, in full,
 * when the visitor is admitted.
 */
export function parkableClient(query: string, registry: ClientRegistry): OidcClientConfig | null {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (PROVIDER_PARAMS.has(name)) return null;
    if (!PARKABLE.has(name)) continue;
    if (value === '' || params.has(name)) return null;
    params.set(name, value);
  }
  const client = registry.get(params.get('client_id'));
  if (client === undefined) return null;
  const redirectUri = params.get('redirect_uri');
  if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) return null;
  if (params.get('response_type') !== 'code') return null;
  if (!acceptedScopes(params.get('scope'))) return null;
  const prompts = params.get('prompt')?.split(' ') ?? [];
  if (prompts.some((prompt) => !PARKABLE_PROMPTS.has(prompt))) return null;
  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (challenge === undefined) {
    // PKCE is required of public clients; without a challenge no method may be named.
    if (client.clientSecret === undefined || method !== undefined) return null;
  } else if (method !== 'S256' || !PKCE_CHALLENGE.test(challenge)) {
    return null;
  }
  return client;
}

/** Why a parked request cannot continue, as the provider would word it; null when it can. */
export function parkedRequestProblem(
  query: string,
  registry: ClientRegistry,
): { error: string; error_description: string } | null {
  const params = new URLSearchParams(query);
  const client = registry.get(params.get('client_id') ?? undefined);
  // oidc-provider's own sentences for these two (checkClient, checkRedirectUri).
  if (client === undefined) return { error: 'invalid_client', error_description: 'client is invalid' };
  if (!client.redirectUris.includes(params.get('redirect_uri') ?? '')) {
    return {
      error: 'invalid_redirect_uri',
      error_description: "redirect_uri did not match any of the client's registered redirect_uris",
    };
  }
  return null;
}

/** The sentence a refused parked token gets. */
export function unparkedProblem(outcome: Exclude<Unparked, { kind: 'ok' }>): {
  error: string;
  error_description: string;
} {
  const description = {
    edited: 'this sign-in link was changed or is not a sign-in link of this site',
    unknown_key: 'this sign-in link was made with a key that is no longer in use',
    other_browser: 'this sign-in link belongs to another browser: sign in from the site in this browser',
    expired: 'this sign-in link has expired',
  }[outcome.kind];
  return { error: 'invalid_request', error_description: `${description}; go back to the site and try again` };
}

/**
 * True when the request carries a provider session cookie signed with one of `keys` (what
 * oidc-provider's cookies, through keygrip, accept: HMAC-SHA-1 of `name=value`, base64url).
 * A browser with a session goes to the provider as before; a made-up cookie is parked.
 */
export function hasProviderSession(
  cookieHeader: string | undefined,
  name: string,
  keys: readonly string[],
): boolean {
  if (!cookieHeader) return false;
  let value: string | undefined;
  let signature: string | undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    if (key === name) value = part.slice(eq + 1).trim();
    else if (key === `${name}.sig`) signature = part.slice(eq + 1).trim();
  }
  if (!value || !signature) return false;
  const given = Buffer.from(signature);
  return keys.some((key) => {
    const expected = Buffer.from(createHmac('sha1', key).update(`${name}=${value}`).digest('base64url'));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

/** Admitted visitors whose parked request is being handed to the provider (by request). */
const admitted = new WeakMap<IncomingMessage, { accountId: string; clientId: string }>();

/**
 * In the provider, before its account and grant are loaded (an `extraParams` validator runs
 * there): a request handed over by `resumeParked` logs the admitted visitor's account in, as the
 * end of the waiting-room interaction would. The waiting-room prompt checks the admission again.
 */
/**
 * True when this request is an admitted visitor's parked request, handed over by `resumeParked`
 * for this account and client: the admission was read a moment ago, the waiting-room prompt
 * need not read it again.
 */
export function handedOverAdmitted(ctx: KoaContextWithOIDC, accountId: string): boolean {
  const visitor = admitted.get(ctx.req);
  return (
    visitor !== undefined && visitor.clientId === ctx.oidc.client?.clientId && visitor.accountId === accountId
  );
}

export function loginAdmittedVisitor(ctx: KoaContextWithOIDC): void {
  const visitor = admitted.get(ctx.req);
  if (visitor === undefined || visitor.clientId !== ctx.oidc.client?.clientId) return;
  if (ctx.oidc.session?.accountId) return;
  ctx.oidc.session?.loginAccount({ accountId: visitor.accountId, transient: false });
}

/**
 * 303 to `location`, without a body: Koa's `redirect` would write an HTML page quoting the
 * (long) parked URL, which no browser shows.
 */
/**
 * The headers `seeOther` gives a 303 (Koa adds the `Content-Type` of its empty body), for the
 * answers `anteroom serve`'s fast path writes without Koa.
 */
export function seeOtherHeaders(location: string): Array<[string, string]> {
  return [
    ['Cache-Control', 'no-store'],
    ['Location', location],
    ['Content-Type', 'text/plain; charset=utf-8'],
  ];
}

export function seeOther(ctx: Koa.Context, location: string): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Location', location);
  ctx.status = 303;
  ctx.body = '';
}

export interface ParkingDeps {
  registry: ClientRegistry;
  waitingRoom: WaitingRoom;
  sealer: ParkedRequestSealer;
  accountOfVisitor: (visitorId: string) => string;
  visitorCookies: VisitorCookieSigner;
  /** The provider's cookie keys and its session cookie's name. */
  cookieKeys: readonly string[];
  sessionCookie: string;
  config: AnteroomConfig;
  /** Path of the issuer as the browser sees it (`/oidc`, `/prod/oidc`). */
  issuerPath: string;
  /** The issuer URL (`<publicUrl>/oidc`). */
  issuer: string;
  now: () => number;
}

/** What the mount does with a request under the provider: answered here, or handed on. */
export type Routed = { kind: 'answered' } | { kind: 'provider'; url?: string };

/**
 * The admitted ticket's cookie (`parked-request.ts`): sent only to the hand-over, for a minute at
 * most, so a reload that was just admitted and the hand-over it leads to read the admission once.
 */
export const ADMITTED_COOKIE = '_ar_admitted';
/**
 * The place cookie of an event (`_ar_place_<event id>`), sent only to the waiting pages: its
 * views find the place by its request id, without a join (a write) each time.
 */
export const placeCookieName = (eventId: string) => `_ar_place_${eventId}`;
const PLACE_COOKIE_SECONDS = 24 * 3600;
const ADMITTED_TICKET_SECONDS = 60;

/**
 * What parking reads of an authorization request, without Koa: the Koa mount and `anteroom
 * serve`'s fast path (`server/hot-path.ts`) both park through `Parking.enter`.
 */
export interface EntryRequest {
  method: string;
  /** The query string, without `?`. */
  querystring: string;
  /** The `Cookie` header. */
  cookies: string | undefined;
}

/** A parked entry's answer: 303 to `location` (no body, `no-store`), setting `setCookie` when not null. */
export interface ParkedEntry {
  location: string;
  /** A new visitor cookie, when the browser had no valid one. */
  setCookie: string | null;
}

export interface Parking {
  /** `GET /auth?…`: the parked answer, or null when the provider must answer the request. */
  enter(request: EntryRequest): Promise<ParkedEntry | null>;
  /** `GET /auth?…` in Koa: park the visitor (`enter`), or leave the request to the provider. */
  authorize(ctx: Koa.Context): Promise<Routed>;
  /** `GET /auth/<token>`: hand an admitted visitor's request to the provider; null when `rest` is no parked token. */
  resume(
    ctx: Koa.Context,
    token: string,
    refuse: (problem: { error: string; error_description: string }) => Promise<void>,
  ): Promise<Routed>;
  /** Open a token for the browser of this `Cookie` header (the waiting page), with its visitor id. */
  open(cookies: string | undefined, token: string): { unparked: Unparked; visitorId: string | null };
  /**
   * The waiting page of `token` found this browser admitted: the `Set-Cookie` of the ticket that
   * spares its hand-over reading the admission again (null when the window is already over).
   */
  admittedCookie(token: string, visitorId: string, admission: Admission): string | null;
  /** The request id of this browser's place in the event, as its waiting page last saw it (signed cookie). */
  knownPlace(cookies: string | undefined, eventId: string, visitorId: string): string | undefined;
  /** The `Set-Cookie` remembering the place a waiting page shows, for the page's next view. */
  placeCookie(eventId: string, visitorId: string, requestId: string): string;
}

export function parking(deps: ParkingDeps): Parking {
  const PROVIDER: Routed = { kind: 'provider' };
  const secure = deps.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  const admittedCookie = (value: string, maxAge: number) =>
    `${ADMITTED_COOKIE}=${value}; Path=${deps.issuerPath}/auth/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
  const open = (cookies: string | undefined, token: string) => {
    const visitorId = visitorIdOf(cookies, deps.visitorCookies);
    return { unparked: deps.sealer.open(token, visitorId, deps.now()), visitorId };
  };
  const enter = async (request: EntryRequest): Promise<ParkedEntry | null> => {
    if (request.method !== 'GET') return null;
    if (hasProviderSession(request.cookies, deps.sessionCookie, deps.cookieKeys)) return null;
    const client = parkableClient(request.querystring, deps.registry);
    if (client === null) return null;
    const known = visitorIdOf(request.cookies, deps.visitorCookies);
    try {
      // A visitor who will not wait (pass-through) is not parked.
      const event = await deps.waitingRoom.room.getEvent(client.eventId);
      if (event.mode === 'passthrough') return null;
      if (known !== null) {
        const admission = await deps.waitingRoom.admission(client.eventId, deps.accountOfVisitor(known));
        if (admission !== null) return null;
      }
    } catch {
      // A store outage: the provider answers it (`temporarily_unavailable` to the client).
      return null;
    }
    const visitor =
      known !== null ? { id: known, setCookie: null } : newVisitor(deps.config, deps.visitorCookies);
    const token = deps.sealer.seal(
      { clientId: client.clientId, query: request.querystring, issuedAt: deps.now() },
      visitor.id,
    );
    return { location: `${deps.issuerPath}/interaction/${token}`, setCookie: visitor.setCookie };
  };
  return {
    open,
    enter,
    knownPlace(cookies, eventId, visitorId) {
      return deps.sealer.placeOf(cookieValue(cookies, placeCookieName(eventId)), eventId, visitorId);
    },
    placeCookie(eventId, visitorId, requestId) {
      const value = deps.sealer.placeValue(eventId, visitorId, requestId);
      return `${placeCookieName(eventId)}=${value}; Path=${deps.issuerPath}/interaction/; Max-Age=${PLACE_COOKIE_SECONDS}; HttpOnly; SameSite=Lax${secure}`;
    },
    admittedCookie(token, visitorId, admission) {
      const now = deps.now();
      const until = Math.min(now + ADMITTED_TICKET_SECONDS, admission.expiresAt);
      if (until <= now) return null;
      return admittedCookie(deps.sealer.admittedTicket(token, visitorId, until), until - now);
    },
    async authorize(ctx) {
      const parked = await enter({
        method: ctx.method,
        querystring: ctx.querystring,
        cookies: ctx.get('Cookie'),
      });
      if (parked === null) return PROVIDER;
      if (parked.setCookie !== null) ctx.append('Set-Cookie', parked.setCookie);
      seeOther(ctx, parked.location);
      return { kind: 'answered' };
    },
    async resume(ctx, token, refuse) {
      if (ctx.method !== 'GET') return PROVIDER;
      const { unparked: opened, visitorId } = open(ctx.get('Cookie'), token);
      if (opened.kind !== 'ok' || visitorId === null) {
        await refuse(unparkedProblem(opened.kind === 'ok' ? { kind: 'other_browser' } : opened));
        return { kind: 'answered' };
      }
      const { query, clientId } = opened.request;
      const problem = parkedRequestProblem(query, deps.registry);
      const client = deps.registry.get(clientId);
      if (problem !== null || client === undefined) {
        await refuse(problem ?? { error: 'invalid_client', error_description: 'client is invalid' });
        return { kind: 'answered' };
      }
      const accountId = deps.accountOfVisitor(visitorId);
      // Admitted a moment ago by the reload that sent the browser here (its ticket), or read now.
      const ticket = cookieValue(ctx.get('Cookie'), ADMITTED_COOKIE);
      const ticketed = deps.sealer.admittedBy(ticket, token, visitorId, deps.now());
      if (ticket) ctx.append('Set-Cookie', admittedCookie('', 0));
      const admission = ticketed ? true : await deps.waitingRoom.admission(client.eventId, accountId);
      if (admission === null) {
        // Not (or no longer) admitted: back to the waiting page, which knows what to show.
        seeOther(ctx, `${deps.issuerPath}/interaction/${token}`);
        return { kind: 'answered' };
      }
      admitted.set(ctx.req, { accountId, clientId });
      return { kind: 'provider', url: `/auth?${query}` };
    },
  };
}
