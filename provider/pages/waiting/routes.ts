/**
 * The waiting page's routes on the public app. Each handler is a list of named steps; every
 * POST answers 303 back to the page, so a reload never repeats an action and the page (not
 * the POST) always shows the state.
 *
 *   GET  /                              the demo event (the first configured event)
 *   GET  /waiting-room/:event_id        the waiting page
 *   POST /waiting-room/:event_id/join   take a place (idempotent per visitor)
 *   POST /waiting-room/:event_id/admit  claim the admission tokens once it is your turn
 */
import { Router } from '@koa/router';
import type Koa from 'koa';
import { AnteroomError } from '../../../queue-core/errors.ts';
import { parseEventId } from '../../../queue-core/validate.ts';
import type { AppDeps } from '../../apps/deps.ts';
import { receiptCookieHeader, restoreFromReceipt } from '../../http/place-receipt.ts';
import { ensureVisitorId, readRequestCookie, writeRequestCookie } from '../../http/visitor.ts';
import { publicUrlPath, requestBasePath } from '../base-path.ts';
import { pageTextOf, sendPage } from '../headers.ts';
import { onwardUrl, safeReturnUrl } from './onward.ts';
import { sendProblemPage } from './problem.ts';
import { type PageLinks, renderProblemPage, renderWaitingPage, widgetOf } from './render.ts';
import { loadWaitingView, type WaitingView } from './state.ts';
import { challengeAnswerOf } from './widgets.ts';

export interface WaitingPageOptions {
  /** Where admitted visitors go when the page URL names no `return_url`. Default: the site root. */
  defaultOnwardUrl?: string;
  /** An event's own onward URL (base path included), before `defaultOnwardUrl`; null: none. */
  onwardFor?: ((eventId: string, basePath: string) => string | null) | undefined;
}

interface PageRequest {
  eventId: string;
  returnUrl: string | null;
  links: PageLinks;
}

function withReturn(path: string, returnUrl: string | null): string {
  return returnUrl === null ? path : `${path}?return_url=${encodeURIComponent(returnUrl)}`;
}

function linksFor(
  basePath: string,
  eventId: string,
  returnUrl: string | null,
  options: WaitingPageOptions,
): PageLinks {
  const base = `${basePath}/waiting-room/${encodeURIComponent(eventId)}`;
  const event = encodeURIComponent(eventId);
  return {
    basePath,
    self: withReturn(base, returnUrl),
    join: withReturn(`${base}/join`, returnUrl),
    admit: withReturn(`${base}/admit`, returnUrl),
    onward:
      returnUrl ?? options.onwardFor?.(eventId, basePath) ?? options.defaultOnwardUrl ?? onwardUrl(null),
    statusUrl: (requestId) =>
      `${basePath}/status?event_id=${event}&request_id=${encodeURIComponent(requestId)}`,
    streamUrl: (requestId) =>
      `${basePath}/events/${event}/stream?request_id=${encodeURIComponent(requestId)}`,
  };
}

/**
 * A form post from another site is refused: the page's actions belong to this origin only.
 * The public URL's host counts as ours too, for proxies that rewrite the Host header.
 */
function checkSameOrigin(ctx: Koa.Context, publicUrl: string): void {
  const origin = ctx.get('Origin');
  if (origin === '') return;
  let host = '';
  try {
    host = new URL(origin).host;
  } catch {
    // "null" (a sandboxed or privacy-restricted context) and garbage are not ours.
  }
  if (host !== ctx.host && host !== new URL(publicUrl).host) {
    throw new AnteroomError('cross_origin_form');
  }
}

/** Renders failures as pages: an unknown event is a 404 page, the rest as `sendProblemPage` says. */
async function renderFailure(
  ctx: Koa.Context,
  deps: AppDeps,
  error: unknown,
  retryHref: string,
  basePath: string,
): Promise<void> {
  const text = pageTextOf(ctx, deps.config.pages);
  if (error instanceof AnteroomError && error.code === 'invalid_event_id') {
    const { problemNoRoomTitle, problemNoRoomText } = text.messages;
    sendPage(ctx, 404, renderProblemPage(problemNoRoomTitle, problemNoRoomText, null, basePath, text));
    return;
  }
  if (sendProblemPage(ctx, error, { text, retryHref, basePath })) {
    deps.logger.error({ err: error, path: ctx.path }, 'waiting page failed');
  }
}

export function waitingRoutes(deps: AppDeps, options: WaitingPageOptions = {}): Koa.Middleware {
  const router = new Router();
  const publicBasePath = publicUrlPath(deps.config.publicUrl);

  function pageRequest(ctx: Koa.Context, rawEventId: unknown): PageRequest {
    const basePath = requestBasePath(ctx, publicBasePath);
    const eventId = parseEventId(rawEventId);
    const returnUrl = safeReturnUrl(ctx.query['return_url'], deps.config.publicUrl);
    return { eventId, returnUrl, links: linksFor(basePath, eventId, returnUrl, options) };
  }

  async function showPage(ctx: Koa.Context, rawEventId: unknown): Promise<void> {
    let request: PageRequest | null = null;
    try {
      request = pageRequest(ctx, rawEventId);
      const requestId = readRequestCookie(ctx, request.eventId);
      let view = await loadWaitingView(deps.room, request.eventId, requestId);
      if (view.kind === 'join' && view.placeLost && requestId !== null) {
        // A place the store lost, re-created from the visitor's receipt (http/place-receipt.ts).
        const restored = await restoreFromReceipt(deps, request.eventId, requestId, ctx.get('Cookie'));
        if (restored !== null) {
          for (const cookie of restored.setCookies) ctx.append('Set-Cookie', cookie);
          view = await loadWaitingView(deps.room, request.eventId, restored.entry.requestId);
        }
      }
      sendView(ctx, 200, view, request.links);
    } catch (error) {
      const basePath = requestBasePath(ctx, publicBasePath);
      await renderFailure(ctx, deps, error, request?.links.self ?? `${basePath}${ctx.path}`, basePath);
    }
  }

  function sendView(ctx: Koa.Context, status: number, view: WaitingView, links: PageLinks): void {
    const text = pageTextOf(ctx, deps.config.pages);
    const options = { refreshSeconds: deps.config.pages.refreshSeconds, nowMs: deps.roomNowMs() };
    sendPage(ctx, status, renderWaitingPage(view, links, text, options), widgetOf(view));
  }

  /** True when the answer was written here (the join form again, with a fresh challenge). */
  async function takePlace(request: PageRequest, ctx: Koa.Context): Promise<boolean> {
    const event = await deps.room.getEvent(request.eventId);
    const joined = await deps.room.join(event, {
      // The entry challenge's answer, from the join form (the worker's proof of work, or the widget's token).
      challengeAnswer: await challengeAnswerOf(ctx, event),
      client: ctx.ip,
      // The same key the queue API uses for this browser (`vid:<visitor id>`), so page and API agree.
      visitorKey: `vid:${ensureVisitorId(ctx, deps.config, deps.visitorCookies)}`,
      // Joining again after an expired or ended place takes the one place that replaces it.
      previous: readRequestCookie(ctx, request.eventId),
      // The queue API's per-client budget applies to the form too (a 429 page, no place used up).
      rateLimit: deps.enqueueLimiter.forClient(ctx.ip),
    });
    switch (joined.kind) {
      // Closed: the page says so.
      case 'closed':
        return false;
      case 'challenge_required':
      case 'challenge_failed': {
        // No place taken: the form again, with a fresh challenge and, after an answer, why.
        const view: WaitingView = {
          kind: 'join',
          event,
          peopleWaiting: await deps.room.peopleWaiting(event.id),
          challenge: joined.challenge,
          failed: joined.kind === 'challenge_failed',
        };
        sendView(ctx, 403, view, request.links);
        return true;
      }
      case 'not_open':
        throw new AnteroomError('event_not_open');
      case 'enqueue_token_required':
      case 'enqueue_token_invalid':
        throw new AnteroomError(joined.kind);
      case 'joined':
        break;
    }
    writeRequestCookie(ctx, deps.config, request.eventId, joined.place.requestId);
    // The place's signed receipt: what re-creates it if the store loses it (http/place-receipt.ts).
    const receipt = await receiptCookieHeader(deps, joined.place);
    if (receipt !== null) ctx.append('Set-Cookie', receipt);
    // Pass-through: no waiting at all, the admission is claimed at once.
    if (event.mode === 'passthrough') await deps.room.admit(request.eventId, joined.place.requestId);
    return false;
  }

  async function claimAdmission(request: PageRequest, ctx: Koa.Context): Promise<boolean> {
    const requestId = readRequestCookie(ctx, request.eventId);
    // Not served yet, expired, ended or unknown: the page shows which, with the way forward.
    if (requestId !== null) await deps.room.admit(request.eventId, requestId);
    return false;
  }

  function formAction(step: (request: PageRequest, ctx: Koa.Context) => Promise<boolean>): Koa.Middleware {
    return async function runFormAction(ctx) {
      let request: PageRequest | null = null;
      try {
        checkSameOrigin(ctx, deps.config.publicUrl);
        request = pageRequest(ctx, (ctx as unknown as { params: Record<string, string> }).params['event_id']);
        if ((await step(request, ctx)) === true) return;
        ctx.status = 303;
        ctx.redirect(request.links.self);
      } catch (error) {
        const basePath = requestBasePath(ctx, publicBasePath);
        await renderFailure(ctx, deps, error, request?.links.self ?? `${basePath}/`, basePath);
      }
    };
  }

  const firstEventId = deps.config.events[0]?.id;
  router.get('/', async function demoWaitingPage(ctx, next) {
    if (firstEventId === undefined) return next();
    await showPage(ctx, firstEventId);
  });
  router.get('/waiting-room/:event_id', async function waitingPage(ctx) {
    await showPage(ctx, ctx.params['event_id']);
  });
  router.post('/waiting-room/:event_id/join', formAction(takePlace));
  router.post('/waiting-room/:event_id/admit', formAction(claimAdmission));
  return router.routes() as unknown as Koa.Middleware;
}
