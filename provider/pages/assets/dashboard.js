// Anteroom operator dashboard. Talks only to the admin API of this origin, with the admin key
// the operator typed in (kept in sessionStorage for this tab, sent as a bearer token).
// All text goes in through textContent; the chart is drawn as inline SVG.
(() => {
  const KEY_STORAGE = 'anteroom.adminKey';
  const REFRESH_MS = 2000;
  /** Samples kept per event for the chart: ten minutes at one per refresh. */
  const MAX_SAMPLES = 300;
  /** The admission rate is measured over this window. */
  const RATE_WINDOW_MS = 60000;
  const SERIES = [
    { key: 'serving', series: 's0' },
    { key: 'queue', series: 's1' },
    { key: 'peopleWaiting', series: 's2' },
    { key: 'active', series: 's3' },
  ];
  const SVG_NS = 'http://www.w3.org/2000/svg';
  /** Why the adaptive inlet's rate is what it is (queue-core/adaptive-inlet.ts, ADAPTIVE_REASONS). */
  const INLET_REASONS = {
    starting: 'No reading of the origin yet: admitting at the start rate.',
    below_target: 'The origin is below its target: the rate rises.',
    near_target: 'The origin is close to its target: the rate holds.',
    above_target: 'The origin is above its target: the rate falls.',
    waiting_for_effect: 'The origin is still above its target: waiting for the last cut to take effect.',
    at_max: 'The origin is below its target and the rate is at its maximum.',
    signal_stale: 'No fresh reading of the origin this interval: the rate holds.',
    signal_missing: 'No reading of the origin for three intervals: admitting at the minimum rate.',
  };

  const signIn = document.getElementById('sign-in');
  const signInForm = document.getElementById('sign-in-form');
  const keyInput = document.getElementById('admin-key');
  const mainRegion = document.getElementById('main');
  /** Set by a sign-in: focus moves into the dashboard once it has loaded. */
  let focusAfterSignIn = false;
  const signOut = document.getElementById('sign-out');
  const statusLine = document.getElementById('dashboard-status');
  const eventsRoot = document.getElementById('events');
  const template = document.getElementById('event-template');
  const auditPanel = document.getElementById('audit');
  const auditRows = document.getElementById('audit-rows');
  const publicUrl = (document.getElementById('dashboard').dataset.publicUrl || '').replace(/\/$/, '');
  /** The prefix the admin app is reached under ('' at the root): every API path goes below it. */
  const apiBase = document.getElementById('dashboard').dataset.apiBase || '';
  /** The audit log changes only with operator actions: read it every few refreshes. */
  const AUDIT_EVERY = 5;
  let refreshCount = 0;

  /** event id → { panel, samples, settings } */
  const panels = new Map();
  let refreshTimer = null;

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.error ? String(body.error) : `The admin API answered ${status}`);
      this.status = status;
      this.code = body?.code;
    }
  }

  /** The sign-in form is back: the key was refused, or every key is for a while (429). */
  function signedOut(error) {
    return error instanceof ApiError && (error.status === 401 || error.code === 'rate_limited');
  }

  function adminKey() {
    return window.sessionStorage.getItem(KEY_STORAGE);
  }

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle('error', Boolean(isError));
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json', Authorization: `Bearer ${adminKey()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(apiBase + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (response.status === 401) {
      showSignIn('That admin key was not accepted. Enter it again.');
      throw new ApiError(401, parsed);
    }
    if (response.status === 429 && parsed?.code === 'rate_limited') {
      // Too many failed sign-ins from this address: the admin API refuses every key for a while.
      const wait = Number(response.headers.get('Retry-After')) || 60;
      showSignIn(`Too many failed sign-ins from this address. Try again in ${wait} seconds.`);
      throw new ApiError(429, parsed);
    }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }

  // ---- the event JSON: settings plus live counters (provider/admin/event-view.ts) -------------

  function readEvent(json) {
    const { counters, inlet_state: inletState, prequeue, visitors, eta_accuracy: eta, ...settings } = json;
    const number = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
    return {
      settings,
      inlet: inletState
        ? {
            rate: number(inletState.rate_per_minute),
            latency: number(inletState.signal?.latency_ms),
            errors: number(inletState.signal?.error_rate),
            reason: typeof inletState.reason === 'string' ? inletState.reason : '',
          }
        : null,
      eta: eta
        ? {
            samples: number(eta.samples),
            p50: number(eta.p50_abs_error_seconds),
            p90: number(eta.p90_abs_error_seconds),
            rel: number(eta.p50_rel_error),
          }
        : null,
      prequeue: prequeue
        ? {
            phase: typeof prequeue.phase === 'string' ? prequeue.phase : '',
            size: number(prequeue.size),
            written: number(prequeue.written),
            startsAt: number(prequeue.starts_at),
            prequeueAt: number(prequeue.prequeue_at),
          }
        : null,
      visitors: visitors ? { present: number(visitors.present), absent: number(visitors.absent) } : null,
      counters: {
        serving: number(counters?.serving_counter),
        queue: number(counters?.queue_number),
        waiting: number(counters?.waiting_num),
        peopleWaiting: number(counters?.people_waiting),
        active: number(counters?.active_tokens),
        tokens: number(counters?.tokens_issued),
      },
    };
  }

  // ---- panels --------------------------------------------------------------------------------

  function field(panel, name) {
    return panel.querySelector(`[data-field="${name}"]`);
  }

  function control(panel, name) {
    return panel.querySelector(`[data-id="${name}"]`);
  }

  function createPanel(eventId) {
    const panel = template.content.firstElementChild.cloneNode(true);
    const titleId = `event-${eventId}-title`;
    field(panel, 'title').id = titleId;
    field(panel, 'title').textContent = `Event ${eventId}`;
    panel.setAttribute('aria-labelledby', titleId);
    panel.dataset.eventId = eventId;
    field(panel, 'page_link').href = `${publicUrl}/waiting-room/${encodeURIComponent(eventId)}`;
    // Unique ids per event, so every label names its own control.
    for (const input of panel.querySelectorAll('[data-id]')) input.id = `${eventId}-${input.dataset.id}`;
    for (const label of panel.querySelectorAll('label[data-for]'))
      label.htmlFor = `${eventId}-${label.dataset.for}`;
    for (const button of panel.querySelectorAll('[data-action]')) {
      button.addEventListener('click', () => runAction(eventId, button));
    }
    control(panel, 'inlet-type').addEventListener('change', () => showInletFields(panel));
    eventsRoot.appendChild(panel);
    const entry = { panel, samples: [], settings: null, inletShown: false };
    panels.set(eventId, entry);
    return entry;
  }

  function showInletFields(panel) {
    const type = control(panel, 'inlet-type').value;
    for (const element of panel.querySelectorAll('[data-inlet]'))
      element.hidden = element.dataset.inlet !== type;
  }

  function inletSummary(inlet) {
    if (!inlet) return '';
    if (inlet.type === 'periodic')
      return `Periodic inlet: ${inlet.incrementBy} every ${inlet.intervalSeconds} s`;
    if (inlet.type === 'max-size') return `Max-size inlet: at most ${inlet.maxActive} active`;
    if (inlet.type === 'adaptive') {
      const errors = `${+(inlet.target.errorRate * 100).toFixed(3)} % errors`;
      return `Adaptive inlet: ${inlet.minPerMinute}–${inlet.maxPerMinute} a minute, target p95 ${inlet.target.latencyMs} ms and ${errors}, signal ${inlet.signal.type}`;
    }
    return 'Manual inlet';
  }

  function clockTime(epochSeconds) {
    return epochSeconds === null ? '–' : new Date(epochSeconds * 1000).toLocaleString();
  }

  /** A scheduled event's pre-queue (provider/admin/event-view.ts): its phase and its size. */
  function prequeueSummary(prequeue, settings) {
    const draw = settings.draw === 'shuffle' ? 'shuffled draw' : 'arrival order';
    const size = show(prequeue.size);
    switch (prequeue.phase) {
      case 'not_open':
        return `Phase: not open yet · the pre-queue opens ${clockTime(prequeue.prequeueAt)}, the queue ${clockTime(prequeue.startsAt)} (${draw})`;
      case 'prequeue':
        return `Phase: pre-queue · ${size} in the pre-queue · the queue opens ${clockTime(prequeue.startsAt)} (${draw})`;
      case 'drawing':
        return `Phase: drawing · ${show(prequeue.written)} of ${size} positions written`;
      default:
        return `Phase: open · ${size} drawn from the pre-queue at ${clockTime(prequeue.startsAt)} (${draw})`;
    }
  }

  /** How far the wait estimates were off for the newest admitted visitors (provider/admin/event-view.ts). */
  function etaSummary(eta) {
    if (eta === null) return '';
    if (!eta.samples) return 'Wait estimates: no admitted visitor who was shown one yet';
    const percent = eta.rel === null ? '' : ` (${Math.round(eta.rel * 100)} %)`;
    return `Wait estimates, last ${eta.samples} admitted: off by ${show(eta.p50)} s at the median${percent}, ${show(eta.p90)} s at the 90th percentile`;
  }

  function settingsSummary(settings) {
    const expiry =
      settings.queuePositionExpirySeconds === null || settings.queuePositionExpirySeconds === undefined
        ? 'reached places never expire'
        : `reached places expire after ${settings.queuePositionExpirySeconds} s`;
    return `Tokens valid ${settings.tokenValiditySeconds} s · ${expiry}`;
  }

  function fillInletControls(panel, inlet) {
    if (!inlet) return;
    control(panel, 'inlet-type').value = inlet.type;
    if (inlet.type === 'periodic') {
      control(panel, 'inlet-increment').value = String(inlet.incrementBy);
      control(panel, 'inlet-interval').value = String(inlet.intervalSeconds);
    }
    if (inlet.type === 'max-size') control(panel, 'inlet-max').value = String(inlet.maxActive);
    if (inlet.type === 'adaptive') {
      control(panel, 'inlet-min-rate').value = String(inlet.minPerMinute);
      control(panel, 'inlet-max-rate').value = String(inlet.maxPerMinute);
      control(panel, 'inlet-latency').value = String(inlet.target.latencyMs);
      control(panel, 'inlet-errors').value = String(inlet.target.errorRate);
    }
    showInletFields(panel);
  }

  /** Positions let in per minute: how fast the serving counter moved over the last minute. */
  function admissionRate(samples) {
    const last = samples[samples.length - 1];
    if (!last || last.serving === null) return null;
    const windowStart = samples.find(
      (sample) => last.time - sample.time <= RATE_WINDOW_MS && sample.serving !== null,
    );
    if (!windowStart || windowStart === last) return null;
    const minutes = (last.time - windowStart.time) / 60000;
    return Math.max(0, (last.serving - windowStart.serving) / minutes);
  }

  function show(value) {
    return value === null || value === undefined ? '–' : String(value);
  }

  function updatePanel(entry, event) {
    const { panel } = entry;
    const { settings, counters, inlet } = event;
    entry.settings = settings;
    const title = settings.name ? `${settings.name} (${settings.id})` : `Event ${settings.id}`;
    if (field(panel, 'title').textContent !== title) field(panel, 'title').textContent = title;
    entry.samples.push({
      time: Date.now(),
      ...counters,
      inletRate: inlet?.rate ?? null,
      latency: inlet?.latency ?? null,
    });
    if (entry.samples.length > MAX_SAMPLES) entry.samples.shift();

    const mode = field(panel, 'mode');
    mode.textContent = settings.mode === 'closed' ? 'paused (closed)' : settings.mode || '';
    mode.className = `badge mode-${settings.mode}`;
    field(panel, 'inlet_summary').textContent = inletSummary(settings.inlet);
    field(panel, 'settings_summary').textContent = settingsSummary(settings);
    const prequeueLine = field(panel, 'prequeue');
    prequeueLine.hidden = event.prequeue === null;
    if (event.prequeue !== null) prequeueLine.textContent = prequeueSummary(event.prequeue, settings);
    panel.dataset.phase = event.prequeue?.phase ?? '';
    const visitorsLine = field(panel, 'visitors');
    visitorsLine.hidden = event.visitors === null;
    if (event.visitors !== null) {
      field(panel, 'present').textContent = show(event.visitors.present);
      field(panel, 'absent').textContent = show(event.visitors.absent);
    }
    field(panel, 'eta_accuracy').textContent = etaSummary(event.eta);
    field(panel, 'serving').textContent = show(counters.serving);
    field(panel, 'queue').textContent = show(counters.queue);
    field(panel, 'waiting').textContent = show(counters.waiting);
    field(panel, 'people_waiting').textContent = show(counters.peopleWaiting);
    field(panel, 'active').textContent = show(counters.active);
    const rate = admissionRate(entry.samples);
    field(panel, 'rate').textContent = rate === null ? '–' : rate.toFixed(1);
    if (!entry.inletShown) {
      fillInletControls(panel, settings.inlet);
      entry.inletShown = true;
    }
    for (const button of panel.querySelectorAll('[data-action="mode"]')) {
      button.setAttribute('aria-pressed', String(button.dataset.mode === settings.mode));
    }
    drawChart(field(panel, 'chart'), entry.samples, counters);
    updateInletHealth(panel, entry.samples, settings.inlet, inlet);
  }

  /** The adaptive inlet's part of the panel: its rate, the origin's latest reading, the chart. */
  function updateInletHealth(panel, samples, settings, inlet) {
    const box = field(panel, 'inlet_health');
    box.hidden = !inlet || settings?.type !== 'adaptive';
    if (box.hidden) return;
    field(panel, 'inlet_rate').textContent =
      inlet.rate === null ? '–' : String(Math.round(inlet.rate * 10) / 10);
    field(panel, 'inlet_latency').textContent =
      inlet.latency === null ? '–' : String(Math.round(inlet.latency));
    field(panel, 'inlet_errors').textContent =
      inlet.errors === null ? '–' : `${+(inlet.errors * 100).toFixed(2)} %`;
    field(panel, 'inlet_reason').textContent = INLET_REASONS[inlet.reason] || inlet.reason;
    drawInletChart(field(panel, 'inlet_chart'), samples, settings.target.latencyMs, inlet);
  }

  // ---- chart ---------------------------------------------------------------------------------

  function svg(name, attributes) {
    const element = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  }

  /**
   * The frame of a chart at its real size (so labels stay readable on a phone): grid lines
   * with the left scale's labels (and the right one's when given), the time axis, and `x`/`y`.
   */
  function chartFrame(chart, samples, leftMax, rightMax) {
    const width = Math.max(280, Math.round(chart.getBoundingClientRect().width) || 640);
    const height = 220;
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const pad = { left: 48, right: rightMax === undefined ? 12 : 48, top: 12, bottom: 24 };
    const plotWidth = width - pad.left - pad.right;
    const plotHeight = height - pad.top - pad.bottom;
    const first = samples[0]?.time ?? Date.now();
    const last = samples[samples.length - 1]?.time ?? first;
    const span = Math.max(1, last - first);
    const x = (time) => pad.left + ((time - first) / span) * plotWidth;
    const y = (value, max) => pad.top + plotHeight - (value / max) * plotHeight;

    chart.replaceChildren();
    const text = (content, attributes) => {
      // Colours and line patterns come from the stylesheet (light and dark; anteroom.css).
      const label = svg('text', { class: 'label', ...attributes });
      label.textContent = content;
      chart.appendChild(label);
    };
    for (const fraction of [0, 0.5, 1]) {
      const lineY = pad.top + plotHeight - fraction * plotHeight;
      chart.appendChild(
        svg('line', {
          x1: pad.left,
          x2: width - pad.right,
          y1: lineY,
          y2: lineY,
          class: 'grid',
        }),
      );
      text(String(Math.round(leftMax * fraction)), { x: pad.left - 6, y: lineY + 4, 'text-anchor': 'end' });
      if (rightMax !== undefined) {
        text(String(Math.round(rightMax * fraction)), { x: width - pad.right + 6, y: lineY + 4 });
      }
    }
    text(samples.length > 1 ? `${Math.round(span / 1000)} s ago` : '', { x: pad.left, y: height - 6 });
    text('now', { x: width - pad.right, y: height - 6, 'text-anchor': 'end' });
    /** A polyline of one series (samples whose value is null are skipped). */
    const line = (key, max, series) => {
      const points = samples
        .filter((sample) => sample[key] !== null && sample[key] !== undefined)
        .map((sample) => `${x(sample.time).toFixed(1)},${y(sample[key], max).toFixed(1)}`);
      if (points.length === 0) return;
      if (points.length === 1) points.push(`${width - pad.right},${points[0].split(',')[1]}`);
      chart.appendChild(
        svg('polyline', {
          points: points.join(' '),
          class: `series ${series}`,
          'data-series': key,
        }),
      );
    };
    const level = (value, max) => {
      const lineY = y(value, max);
      chart.appendChild(
        svg('line', {
          x1: pad.left,
          x2: width - pad.right,
          y1: lineY,
          y2: lineY,
          class: 'series target',
          'data-series': 'target',
        }),
      );
    };
    return { span, line, level };
  }

  function drawChart(chart, samples, counters) {
    let max = 1;
    for (const sample of samples)
      for (const { key } of SERIES) if (sample[key] !== null) max = Math.max(max, sample[key]);
    const { span, line } = chartFrame(chart, samples, max);
    for (const { key, series } of SERIES) line(key, max, series);
    chart.setAttribute(
      'aria-label',
      `Counters over the last ${Math.round(span / 1000)} seconds. Now: serving ${show(counters.serving)}, positions handed out ${show(counters.queue)}, waiting (not yet reached) ${show(counters.peopleWaiting)}, active ${show(counters.active)}.`,
    );
  }

  /** The adaptive inlet's rate (left scale) against the origin's p95 and its target (right scale). */
  function drawInletChart(chart, samples, targetMs, inlet) {
    let rateMax = 1;
    let latencyMax = targetMs * 1.5;
    for (const sample of samples) {
      if (sample.inletRate !== null) rateMax = Math.max(rateMax, sample.inletRate);
      if (sample.latency !== null) latencyMax = Math.max(latencyMax, sample.latency);
    }
    rateMax = Math.ceil(rateMax * 1.1);
    const { span, line, level } = chartFrame(chart, samples, rateMax, latencyMax);
    level(targetMs, latencyMax);
    line('latency', latencyMax, 's1');
    line('inletRate', rateMax, 's0');
    const latency = inlet.latency === null ? 'no reading yet' : `${Math.round(inlet.latency)} ms`;
    chart.setAttribute(
      'aria-label',
      `Admission rate and origin latency over the last ${Math.round(span / 1000)} seconds. Now: ${show(inlet.rate)} a minute; origin p95 ${latency}, target ${targetMs} ms.`,
    );
  }

  // ---- actions -------------------------------------------------------------------------------

  function say(eventId, text, isError) {
    const entry = panels.get(eventId);
    if (!entry) return;
    const message = field(entry.panel, 'message');
    message.textContent = text;
    message.classList.toggle('error', Boolean(isError));
  }

  function integerFrom(panel, name, label) {
    const raw = control(panel, name).value.trim();
    if (!/^-?\d+$/.test(raw)) throw new Error(`${label} must be a whole number.`);
    return Number(raw);
  }

  function inletFromControls(panel) {
    const type = control(panel, 'inlet-type').value;
    if (type === 'periodic') {
      return {
        type,
        incrementBy: integerFrom(panel, 'inlet-increment', 'Admit per tick'),
        intervalSeconds: integerFrom(panel, 'inlet-interval', 'Seconds per tick'),
      };
    }
    if (type === 'max-size')
      return { type, maxActive: integerFrom(panel, 'inlet-max', 'Max active sessions') };
    if (type === 'adaptive') {
      // Partial: the signal (and the interval) stay as configured.
      const errorRate = Number(control(panel, 'inlet-errors').value.trim());
      if (!(errorRate >= 0 && errorRate <= 1)) throw new Error('Target error rate must be from 0 to 1.');
      return {
        type,
        minPerMinute: integerFrom(panel, 'inlet-min-rate', 'Least a minute'),
        maxPerMinute: integerFrom(panel, 'inlet-max-rate', 'Most a minute'),
        target: { latencyMs: integerFrom(panel, 'inlet-latency', 'Target p95'), errorRate },
      };
    }
    return { type: 'manual' };
  }

  /** `PUT /events/{id}` takes a partial update: send only what changes. */
  async function putSettings(eventId, change) {
    return api('PUT', `/events/${encodeURIComponent(eventId)}`, change);
  }

  const ACTIONS = {
    async increment(eventId, panel) {
      const by = integerFrom(panel, 'increment-by', 'Increment by');
      const answer = await api('POST', '/increment_serving_counter', { event_id: eventId, increment_by: by });
      return `Serving counter is now ${answer.serving_num}.`;
    },
    async mode(eventId, _panel, button) {
      await putSettings(eventId, { mode: button.dataset.mode });
      return `Mode set to ${button.dataset.mode}.`;
    },
    async inlet(eventId, panel) {
      const saved = await putSettings(eventId, { inlet: inletFromControls(panel) });
      return `Inlet strategy set: ${inletSummary(saved.inlet)}.`;
    },
    async reset(eventId, panel) {
      const confirmInput = control(panel, 'reset-confirm');
      if (confirmInput.value.trim() !== eventId) {
        confirmInput.focus();
        throw new Error(`To reset, type the event id "${eventId}" first.`);
      }
      await api('POST', '/reset_initial_state', { event_id: eventId });
      confirmInput.value = '';
      panels.get(eventId).samples.length = 0;
      return 'The event was reset.';
    },
  };

  async function runAction(eventId, button) {
    const entry = panels.get(eventId);
    const action = ACTIONS[button.dataset.action];
    if (!entry || !action) return;
    button.disabled = true;
    try {
      say(eventId, await action(eventId, entry.panel, button), false);
      refreshCount = 0; // the action is in the audit log now: show it with this refresh
      await refresh();
    } catch (error) {
      if (!signedOut(error)) say(eventId, error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // ---- refresh loop --------------------------------------------------------------------------

  async function refresh() {
    const list = await api('GET', '/events');
    for (const item of Array.isArray(list) ? list : []) {
      const id = item?.id;
      if (typeof id !== 'string') continue;
      const entry = panels.get(id) || createPanel(id);
      updatePanel(entry, readEvent(item));
    }
    if (refreshCount % AUDIT_EVERY === 0) await refreshAudit();
    refreshCount += 1;
    setStatus(`Live · updated ${new Date().toLocaleTimeString()}`, false);
  }

  async function refreshAudit() {
    const answer = await api('GET', '/audit?limit=10');
    const rows = (answer?.items || []).map((entry) => {
      const row = document.createElement('tr');
      const cells = [
        new Date(entry.time * 1000).toLocaleTimeString(),
        entry.event_id || '–',
        String(entry.action).replaceAll('_', ' '),
        entry.actor,
      ];
      for (const text of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      }
      return row;
    });
    auditRows.replaceChildren(...rows);
    auditPanel.hidden = rows.length === 0;
  }

  async function loop() {
    refreshTimer = null;
    try {
      await refresh();
      if (focusAfterSignIn) {
        // Signed in: focus moves to what the key opened, not back to the top of the page.
        focusAfterSignIn = false;
        mainRegion?.focus();
      }
    } catch (error) {
      if (signedOut(error)) return;
      setStatus(`Could not reach the admin API: ${error.message}. Retrying…`, true);
    }
    if (adminKey()) refreshTimer = window.setTimeout(loop, REFRESH_MS);
  }

  function showSignIn(message) {
    window.sessionStorage.removeItem(KEY_STORAGE);
    if (refreshTimer !== null) window.clearTimeout(refreshTimer);
    refreshTimer = null;
    signIn.hidden = false;
    signOut.hidden = true;
    setStatus(message || '', Boolean(message));
    // A refused key marks the field, and the field points at the reason.
    if (message) {
      keyInput.setAttribute('aria-invalid', 'true');
      keyInput.setAttribute('aria-describedby', 'dashboard-status');
    } else {
      keyInput.removeAttribute('aria-invalid');
      keyInput.removeAttribute('aria-describedby');
    }
    keyInput.focus();
  }

  function start() {
    signIn.hidden = true;
    signOut.hidden = false;
    setStatus('Loading…', false);
    loop();
  }

  signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return;
    window.sessionStorage.setItem(KEY_STORAGE, key);
    keyInput.value = '';
    focusAfterSignIn = true;
    start();
  });
  signOut.addEventListener('click', () => {
    panels.clear();
    eventsRoot.replaceChildren();
    auditRows.replaceChildren();
    auditPanel.hidden = true;
    showSignIn('');
  });

  if (adminKey()) start();
})();
