/**
 * The waiting page, server-rendered for every state so a plain reload (or a browser without
 * JavaScript) always shows the truth. `assets/waiting-room.js` then keeps the numbers current:
 * every live field carries a `data-field`, every state section a `data-section`.
 */
import { CONFIG_DEFAULTS } from '../../../queue-core/defaults.ts';
import { prequeueStart } from '../../../queue-core/draw/schedule.ts';
import type { ChallengeOffer } from '../../../queue-core/entry/gate.ts';
import type { StatusView, TokenSet } from '../../../queue-core/room/room-api.ts';
import type { EventSettings } from '../../../queue-core/types.ts';
import { escapeHtml, escapeText, html, page, SafeHtml } from '../html.ts';
import { etaPhrase, formatCountdown, formatEta, formatUtcTime, queueProgress } from './format.ts';
import {
  challengeMessagesJson,
  clientMessagesJson,
  DEFAULT_PAGE_TEXT,
  type MessageKey,
  type PageText,
  PLACEHOLDER,
} from './messages.ts';
import type { WaitingView } from './state.ts';
import { POW_FIELD, WIDGETS, type Widget, type WidgetProvider } from './widgets.ts';

/**
 * A message as element content: its text escaped, each `{name}` replaced by its value (escaped
 * unless it is already SafeHtml, such as a `<strong>` number or a link). Never for attributes.
 * Each catalogue's messages are split once (`partsOf`): every waiting page says some forty.
 */
function say(
  text: PageText,
  key: MessageKey,
  values: Readonly<Record<string, SafeHtml | string | number>> = {},
): SafeHtml {
  const { parts, whole } = partsOf(text, key);
  if (whole !== null) return whole;
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 3) {
    const name = parts[i] as string;
    // A placeholder without a value stays as written.
    out += Object.hasOwn(values, name) ? html`${values[name]}`.value : (parts[i + 1] as string);
    out += parts[i + 2] as string;
  }
  return new SafeHtml(out);
}

/**
 * A message split at its placeholders: `[text, name, placeholder, text, …]`, each text already
 * escaped; `whole` when it has none (the same SafeHtml every time).
 */
interface MessageParts {
  parts: string[];
  whole: SafeHtml | null;
}

const split = new WeakMap<PageText['messages'], Map<MessageKey, MessageParts>>();

function partsOf(text: PageText, key: MessageKey): MessageParts {
  let catalogue = split.get(text.messages);
  if (catalogue === undefined) {
    catalogue = new Map();
    split.set(text.messages, catalogue);
  }
  let found = catalogue.get(key);
  if (found === undefined) {
    const template = text.messages[key];
    const parts: string[] = [];
    let last = 0;
    for (const match of template.matchAll(PLACEHOLDER)) {
      parts.push(escapeText(template.slice(last, match.index)), match[1] as string, escapeText(match[0]));
      last = match.index + match[0].length;
    }
    parts.push(escapeText(template.slice(last)));
    found = { parts, whole: parts.length === 1 ? new SafeHtml(parts[0] as string) : null };
    catalogue.set(key, found);
  }
  return found;
}

/** A catalogue's client messages as an attribute value, escaped once per catalogue. */
const messagesAttribute = new WeakMap<PageText['messages'], SafeHtml>();

function clientMessagesAttribute(text: PageText): SafeHtml {
  let value = messagesAttribute.get(text.messages);
  if (value === undefined) {
    value = new SafeHtml(escapeHtml(clientMessagesJson(text.messages)));
    messagesAttribute.set(text.messages, value);
  }
  return value;
}

/** Every URL the page hands to the browser, the base path (`/prod`, or `''`) already in each. */
export interface PageLinks {
  /** Path prefix browsers reach us under (`base-path.ts`): put before the asset URLs. */
  basePath: string;
  /** The page itself (GET), with the return URL kept. */
  self: string;
  join: string;
  admit: string;
  /** Where an admitted visitor goes next. */
  onward: string;
  /**
   * Send the join form by itself once a proof of work is solved (the OIDC waiting page: the
   * visitor already asked to go in); otherwise the visitor presses the button.
   */
  autoJoin?: boolean;
  statusUrl: (requestId: string) => string;
  streamUrl: (requestId: string) => string;
}

/** How a page is drawn beyond its words. */
export interface RenderOptions {
  /** The no-JavaScript page's reload pace while something can change (`pages.refreshSeconds`). */
  refreshSeconds?: number;
  /** The time the page shows as "Last updated" (milliseconds). Default: now. */
  nowMs?: number;
}

/** A turn's warning comes this many seconds before it runs out (WCAG 2.2.1). */
export const EXPIRY_WARNING_SECONDS = 60;

/**
 * How often a page without JavaScript reloads itself: at the configured pace, sooner when a
 * turn's warning or its end falls before the next reload, so both show in time, or when the
 * pre-queue's start does (the reload just after it finds the position drawn). Null: a page
 * that no longer changes by itself (closed, expired, ended, admitted).
 */
export function noScriptRefreshSeconds(
  status: StatusView,
  base: number,
  now = Date.now() / 1000,
): number | null {
  if (status.state === 'waiting' && status.phase === 'prequeue' && status.starts_at !== null) {
    const untilStart = Math.ceil(status.starts_at - now);
    return untilStart > 0 ? Math.max(1, Math.min(base, untilStart + 1)) : base;
  }
  if (status.state === 'waiting') return base;
  if (status.state !== 'eligible') return null;
  if (status.expires_in === null) return base;
  const untilWarning = status.expires_in - EXPIRY_WARNING_SECONDS;
  const next = untilWarning > 0 ? untilWarning + 1 : status.expires_in + 1;
  return Math.max(1, Math.min(base, next));
}

/** "Last updated 12:04:05 UTC": the server knows no visitor's time zone; the script shows local time. */
function lastUpdated(nowMs: number, text: PageText): SafeHtml {
  const iso = new Date(nowMs).toISOString();
  const time = html`<time datetime="${iso.replace(/\.\d{3}Z$/, 'Z')}">${iso.slice(11, 19)} UTC</time>`;
  return html`<p class="hint freshness" data-field="freshness">${say(text, 'lastUpdated', { time })}</p>`;
}

/** The two live regions every state has: polite for progress, assertive for "it's your turn". */
const LIVE_REGIONS = html`<div id="ar-announcer" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true"></div>
<div id="ar-alert" class="visually-hidden" role="alert" aria-live="assertive" aria-atomic="true"></div>`;

/** What the page calls the event: its name, else its id. */
function eventLabel(event: EventSettings): string {
  return event.name ?? event.id;
}

function shell(
  title: string,
  label: string,
  content: SafeHtml,
  links: PageLinks,
  text: PageText,
  scripts: string[] = [],
  externalScripts: string[] = [],
  noScriptRefresh: number | null = null,
): string {
  const body = html`<a class="skip-link" href="#main">${say(text, 'skipLink')}</a>
<main id="main" class="card" tabindex="-1">
<p class="eyebrow">${say(text, 'eyebrow')} · <span class="event-id">${label}</span></p>
${content}
${LIVE_REGIONS}
</main>
<footer class="page-footer"><p>${say(text, 'footer')}</p></footer>`;
  return page({
    title,
    body,
    scripts,
    externalScripts,
    basePath: links.basePath,
    lang: text.lang,
    theme: true,
    description: text.messages.metaDescription,
    ...(noScriptRefresh === null ? {} : { noScriptRefreshSeconds: noScriptRefresh }),
  });
}

/** What a visitor should know before the wait: how long a turn is kept, and that one tab is enough. */
function upFront(event: EventSettings, text: PageText): SafeHtml {
  const kept =
    event.queuePositionExpirySeconds === null
      ? html``
      : html`<p class="hint">${say(text, 'turnKeptNotice', { time: formatCountdown(event.queuePositionExpirySeconds) })}</p>`;
  return html`${kept}<p class="hint">${say(text, 'oneTabHint')}</p>`;
}

/** The captcha widget a join view shows, or undefined (its page's CSP lets that provider in). */
export function widgetOf(view: WaitingView): Widget | undefined {
  if (view.kind !== 'join' || view.challenge?.type !== 'siteverify') return undefined;
  return WIDGETS[view.challenge.provider as WidgetProvider];
}

/**
 * The entry challenge inside the join form: a proof of work solved by `entry-challenge.js` in
 * a Web Worker, with its progress; or the provider's widget. Without JavaScript, a message says
 * the check needs it (and the button stays disabled: a form without the answer would only be refused).
 */
function challengeFields(challenge: ChallengeOffer, links: PageLinks, text: PageText): SafeHtml {
  if (challenge.type === 'siteverify') {
    const widget = WIDGETS[challenge.provider as WidgetProvider];
    return html`<p>${say(text, 'challengeWidgetLead')}</p>
<div class="${widget?.className ?? ''}" data-sitekey="${challenge.sitekey}"></div>
<noscript><p class="notice">${say(text, 'challengeWidgetNoScript')}</p></noscript>`;
  }
  return html`<div id="ar-challenge" data-kind="pow" data-prefix="${challenge.prefix}"
 data-difficulty="${challenge.difficulty}" data-expires-at="${challenge.expires_at}"
 data-worker-url="${links.basePath}/assets/pow-worker.js" data-auto-submit="${links.autoJoin ? 'true' : 'false'}"
 data-messages="${challengeMessagesJson(text.messages)}">
<input type="hidden" name="${POW_FIELD}" value="">
<p>${say(text, 'challengeLead')}</p>
<noscript><p class="notice">${say(text, 'challengeNoScript')}</p></noscript>
<div class="progress" data-section="challenge_progress" hidden>
<label for="ar-challenge-progress">${say(text, 'challengeLabel')}</label>
<progress id="ar-challenge-progress" max="100" value="0">0 %</progress>
<p class="hint" data-field="challenge_text" role="status" aria-live="polite"></p>
</div>
</div>`;
}

function joinForm(
  view: Extract<WaitingView, { kind: 'join' }>,
  links: PageLinks,
  text: PageText,
  label: MessageKey,
): SafeHtml {
  const challenge = view.challenge ?? null;
  const failed = view.failed ? html`<p class="notice" role="alert">${say(text, 'challengeFailed')}</p>` : '';
  if (challenge === null)
    return html`<form method="post" action="${links.join}"><button type="submit" class="button primary">${say(text, label)}</button></form>`;
  // A proof of work's button waits for the script; a widget's is usable (the provider refuses an empty token).
  const disabled = challenge.type === 'pow' ? html` disabled` : '';
  return html`${failed}<form method="post" action="${links.join}">
${challengeFields(challenge, links, text)}
<button type="submit" class="button primary"${disabled}>${say(text, label)}</button>
</form>`;
}

/**
 * When the event holds arrivals in a pre-queue until its start (API.md section 6), and the
 * start is still ahead at `nowMs`: the start time (the script shows it in local time), how
 * the positions will be given, and the live countdown. Null otherwise.
 */
function prequeueIntro(
  event: EventSettings,
  startsAt: number | null,
  text: PageText,
  nowMs: number,
): SafeHtml {
  const startIso = new Date((startsAt ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const time = html`<time data-field="starts_at_time" datetime="${startIso}">${formatUtcTime(startsAt ?? 0, nowMs)}</time>`;
  const untilStart = Math.max(0, (startsAt ?? 0) - Math.floor(nowMs / 1000));
  return html`<p class="lead">${say(text, event.draw === 'shuffle' ? 'prequeueLeadShuffle' : 'prequeueLeadFifo', { time })}</p>
<dl class="stats">
<div class="stat wide"><dt>${say(text, 'startsIn')}</dt><dd><span role="timer" data-field="starts_in">${formatCountdown(untilStart)}</span></dd></div>
</dl>`;
}

/** The pre-queue's start while it is still ahead, else null (no pre-queue, or it has started). */
function upcomingStart(event: EventSettings, nowMs: number): number | null {
  const startAt = prequeueStart(event);
  return startAt !== null && nowMs < startAt * 1000 ? startAt : null;
}

function joinView(
  view: Extract<WaitingView, { kind: 'join' }>,
  links: PageLinks,
  text: PageText,
  nowMs: number,
): string {
  const passthrough = view.event.mode === 'passthrough';
  const startsAt = passthrough ? null : upcomingStart(view.event, nowMs);
  if (startsAt !== null) {
    // Before the start nobody is in the line yet: the pre-queue, its start and how it is drawn.
    const content = html`<h1>${say(text, 'prequeueJoinHeading')}</h1>
<div id="ar-start" data-starts-at="${startsAt}" data-now="${nowMs}">
${prequeueIntro(view.event, startsAt, text, nowMs)}
</div>
${joinForm(view, links, text, 'prequeueJoinButton')}
<p class="hint">${say(text, 'joinHint')}</p>
${upFront(view.event, text)}`;
    const scripts = [
      '/assets/waiting-room.js',
      ...(view.challenge?.type === 'pow' ? ['/assets/entry-challenge.js'] : []),
    ];
    const widget = widgetOf(view);
    return shell(
      text.messages.prequeueTitle,
      eventLabel(view.event),
      content,
      links,
      text,
      scripts,
      widget ? [widget.script] : [],
    );
  }
  const content = passthrough
    ? html`<h1>${say(text, 'passthroughHeading')}</h1>
<p class="lead">${say(text, 'passthroughLead')}</p>
${joinForm(view, links, text, 'passthroughButton')}`
    : html`${view.placeLost ? html`<p class="notice" role="status">${say(text, 'announceReset')}</p>` : ''}<h1>${say(text, 'joinHeading')}</h1>
<p class="lead">${say(text, 'joinLead')}</p>
<p class="meta">${say(text, 'joinWaitingNow', { n: html`<strong>${view.peopleWaiting}</strong>` })}</p>
${joinForm(view, links, text, 'joinButton')}
<p class="hint">${say(text, 'joinHint')}</p>
${upFront(view.event, text)}`;
  const title = text.messages[passthrough ? 'passthroughTitle' : 'joinTitle'];
  const scripts = view.challenge?.type === 'pow' ? ['/assets/entry-challenge.js'] : [];
  const widget = widgetOf(view);
  return shell(title, eventLabel(view.event), content, links, text, scripts, widget ? [widget.script] : []);
}

function closedView(event: EventSettings, label: string, links: PageLinks, text: PageText): string {
  if (event.mode === 'sold_out') {
    const content = html`<h1>${say(text, 'soldOutHeading')}</h1>
<p class="lead" data-field="sold_out_message">${event.soldOutMessage ?? say(text, 'soldOutLead')}</p>`;
    return shell(text.messages.soldOutHeading, label, content, links, text);
  }
  const content = html`<h1>${say(text, 'closedHeading')}</h1>
<p class="lead">${say(text, 'closedLead')}</p>
<p><a class="button" href="${links.self}">${say(text, 'closedButton')}</a></p>`;
  return shell(text.messages.closedTitle, label, content, links, text);
}

function tokenField(id: string, label: string, value: string): SafeHtml {
  return html`<div class="token"><label for="${id}">${label}</label>
<textarea id="${id}" readonly rows="3" spellcheck="false">${value}</textarea></div>`;
}

function admittedSection(
  status: StatusView,
  tokens: TokenSet | null,
  links: PageLinks,
  text: PageText,
): SafeHtml {
  const details =
    tokens === null
      ? html``
      : html`<details class="tokens"><summary>${say(text, 'tokensSummary')}</summary>
<p class="hint">${say(text, 'tokensHint', { duration: etaPhrase(tokens.expires_in, text.messages) })}</p>
${tokenField('ar-access-token', text.messages.accessToken, tokens.access_token)}
${tokenField('ar-id-token', text.messages.idToken, tokens.id_token)}
${tokenField('ar-refresh-token', text.messages.refreshToken, tokens.refresh_token)}
</details>`;
  return html`<section data-section="admitted" aria-labelledby="ar-admitted-title">
<h1 id="ar-admitted-title">${say(text, 'admittedTitle')}</h1>
<p class="lead">${say(text, 'admittedLead', { n: html`<strong>${status.queue_number}</strong>` })}</p>
<p><a class="button primary" href="${links.onward}">${say(text, 'admittedContinue')}</a></p>
${details}
</section>`;
}

function endedSection(links: PageLinks, text: PageText): SafeHtml {
  return html`<section data-section="ended" aria-labelledby="ar-ended-title">
<h1 id="ar-ended-title">${say(text, 'endedHeading')}</h1>
<p class="lead">${say(text, 'endedLead')}</p>
<form method="post" action="${links.join}"><button type="submit" class="button primary">${say(text, 'rejoinButton')}</button></form>
</section>`;
}

/**
 * The pre-queue (API.md section 6): the start, how positions are given, the countdown to it;
 * past the start, while the draw runs, a notice that the position comes in a moment.
 */
function prequeueSection(
  status: StatusView,
  event: EventSettings,
  links: PageLinks,
  text: PageText,
  nowMs: number,
): SafeHtml {
  const shown = status.state === 'waiting' && status.phase === 'prequeue';
  const started = status.starts_at === null || status.starts_at * 1000 <= nowMs;
  return html`<section data-section="prequeue" aria-labelledby="ar-prequeue-title" ${shown ? '' : html`hidden`}>
<h1 id="ar-prequeue-title">${say(text, 'prequeueHeading')}</h1>
${prequeueIntro(event, status.starts_at, text, nowMs)}
<p class="notice" data-section="drawing" ${started ? '' : html`hidden`}>${say(text, 'drawingNotice')}</p>
<p class="hint" data-field="live_hint">${say(text, 'reloadHint', { link: html`<a href="${links.self}">${say(text, 'reloadLink')}</a>` })}</p>
${upFront(event, text)}
</section>`;
}

/**
 * The sections a queued visitor moves through without reloading: pre-queue → waiting →
 * eligible (or expired).
 */
function liveSections(
  status: StatusView,
  event: EventSettings,
  links: PageLinks,
  text: PageText,
  nowMs: number,
): SafeHtml {
  // In a pre-queue the position is not drawn yet (null): no progress to show.
  const progress = queueProgress(status.queue_number ?? 0, status.serving_counter);
  const prequeue = status.phase === 'prequeue';
  const waiting = status.state === 'waiting' && !prequeue;
  const eligible = status.state === 'eligible';
  const expired = status.state === 'expired';
  const expiresText = status.expires_in === null ? '' : formatCountdown(status.expires_in);
  const warning = eligible && status.expires_in !== null && status.expires_in <= EXPIRY_WARNING_SECONDS;
  // Joining again is what an expired visitor can do, unless the event takes nobody new.
  const canRejoin = status.mode !== 'closed' && status.mode !== 'sold_out';
  const soldOut = status.mode === 'sold_out';
  return html`<p class="notice" data-section="paused" ${status.mode === 'closed' ? '' : html`hidden`}>${say(text, 'pausedNotice')}</p>
<div class="notice" role="alert" data-section="sold_out" ${soldOut ? '' : html`hidden`}><strong>${say(text, 'soldOutHeading')}</strong>
<p data-field="sold_out_message">${status.sold_out_message ?? say(text, 'soldOutLead')}</p></div>
${prequeue ? prequeueSection(status, event, links, text, nowMs) : ''}
<section data-section="waiting" aria-labelledby="ar-waiting-title" ${waiting ? '' : html`hidden`}>
<h1 id="ar-waiting-title" data-field="waiting_heading">${say(text, status.ahead === 0 ? 'waitingHeadingNext' : 'waitingHeading')}</h1>
<dl class="stats">
<div class="stat"><dt>${say(text, 'yourPlace')}</dt><dd data-field="queue_number">${status.queue_number ?? '–'}</dd></div>
<div class="stat"><dt>${say(text, 'peopleAhead')}</dt><dd data-field="ahead">${status.ahead ?? '–'}</dd></div>
<div class="stat wide"><dt>${say(text, 'estimatedWait')}</dt><dd data-field="eta">${formatEta(status.eta_seconds, text.messages)}</dd></div>
</dl>
<div class="progress">
<label for="ar-progress">${say(text, 'progressLabel')}</label>
<progress id="ar-progress" data-field="progress" max="${progress.max}" value="${progress.value}">${say(text, 'progressBar', progress)}</progress>
<p class="hint" data-field="progress_text">${say(text, 'progressText', progress)}</p>
</div>
<p class="hint" data-field="live_hint">${say(text, 'reloadHint', { link: html`<a href="${links.self}">${say(text, 'reloadLink')}</a>` })}</p>
${upFront(event, text)}
</section>
<section data-section="eligible" aria-labelledby="ar-eligible-title" ${eligible ? '' : html`hidden`}>
<h1 id="ar-eligible-title">${say(text, 'eligibleTitle')}</h1>
<p class="lead">${say(text, 'eligibleLead')}</p>
<p class="meta" data-section="expiry" ${status.expires_in === null ? html`hidden` : ''}>${say(text, 'eligibleKeptFor', { time: html`<strong data-field="expires_in">${expiresText}</strong>` })}</p>
<p class="notice" data-section="expiry_warning" ${warning ? '' : html`hidden`}>${say(text, 'expiryWarning')}</p>
<form method="post" action="${links.admit}"><button type="submit" id="ar-let-me-in" class="button primary">${say(text, 'eligibleButton')}</button></form>
</section>
<section data-section="expired" aria-labelledby="ar-expired-title" ${expired ? '' : html`hidden`}>
<h1 id="ar-expired-title">${say(text, 'expiredTitle')}</h1>
<p class="lead">${say(text, 'expiredLead')}</p>
<form method="post" action="${links.join}" data-section="rejoin" ${canRejoin ? '' : html`hidden`}><button type="submit" class="button primary">${say(text, 'rejoinButton')}</button></form>
</section>`;
}

/**
 * The part of the page the script keeps true (`assets/waiting-room.js`): what it reads its
 * sources and words from, the sections it switches between, and the freshness line.
 */
function liveRoot(
  status: StatusView,
  content: SafeHtml,
  links: PageLinks,
  text: PageText,
  nowMs: number,
): SafeHtml {
  return html`<div id="ar-live" data-event-id="${status.event_id}" data-request-id="${status.request_id}"
 data-state="${status.state}" data-phase="${status.phase}" data-starts-at="${status.starts_at ?? ''}" data-now="${nowMs}" data-status-url="${links.statusUrl(status.request_id)}"
 data-stream-url="${links.streamUrl(status.request_id)}" data-messages="${clientMessagesAttribute(text)}">
${content}
${lastUpdated(nowMs, text)}
</div>`;
}

function statusView(
  view: Extract<WaitingView, { kind: 'status' }>,
  links: PageLinks,
  text: PageText,
  options: RenderOptions,
): string {
  const { status } = view;
  const nowMs = options.nowMs ?? Date.now();
  const scripts = ['/assets/waiting-room.js'];
  if (status.state === 'admitted') {
    // Kept live too: the end of the session (an operator's, or the site's) reaches the open page.
    const content = liveRoot(status, admittedSection(status, view.tokens, links, text), links, text, nowMs);
    return shell(text.messages.admittedTitle, eventLabel(view.event), content, links, text, scripts);
  }
  if (status.state === 'ended') {
    return shell(text.messages.endedTitle, eventLabel(view.event), endedSection(links, text), links, text);
  }
  const live = liveRoot(status, liveSections(status, view.event, links, text, nowMs), links, text, nowMs);
  const title =
    text.messages[
      status.state === 'eligible'
        ? 'eligibleTitle'
        : status.state === 'expired'
          ? 'expiredTitle'
          : status.phase === 'prequeue'
            ? 'prequeueTitle'
            : 'waitingTitle'
    ];
  const refresh = noScriptRefreshSeconds(
    status,
    options.refreshSeconds ?? CONFIG_DEFAULTS.pages.refreshSeconds,
    nowMs / 1000,
  );
  return shell(title, eventLabel(view.event), live, links, text, scripts, [], refresh);
}

export function renderWaitingPage(
  view: WaitingView,
  links: PageLinks,
  text: PageText = DEFAULT_PAGE_TEXT,
  options: RenderOptions = {},
): string {
  if (view.kind === 'join') return joinView(view, links, text, options.nowMs ?? Date.now());
  if (view.kind === 'closed') return closedView(view.event, eventLabel(view.event), links, text);
  return statusView(view, links, text, options);
}

/**
 * Unknown event, outage and the like: a readable page, never a stack trace. `reloadHref`
 * already carries the base path; `basePath` is for the asset URLs.
 */
export function renderProblemPage(
  title: string,
  lead: string,
  reloadHref: string | null,
  basePath = '',
  text: PageText = DEFAULT_PAGE_TEXT,
): string {
  const reload =
    reloadHref === null
      ? html``
      : html`<p><a class="button" href="${reloadHref}">${say(text, 'problemTryAgain')}</a></p>`;
  // Never a dead end: the start page (the first waiting room) is always one link away.
  const body = html`<main id="main" class="card" tabindex="-1">
<h1>${title}</h1>
<p class="lead">${lead}</p>
${reload}
<p><a href="${basePath}/">${say(text, 'problemHomeLink')}</a></p>
</main>`;
  return page({
    title,
    body,
    basePath,
    lang: text.lang,
    theme: true,
    description: text.messages.metaDescription,
  });
}
