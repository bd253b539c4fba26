/**
 * The sample site's pages, in the waiting page's look (same shell, same stylesheet, no script).
 */
import { html, page } from '../html.ts';

/** The claims the session keeps (what the provider put in the ID token). */
export interface SessionClaims {
  sub: string;
  event_id: string | null;
  queue_position: number | null;
  queued_at: number | null;
  admitted_at: number | null;
}

function when(seconds: number | null): string {
  return seconds === null ? '—' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function stat(label: string, field: string, value: string, wide = false) {
  return html`<div class="${wide ? 'stat wide' : 'stat'}"><dt>${label}</dt><dd data-claim="${field}">${value}</dd></div>`;
}

export function renderSignedIn(claims: SessionClaims, links: { basePath: string; signOut: string }): string {
  const body = html`<a class="skip-link" href="#main">Skip to content</a>
<main id="main" class="card" tabindex="-1">
<p class="eyebrow">Sample site · <span class="event-id">${claims.event_id ?? ''}</span></p>
<h1>You are in — admitted from the waiting room</h1>
<p class="lead">Anteroom kept your place in the queue and, when your turn came, signed you in to this site with OpenID Connect. These claims come from the ID token it issued:</p>
<dl class="stats">
${stat('Queue position', 'queue_position', claims.queue_position === null ? '—' : String(claims.queue_position))}
${stat('Event', 'event_id', claims.event_id ?? '—')}
${stat('Queued at', 'queued_at', when(claims.queued_at), true)}
${stat('Admitted at', 'admitted_at', when(claims.admitted_at), true)}
</dl>
<p class="hint">This page is a tiny relying party built into Anteroom for demonstration only. A real site would not carry such code: it would put an AWS Application Load Balancer (authenticate-oidc), Apache mod_auth_openidc or oauth2-proxy in front of itself, pointed at this provider, and read the same claims from the headers they pass on.</p>
<p><a class="button" href="${links.signOut}">Sign out</a></p>
</main>
<footer class="page-footer"><p>Served by Anteroom's sample site at /sample-site/.</p></footer>`;
  return page({ title: 'You are in', body, basePath: links.basePath });
}

export function renderSignInProblem(
  title: string,
  text: string,
  links: { basePath: string; retry: string },
): string {
  const body = html`<main id="main" class="card" tabindex="-1">
<p class="eyebrow">Sample site</p>
<h1>${title}</h1>
<p class="lead">${text}</p>
<p><a class="button" href="${links.retry}">Start again</a></p>
</main>`;
  return page({ title, body, basePath: links.basePath });
}
