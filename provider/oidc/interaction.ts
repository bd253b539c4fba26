/**
 * The waiting-room interaction, served under `<issuer>/interaction/:uid` (the path the
 * provider's `_ar_interaction` cookie is scoped to):
 *
 *   GET|POST /interaction/:uid         take a place once (idempotent: reload, second tab), show
 *                                      the waiting page; once the position is served, claim the
 *                                      admission and answer 303 to the provider's resume URL —
 *                                      a plain reload gets through, no JavaScript needed
 *   GET      /interaction/:uid/status  the waiting page's poll: reads the queue only (never
 *                                      the interaction), `state: "admitted"` once served so the
 *                                      page reloads and the reload continues the flow
 *
 * The interaction finishes with `login` (the stable account of the browser, so a session from
 * another event is never replaced) plus `waiting_room` (this event and its request id); the
 * grant is created by `loadExistingGrant`, so no consent screen is ever shown.
 */
import type Koa from 'koa';
import type { Provider } from 'oidc-provider';
import type pino from 'pino';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { StatusView } from '../../queue-core/room/room-api.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import type { AnteroomConfig } from '../config/server-config.ts';
import { errorAnswer } from '../http/errors.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import type { VisitorCookieSigner } from '../http/visitor-cookie.ts';
import { publicUrlPath, requestBasePath } from '../pages/base-path.ts';
import { PAGE_CONTENT_TYPE, pageHeaders, pageTextByHeader, pageTextOf, sendPage } from '../pages/headers.ts';
import { sendProblemPage } from '../pages/waiting/problem.ts';
import { type PageLinks, renderProblemPage, renderWaitingPage, widgetOf } from '../pages/waiting/render.ts';
import type { WaitingView } from '../pages/waiting/state.ts';
import { challengeAnswerOf, type Widget } from '../pages/waiting/widgets.ts';
import type { OidcClientConfig } from './clients.ts';
import { ensureVisitorId } from './identity.ts';
import { keepForTheWait } from './interaction-lifetime.ts';
import { type Parking, parkedRequestProblem, seeOther, seeOtherHeaders, unparkedProblem } from './park.ts';
import { PARKED_TOKEN } from './parked-request.ts';
import { WAITING_ROOM_PROMPT, type WaitingRoomResult } from './policy.ts';
import { renderError } from './provider.ts';
import type { ClientRegistry } from './registry.ts';
import type { Admission, WaitingRoom } from './waiting.ts';

/**
 * One view of a waiting page as `visit` reads and answers it, without Koa: the Koa route gives
 * one over its context (`koaView`), and `anteroom serve`'s fast path one that collects the answer
 * (`collectedView`, for a parked request's page), so both answer through the same `visit`.
 */
export interface PageView {
  readonly method: string;
  /** The `Cookie` header. */
  readonly cookies: string | undefined;
  /** The client's address, as the app resolves it. */
  readonly ip: string;
  /** The `Accept-Language` header ('' when absent). */
  readonly acceptLanguage: string;
  /** The join form's answer to the event's entry challenge (a POST); undefined otherwise. */
  challengeAnswer(event: EventSettings): Promise<string | undefined>;
  appendCookie(setCookie: string): void;
  vary(field: string): void;
  page(status: number, document: string, widget: Widget | undefined): void;
  seeOther(location: string): void;
}

function koaView(ctx: Koa.Context): PageView {
  return {
    method: ctx.method,
    cookies: ctx.get('Cookie'),
    ip: ctx.ip,
    acceptLanguage: ctx.get('Accept-Language'),
    challengeAnswer: async (event) => (ctx.method === 'POST' ? challengeAnswerOf(ctx, event) : undefined),
    appendCookie: (setCookie) => ctx.append('Set-Cookie', setCookie),
    vary: (field) => ctx.vary(field),
    page: (status, document, widget) => sendPage(ctx, status, document, widget),
    seeOther: (location) => seeOther(ctx, location),
  };
}

/** A page's answer as the fast path writes it: the headers in the order the Koa app sets them. */
export interface CollectedPage {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** A GET's view that collects its answer (`answer`, once `visit` gave one). */
export function collectedView(request: {
  cookies: string | undefined;
  ip: string;
  acceptLanguage: string;
}): PageView & { answer: CollectedPage | null } {
  const headers: Array<[string, string]> = [];
  const view = {
    method: 'GET',
    ...request,
    answer: null as CollectedPage | null,
    challengeAnswer: async () => undefined,
    appendCookie: (setCookie: string) => {
      headers.push(['Set-Cookie', setCookie]);
    },
    vary: (field: string) => {
      headers.push(['Vary', field]);
    },
    page: (status: number, document: string, widget: Widget | undefined) => {
      headers.push(...pageHeaders(widget), ['Content-Type', PAGE_CONTENT_TYPE]);
      view.answer = { status, headers, body: document };
    },
    seeOther: (location: string) => {
      headers.push(...seeOtherHeaders(location));
      view.answer = { status: 303, headers, body: '' };
    },
  };
  return view;
}

export interface InteractionDeps {
  provider: Provider;
  registry: ClientRegistry;
  waitingRoom: WaitingRoom;
  accountOfVisitor: (visitorId: string) => string;
  /** The signed visitor cookie, shared with the queue API and the waiting page. */
  visitorCookies: VisitorCookieSigner;
  config: Pick<AnteroomConfig, 'publicUrl' | 'pages'>;
  logger: Pick<pino.Logger, 'error' | 'warn'>;
  /** Path of the issuer as the browser sees it (`/oidc`, `/prod/oidc`, …). */
  issuerPath: string;
  /** The queue API's per-client enqueue budget, applied when the interaction takes a new place. */
  enqueueLimiter?: RateLimiter;
  /** The longest wait inside one authorization request: an interaction's lifetime once visited. */
  interactionTtlSeconds: number;
  /** Parked authorization requests (`park.ts`): their waiting page is `/interaction/<token>`. */
  parking: Parking;
  /** The issuer URL: an admitted parked visitor goes on to `<issuer>/auth/<token>`. */
  issuer: string;
}

const UID = /^[A-Za-z0-9_-]{1,64}$/;

/** Handle `rest` (the path below the provider mount) when it is an interaction path; false otherwise. */
export function interactionHandler(
  deps: InteractionDeps,
): (ctx: Koa.Context, rest: string) => Promise<boolean> {
  const publicBasePath = publicUrlPath(deps.config.publicUrl);
  return async (ctx, rest) => {
    const match = /^\/interaction\/([^/]+)(\/status)?$/.exec(rest);
    if (match === null) return false;
    // The waiting pages' base: their asset URLs must reach this app through the same prefix.
    const basePath = requestBasePath(ctx, publicBasePath);
    const uid = match[1]!;
    const parked = PARKED_TOKEN.test(uid);
    if (!UID.test(uid) && !parked) {
      expiredPage(ctx, deps, basePath);
      return true;
    }
    if (match[2] !== undefined) {
      await statusStep(ctx, deps);
      return true;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'POST') {
      ctx.set('Allow', 'GET, POST');
      ctx.status = 405;
      return true;
    }
    if (parked) await parkedStep(ctx, deps, uid, basePath);
    else await waitStep(ctx, deps, uid, basePath);
    return true;
  };
}

/**
 * A parked request's token opened for the browser of `cookies`: its client and visitor, or the
 * problem its page shows (another browser, edited, expired, client or redirect URI gone).
 */
function openParked(
  deps: InteractionDeps,
  cookies: string | undefined,
  token: string,
):
  | { kind: 'ok'; client: OidcClientConfig; visitorId: string; query: string }
  | { kind: 'problem'; problem: { error: string; error_description: string } } {
  const { unparked: opened, visitorId } = deps.parking.open(cookies, token);
  if (opened.kind !== 'ok' || visitorId === null) {
    return {
      kind: 'problem',
      problem: unparkedProblem(opened.kind === 'ok' ? { kind: 'other_browser' } : opened),
    };
  }
  const { query, clientId } = opened.request;
  const client = deps.registry.get(clientId);
  const problem = parkedRequestProblem(query, deps.registry);
  if (problem !== null || client === undefined) {
    return {
      kind: 'problem',
      problem: problem ?? { error: 'invalid_client', error_description: 'client is invalid' },
    };
  }
  return { kind: 'ok', client, visitorId, query };
}

/** One view of a parked request's waiting page, once its token opened. */
function visitParked(
  view: PageView,
  deps: InteractionDeps,
  token: string,
  opened: { client: OidcClientConfig; visitorId: string; query: string },
  basePath: string,
): Promise<void> {
  const { client, visitorId, query } = opened;
  return visit(view, deps, {
    client,
    visitorId,
    accountId: deps.accountOfVisitor(visitorId),
    enqueueToken: new URLSearchParams(query).get('enqueue_token') ?? undefined,
    self: `${deps.issuerPath}/interaction/${token}`,
    basePath,
    // The provider sees the request now (`park.ts`): `<issuer>/auth/<token>` hands it over.
    onAdmitted: async (admission) => {
      const ticket = deps.parking.admittedCookie(token, visitorId, admission);
      if (ticket !== null) view.appendCookie(ticket);
      view.seeOther(`${deps.issuer}/auth/${token}`);
    },
  });
}

/** The waiting page of a parked authorization request: no provider state, the token in the URL. */
async function parkedStep(
  ctx: Koa.Context,
  deps: InteractionDeps,
  token: string,
  basePath: string,
): Promise<void> {
  const opened = openParked(deps, ctx.get('Cookie'), token);
  if (opened.kind === 'problem') {
    ctx.status = 400;
    await renderError(ctx, opened.problem, basePath);
    return;
  }
  try {
    await visitParked(koaView(ctx), deps, token, opened, basePath);
  } catch (error) {
    problemPage(ctx, deps, error, `${deps.issuerPath}/interaction/${token}`, basePath);
  }
}

/**
 * `GET /interaction/<parked request>` for `anteroom serve`'s fast path: the same opening and the
 * same `visit` as the Koa route, answered into `view`. False when the Koa route must answer (a
 * refused token: its error page; a failure: its problem page, the view taken again there — a
 * join finds the same place).
 */
export function parkedPageHandler(
  deps: InteractionDeps,
): (view: PageView, token: string, basePath: string) => Promise<boolean> {
  return async (view, token, basePath) => {
    if (!PARKED_TOKEN.test(token)) return false;
    const opened = openParked(deps, view.cookies, token);
    if (opened.kind === 'problem') return false;
    try {
      await visitParked(view, deps, token, opened, basePath);
    } catch {
      return false;
    }
    return true;
  };
}

async function waitStep(
  ctx: Koa.Context,
  deps: InteractionDeps,
  uid: string,
  basePath: string,
): Promise<void> {
  // The interaction's own URLs follow the issuer (its cookie is scoped to that path).
  const self = `${deps.issuerPath}/interaction/${uid}`;
  let details: Awaited<ReturnType<Provider['interactionDetails']>>;
  try {
    details = await deps.provider.interactionDetails(ctx.req, ctx.res);
  } catch (error) {
    // No interaction cookie, or the interaction is gone: a page, never a stack trace. A store
    // outage is not an expiry: it gets the retry page.
    if (error instanceof Error && error.name === 'SessionNotFound') expiredPage(ctx, deps, basePath);
    else problemPage(ctx, deps, error, self, basePath);
    return;
  }
  if (details.uid !== uid) {
    expiredPage(ctx, deps, basePath);
    return;
  }
  const client = deps.registry.get(details.params['client_id'] as string | undefined);
  if (client === undefined) {
    expiredPage(ctx, deps, basePath);
    return;
  }
  try {
    await keepForTheWait(deps.provider, ctx, details, {
      ttlSeconds: deps.interactionTtlSeconds,
      cookiePath: self,
      publicUrl: new URL(deps.config.publicUrl),
    });
    const visitorId = ensureVisitorId(ctx, deps.config as AnteroomConfig, deps.visitorCookies);
    const accountId = (details.session?.accountId as string | undefined) ?? deps.accountOfVisitor(visitorId);
    const enqueueToken = details.params['enqueue_token'];
    await visit(koaView(ctx), deps, {
      client,
      visitorId,
      accountId,
      enqueueToken: typeof enqueueToken === 'string' ? enqueueToken : undefined,
      self,
      basePath,
      onAdmitted: async (admission) => {
        const result: Record<string, unknown> = {
          [WAITING_ROOM_PROMPT]: {
            event_id: client.eventId,
            request_id: admission.requestId,
          } satisfies WaitingRoomResult,
          login: { accountId, remember: true },
          // Waiting is the only consent asked for: `loadExistingGrant` grants what was requested, and
          // this answers `prompt=consent` too.
          consent: {},
        };
        const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, result, {
          mergeWithLastSubmission: false,
        });
        ctx.set('Cache-Control', 'no-store');
        ctx.status = 303;
        ctx.redirect(returnTo);
      },
    });
  } catch (error) {
    // The interaction expired between reading and finishing it.
    if (error instanceof Error && error.name === 'SessionNotFound') {
      expiredPage(ctx, deps, basePath);
      return;
    }
    problemPage(ctx, deps, error, self, basePath);
  }
}

interface Visit {
  client: OidcClientConfig;
  visitorId: string;
  accountId: string;
  /** The site's enqueue token, given as the `enqueue_token` authorization parameter. */
  enqueueToken: string | undefined;
  /** The page's own URL (forms and polls). */
  self: string;
  basePath: string;
  /** Answer the admitted visitor (the way on to the provider). */
  onAdmitted: (admission: Admission) => Promise<void>;
}

/**
 * One view of the waiting page, for an interaction or a parked request alike: take the place
 * once (the room's one join, keyed by the browser), show where it stands, or go on once admitted.
 */
async function visit(view: PageView, deps: InteractionDeps, visitor: Visit): Promise<void> {
  const { client, visitorId, accountId, self, basePath } = visitor;
  const event = await deps.waitingRoom.room.getEvent(client.eventId);
  const knownPlace = deps.parking.knownPlace(view.cookies, client.eventId, visitorId);
  const state = await deps.waitingRoom.advance(client.eventId, accountId, {
    knownPlace,
    rateLimit: deps.enqueueLimiter?.forClient(view.ip),
    // The key the queue API and the waiting page use for this browser: one place per browser.
    visitorKey: `vid:${visitorId}`,
    credentials: {
      // The waiting page's answer to the entry challenge (a POST of its join form).
      challengeAnswer: await view.challengeAnswer(event),
      enqueueToken: visitor.enqueueToken,
      client: view.ip,
    },
  });
  if (state.kind === 'admitted') {
    await visitor.onAdmitted(state.admission);
    return;
  }
  if (state.kind === 'waiting' && state.status.request_id !== knownPlace) {
    view.appendCookie(deps.parking.placeCookie(client.eventId, visitorId, state.status.request_id));
  }
  const links = linksFor(self, client.eventId, basePath);
  const shown: WaitingView =
    state.kind === 'closed'
      ? { kind: 'closed', event: state.event }
      : state.kind === 'challenge'
        ? {
            kind: 'join',
            event: state.event,
            peopleWaiting: await deps.waitingRoom.room.peopleWaiting(client.eventId),
            challenge: state.challenge,
            failed: state.failed,
          }
        : { kind: 'status', event: state.event, status: state.status, tokens: null };
  const status = state.kind === 'challenge' && state.failed ? 403 : 200;
  const text = pageTextByHeader(deps.config.pages, view.acceptLanguage, view.vary);
  // The room's clock (seconds): the pre-queue's countdown counts from it.
  const options = { refreshSeconds: deps.config.pages.refreshSeconds, nowMs: deps.waitingRoom.now() * 1000 };
  view.page(status, renderWaitingPage(shown, links, text, options), widgetOf(shown));
}

function linksFor(self: string, eventId: string, basePath: string): PageLinks {
  const event = encodeURIComponent(eventId);
  return {
    basePath,
    self,
    join: self,
    admit: self,
    onward: self,
    // The visitor already asked to go in: a solved proof of work sends the form by itself.
    autoJoin: true,
    statusUrl: (requestId) => `${self}/status?event_id=${event}&request_id=${encodeURIComponent(requestId)}`,
    // No stream: the page polls the status above, whose answer makes it reload at the right time.
    streamUrl: () => '',
  };
}

/** The page's poll: the queue's view of one request id (micro-cached counters, one entry read). */
async function statusStep(ctx: Koa.Context, deps: InteractionDeps): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  if (ctx.method !== 'GET') {
    ctx.set('Allow', 'GET');
    ctx.status = 405;
    return;
  }
  const eventId = ctx.query['event_id'];
  const requestId = ctx.query['request_id'];
  try {
    if (typeof eventId !== 'string' || typeof requestId !== 'string') {
      throw new AnteroomError('invalid_parameter', 'event_id and request_id are required');
    }
    const status = await deps.waitingRoom.room.status(eventId, requestId);
    ctx.body = pageStatus(status);
  } catch (error) {
    const answer = errorAnswer(error, deps.logger, undefined);
    if (answer.retryAfter !== undefined) ctx.set('Retry-After', String(answer.retryAfter));
    ctx.status = answer.status;
    ctx.body = answer.body;
  }
}

/** A served position reads as admitted: the page reloads and the reload claims the admission. */
function pageStatus(status: StatusView): StatusView {
  return status.state === 'eligible' ? { ...status, state: 'admitted' } : status;
}

function expiredPage(ctx: Koa.Context, deps: InteractionDeps, basePath: string): void {
  const text = pageTextOf(ctx, deps.config.pages);
  const { signInExpiredTitle, signInExpiredText } = text.messages;
  sendPage(ctx, 400, renderProblemPage(signInExpiredTitle, signInExpiredText, null, basePath, text));
}

function problemPage(
  ctx: Koa.Context,
  deps: InteractionDeps,
  error: unknown,
  self: string,
  basePath: string,
): void {
  const text = pageTextOf(ctx, deps.config.pages);
  if (sendProblemPage(ctx, error, { text, retryHref: self, basePath })) {
    deps.logger.error({ err: error }, 'waiting-room interaction failed');
  }
}
