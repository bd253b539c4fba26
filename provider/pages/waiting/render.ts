/**
 * The waiting page, server-rendered for every state so a plain reload (or a browser without
 * JavaScript) always shows the truth. `assets/waiting-room.js` then keeps the numbers current:
 * every live field carries a `data-field`, every state section a `data-section`.
 */
import type { StatusView, TokenSet } from '../../../queue-core/room-api.ts';
import { html, page, type SafeHtml } from '../html.ts';
import { formatCountdown, formatEta, queueProgress } from './format.ts';
import type { WaitingView } from './state.ts';

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
  statusUrl: (requestId: string) => string;
  streamUrl: (requestId: string) => string;
}

/** The two live regions every state has: polite for progress, assertive for "it's your turn". */
const LIVE_REGIONS = html`<div id="ar-announcer" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true"></div>
<div id="ar-alert" class="visually-hidden" role="alert" aria-live="assertive" aria-atomic="true"></div>`;

function shell(
  title: string,
  eventId: string,
  content: SafeHtml,
  links: PageLinks,
  scripts: string[] = [],
): string {
  const body = html`<a class="skip-link" href="#main">Skip to content</a>
<main id="main" class="card" tabindex="-1">
<p class="eyebrow">Waiting room · <span class="event-id">${eventId}</span></p>
${content}
${LIVE_REGIONS}
</main>
<footer class="page-footer"><p>Anteroom keeps your place in a fair, first-come queue. Reloading never loses it.</p></footer>`;
  return page({ title, body, scripts, basePath: links.basePath });
}

function joinView(view: Extract<WaitingView, { kind: 'join' }>, links: PageLinks): string {
  const passthrough = view.event.mode === 'passthrough';
  const content = passthrough
    ? html`<h1>No waiting right now</h1>
<p class="lead">The site is ready for you. Go straight in.</p>
<form method="post" action="${links.join}"><button type="submit" class="button primary">Go to the site</button></form>`
    : html`<h1>The site is busy</h1>
<p class="lead">Take your place in the queue and we will let you in as soon as it is your turn.</p>
<p class="meta">People waiting now: <strong>${view.waitingNum}</strong></p>
<form method="post" action="${links.join}"><button type="submit" class="button primary">Take your place</button></form>
<p class="hint">You keep your place if you reload or come back to this page.</p>`;
  return shell(passthrough ? 'Go straight in' : 'Waiting room', view.event.id, content, links);
}

function closedView(eventId: string, links: PageLinks): string {
  const content = html`<h1>This waiting room is closed</h1>
<p class="lead">It is not taking new visitors right now. Please come back later.</p>
<p><a class="button" href="${links.self}">Check again</a></p>`;
  return shell('Waiting room closed', eventId, content, links);
}

function tokenField(id: string, label: string, value: string): SafeHtml {
  return html`<div class="token"><label for="${id}">${label}</label>
<textarea id="${id}" readonly rows="3" spellcheck="false">${value}</textarea></div>`;
}

function admittedSection(status: StatusView, tokens: TokenSet | null, links: PageLinks): SafeHtml {
  const details =
    tokens === null
      ? html``
      : html`<details class="tokens"><summary>Your admission tokens</summary>
<p class="hint">The site checks these to let you in. They are valid for ${formatEta(tokens.expires_in).toLowerCase()}.</p>
${tokenField('ar-access-token', 'Access token', tokens.access_token)}
${tokenField('ar-id-token', 'ID token', tokens.id_token)}
${tokenField('ar-refresh-token', 'Refresh token', tokens.refresh_token)}
</details>`;
  return html`<section data-section="admitted" aria-labelledby="ar-admitted-title">
<h1 id="ar-admitted-title">You're in</h1>
<p class="lead">Your place was number <strong>${status.queue_number}</strong>. You have been admitted.</p>
<p><a class="button primary" href="${links.onward}">Continue to the site</a></p>
${details}
</section>`;
}

function endedSection(title: string, text: string, links: PageLinks): SafeHtml {
  return html`<section data-section="ended" aria-labelledby="ar-ended-title">
<h1 id="ar-ended-title">${title}</h1>
<p class="lead">${text}</p>
<form method="post" action="${links.join}"><button type="submit" class="button primary">Join the queue again</button></form>
</section>`;
}

/** The sections a queued visitor moves through without reloading: waiting → eligible (or expired). */
function liveSections(status: StatusView, links: PageLinks): SafeHtml {
  const progress = queueProgress(status.queue_number, status.serving_counter);
  const waiting = status.state === 'waiting';
  const eligible = status.state === 'eligible';
  const expired = status.state === 'expired';
  const expiresText = status.expires_in === null ? '' : formatCountdown(status.expires_in);
  return html`<p class="notice" data-section="paused" ${status.mode === 'closed' ? '' : html`hidden`}>The queue is paused for the moment. You keep your place.</p>
<section data-section="waiting" aria-labelledby="ar-waiting-title" ${waiting ? '' : html`hidden`}>
<h1 id="ar-waiting-title">You're in the queue</h1>
<dl class="stats">
<div class="stat"><dt>Your place</dt><dd data-field="queue_number">${status.queue_number}</dd></div>
<div class="stat"><dt>People ahead of you</dt><dd data-field="ahead">${status.ahead}</dd></div>
<div class="stat wide"><dt>Estimated wait</dt><dd data-field="eta">${formatEta(status.eta_seconds)}</dd></div>
</dl>
<div class="progress">
<label for="ar-progress">Queue progress</label>
<progress id="ar-progress" data-field="progress" max="${progress.max}" value="${progress.value}">${progress.value} of ${progress.max}</progress>
<p class="hint" data-field="progress_text">${progress.value} of ${progress.max} places let in so far</p>
</div>
<p class="hint" data-field="live_hint">Reload this page to see your latest position: <a href="${links.self}">reload</a>.</p>
</section>
<section data-section="eligible" aria-labelledby="ar-eligible-title" ${eligible ? '' : html`hidden`}>
<h1 id="ar-eligible-title">It's your turn</h1>
<p class="lead">Thank you for waiting. You can go in now.</p>
<p class="meta" data-section="expiry" ${status.expires_in === null ? html`hidden` : ''}>Your turn is kept for <strong data-field="expires_in">${expiresText}</strong>.</p>
<form method="post" action="${links.admit}"><button type="submit" class="button primary">Let me in</button></form>
</section>
<section data-section="expired" aria-labelledby="ar-expired-title" ${expired ? '' : html`hidden`}>
<h1 id="ar-expired-title">Your place has expired</h1>
<p class="lead">Your turn came but was not used in time. You can join the queue again.</p>
<form method="post" action="${links.join}"><button type="submit" class="button primary">Join the queue again</button></form>
</section>`;
}

function statusView(view: Extract<WaitingView, { kind: 'status' }>, links: PageLinks): string {
  const { status } = view;
  if (status.state === 'admitted') {
    return shell("You're in", view.event.id, admittedSection(status, view.tokens, links), links);
  }
  if (status.state === 'ended') {
    const text = 'Your visit has ended. If you want to come back, join the queue again.';
    return shell('Visit ended', view.event.id, endedSection('Your visit has ended', text, links), links);
  }
  const live = html`<div id="ar-live" data-event-id="${status.event_id}" data-request-id="${status.request_id}"
 data-state="${status.state}" data-status-url="${links.statusUrl(status.request_id)}"
 data-stream-url="${links.streamUrl(status.request_id)}">
${liveSections(status, links)}
</div>`;
  const title = status.state === 'eligible' ? "It's your turn" : 'Waiting room';
  return shell(title, view.event.id, live, links, ['/assets/waiting-room.js']);
}

export function renderWaitingPage(view: WaitingView, links: PageLinks): string {
  if (view.kind === 'join') return joinView(view, links);
  if (view.kind === 'closed') return closedView(view.event.id, links);
  return statusView(view, links);
}

/**
 * Unknown event, outage and the like: a readable page, never a stack trace. `reloadHref`
 * already carries the base path; `basePath` is for the asset URLs.
 */
export function renderProblemPage(
  title: string,
  text: string,
  reloadHref: string | null,
  basePath = '',
): string {
  const reload =
    reloadHref === null ? html`` : html`<p><a class="button" href="${reloadHref}">Try again</a></p>`;
  const body = html`<main id="main" class="card" tabindex="-1">
<h1>${title}</h1>
<p class="lead">${text}</p>
${reload}
</main>`;
  return page({ title, body, basePath });
}
