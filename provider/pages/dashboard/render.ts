/**
 * The dashboard document: a sign-in form, a status line, and a `<template>` of one event's
 * panel that `assets/dashboard.js` clones per event (text is only ever set with textContent).
 */
import { html, page, type SafeHtml } from '../html.ts';

const STATS = [
  ['serving', 'Serving counter'],
  ['queue', 'Positions handed out'],
  ['people_waiting', 'Waiting (not yet reached)'],
  ['waiting', 'waiting_num (API: not yet let in or unclaimed)'],
  ['active', 'Active sessions'],
  ['rate', 'Let in / min'],
] as const;

const SERIES = ['Serving counter', 'Positions handed out', 'Waiting (not yet reached)', 'Active sessions'];

/** The adaptive inlet's controller (API.md section 7), shown for adaptive events only. */
const INLET_STATS = [
  ['inlet_rate', 'Admission rate / min'],
  ['inlet_latency', 'Origin p95 (ms)'],
  ['inlet_errors', 'Origin errors'],
] as const;

/** A legend's sample of a chart line: its colour and its pattern (dashes, dots), as drawn. */
function swatch(series: string): SafeHtml {
  return html`<svg class="swatch" viewBox="0 0 28 10" aria-hidden="true" focusable="false"><line class="series ${series}" x1="1" y1="5" x2="27" y2="5"/></svg>`;
}

const eventTemplate = html`<template id="event-template">
<section class="panel event">
<div class="event-head">
<h2 data-field="title"></h2>
<p><span class="badge" data-field="mode"></span> <span class="meta" data-field="inlet_summary"></span></p>
</div>
<p class="meta prequeue-line" data-field="prequeue" hidden></p>
<p class="meta visitors-line" data-field="visitors" hidden>Waiting visitors at the last inlet pass: <span data-field="present">–</span> present, <span data-field="absent">–</span> absent (gone longer than <code>abandonAfterSeconds</code>; the inlet passes them)</p>
<p class="meta"><span data-field="settings_summary"></span> · <a data-field="page_link" href="/">Open the waiting page</a></p>
<dl class="counters">
${STATS.map(([field, label]) => html`<div class="stat"><dt>${label}</dt><dd data-field="${field}">–</dd></div>`)}
</dl>
<p class="meta" data-field="eta_accuracy"></p>
<svg class="chart" data-field="chart" viewBox="0 0 640 220" role="img" aria-label="Chart of the counters over time"></svg>
<ul class="chart-legend">
${SERIES.map((label, index) => html`<li>${swatch(`s${index}`)}${label}</li>`)}
</ul>
<div class="inlet-health" data-field="inlet_health" hidden>
<h3>Admission rate and origin health</h3>
<p class="meta" data-field="inlet_reason"></p>
<dl class="counters">
${INLET_STATS.map(([field, label]) => html`<div class="stat"><dt>${label}</dt><dd data-field="${field}">–</dd></div>`)}
</dl>
<svg class="chart" data-field="inlet_chart" viewBox="0 0 640 220" role="img" aria-label="Chart of the admission rate and the origin's latency over time"></svg>
<ul class="chart-legend">
<li>${swatch('s0')}Admission rate (a minute, left scale)</li>
<li>${swatch('s1')}Origin p95 latency (ms, right scale)</li>
<li>${swatch('target')}Latency target</li>
</ul>
</div>
<div class="controls">
<fieldset>
<legend>Serving counter</legend>
<div class="inline-fields">
<div class="field"><label data-for="increment-by">Increment by</label><input data-id="increment-by" type="number" step="1" value="1" inputmode="numeric"></div>
<button type="button" class="button primary" data-action="increment">Increment serving counter</button>
</div>
</fieldset>
<fieldset>
<legend>Mode</legend>
<div class="button-row">
<button type="button" class="button small" data-action="mode" data-mode="queue">Resume queue</button>
<button type="button" class="button small" data-action="mode" data-mode="closed">Pause (close)</button>
<button type="button" class="button small" data-action="mode" data-mode="passthrough">Pass-through</button>
</div>
</fieldset>
<fieldset>
<legend>Inlet strategy</legend>
<div class="field"><label data-for="inlet-type">Strategy</label>
<select data-id="inlet-type">
<option value="manual">Manual</option>
<option value="periodic">Periodic</option>
<option value="max-size">Max size</option>
<option value="adaptive">Adaptive (origin health)</option>
</select></div>
<div class="inline-fields">
<div class="field" data-inlet="periodic"><label data-for="inlet-increment">Admit per tick</label><input data-id="inlet-increment" type="number" min="1" step="1" value="5"></div>
<div class="field" data-inlet="periodic"><label data-for="inlet-interval">Seconds per tick</label><input data-id="inlet-interval" type="number" min="1" step="1" value="10"></div>
<div class="field" data-inlet="max-size"><label data-for="inlet-max">Max active sessions</label><input data-id="inlet-max" type="number" min="1" step="1" value="100"></div>
<div class="field" data-inlet="adaptive"><label data-for="inlet-min-rate">Least a minute</label><input data-id="inlet-min-rate" type="number" min="0" step="1" value="10"></div>
<div class="field" data-inlet="adaptive"><label data-for="inlet-max-rate">Most a minute</label><input data-id="inlet-max-rate" type="number" min="1" step="1" value="600"></div>
<div class="field" data-inlet="adaptive"><label data-for="inlet-latency">Target p95 (ms)</label><input data-id="inlet-latency" type="number" min="1" step="1" value="500"></div>
<div class="field" data-inlet="adaptive"><label data-for="inlet-errors">Target error rate</label><input data-id="inlet-errors" type="number" min="0" max="1" step="0.001" value="0.01"></div>
<button type="button" class="button small" data-action="inlet">Apply strategy</button>
</div>
</fieldset>
<fieldset>
<legend>Reset</legend>
<p class="hint">Removes every position, session and counter of this event. Type the event id to confirm.</p>
<div class="inline-fields">
<div class="field"><label data-for="reset-confirm">Event id</label><input data-id="reset-confirm" type="text" autocomplete="off" spellcheck="false"></div>
<button type="button" class="button small danger" data-action="reset">Reset event</button>
</div>
</fieldset>
</div>
<p class="status-line" data-field="message" role="status" aria-live="polite"></p>
</section>
</template>`;

/**
 * `publicUrl` lets the page link each event to its waiting page (it is not a secret);
 * `basePath` is the prefix the admin app is reached under (its assets and the admin API the
 * script calls are below it).
 */
export function renderDashboardPage(publicUrl: string, basePath = ''): string {
  const body = html`<div class="dashboard" id="dashboard" data-public-url="${publicUrl}" data-api-base="${basePath}">
<header class="dashboard-header">
<h1>Anteroom dashboard</h1>
<button type="button" class="button small" id="sign-out" hidden>Forget admin key</button>
</header>
<main id="main" tabindex="-1">
<section class="panel sign-in" id="sign-in" aria-labelledby="sign-in-title">
<h2 id="sign-in-title">Sign in</h2>
<form id="sign-in-form">
<div class="field"><label for="admin-key">Admin key</label>
<input id="admin-key" name="admin-key" type="password" autocomplete="current-password" required></div>
<button type="submit" class="button primary">Open dashboard</button>
</form>
<p class="hint">The key stays in this browser tab (session storage) and is sent only to this admin API.</p>
</section>
<p id="dashboard-status" class="status-line" role="status" aria-live="polite"></p>
<noscript><p class="notice">The dashboard needs JavaScript: it reads the admin API from your browser.</p></noscript>
<div id="events"></div>
<section class="panel" id="audit" aria-labelledby="audit-title" hidden>
<h2 id="audit-title">Recent operator actions</h2>
<div class="table-scroll" tabindex="0" role="region" aria-labelledby="audit-title">
<table class="audit">
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Action</th><th scope="col">By</th></tr></thead>
<tbody id="audit-rows"></tbody>
</table>
</div>
</section>
</main>
${eventTemplate}
</div>`;
  return page({
    title: 'Anteroom dashboard',
    body,
    scripts: ['/assets/dashboard.js'],
    basePath,
    description: "The operator's dashboard of an Anteroom waiting room.",
  });
}
