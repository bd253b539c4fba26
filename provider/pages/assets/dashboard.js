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
    { key: 'serving', color: '#2563eb' },
    { key: 'queue', color: '#d97706' },
    { key: 'waiting', color: '#059669' },
    { key: 'active', color: '#9333ea' },
  ];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const signIn = document.getElementById('sign-in');
  const signInForm = document.getElementById('sign-in-form');
  const keyInput = document.getElementById('admin-key');
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
    const { counters, ...settings } = json;
    const number = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
    return {
      settings,
      counters: {
        serving: number(counters?.serving_counter),
        queue: number(counters?.queue_number),
        waiting: number(counters?.waiting_num),
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
    return 'Manual inlet';
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
    const { settings, counters } = event;
    entry.settings = settings;
    const title = settings.name ? `${settings.name} (${settings.id})` : `Event ${settings.id}`;
    if (field(panel, 'title').textContent !== title) field(panel, 'title').textContent = title;
    entry.samples.push({ time: Date.now(), ...counters });
    if (entry.samples.length > MAX_SAMPLES) entry.samples.shift();

    const mode = field(panel, 'mode');
    mode.textContent = settings.mode === 'closed' ? 'paused (closed)' : settings.mode || '';
    mode.className = `badge mode-${settings.mode}`;
    field(panel, 'inlet_summary').textContent = inletSummary(settings.inlet);
    field(panel, 'settings_summary').textContent = settingsSummary(settings);
    field(panel, 'serving').textContent = show(counters.serving);
    field(panel, 'queue').textContent = show(counters.queue);
    field(panel, 'waiting').textContent = show(counters.waiting);
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
  }

  // ---- chart ---------------------------------------------------------------------------------

  function svg(name, attributes) {
    const element = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  }

  function drawChart(chart, samples, counters) {
    // Drawn at the chart's real size, so labels stay readable on a phone.
    const width = Math.max(280, Math.round(chart.getBoundingClientRect().width) || 640);
    const height = 220;
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const pad = { left: 48, right: 12, top: 12, bottom: 24 };
    const plotWidth = width - pad.left - pad.right;
    const plotHeight = height - pad.top - pad.bottom;
    let max = 1;
    for (const sample of samples)
      for (const { key } of SERIES) if (sample[key] !== null) max = Math.max(max, sample[key]);
    const first = samples[0]?.time ?? Date.now();
    const last = samples[samples.length - 1]?.time ?? first;
    const span = Math.max(1, last - first);
    const x = (time) => pad.left + ((time - first) / span) * plotWidth;
    const y = (value) => pad.top + plotHeight - (value / max) * plotHeight;

    chart.replaceChildren();
    for (const fraction of [0, 0.5, 1]) {
      const lineY = pad.top + plotHeight - fraction * plotHeight;
      chart.appendChild(
        svg('line', {
          x1: pad.left,
          x2: width - pad.right,
          y1: lineY,
          y2: lineY,
          stroke: '#8a93a3',
          'stroke-opacity': 0.35,
        }),
      );
      const label = svg('text', {
        x: pad.left - 6,
        y: lineY + 4,
        'text-anchor': 'end',
        'font-size': 12,
        fill: '#6b7280',
      });
      label.textContent = String(Math.round(max * fraction));
      chart.appendChild(label);
    }
    const age = svg('text', { x: pad.left, y: height - 6, 'font-size': 12, fill: '#6b7280' });
    age.textContent = samples.length > 1 ? `${Math.round(span / 1000)} s ago` : '';
    chart.appendChild(age);
    const now = svg('text', {
      x: width - pad.right,
      y: height - 6,
      'font-size': 12,
      fill: '#6b7280',
      'text-anchor': 'end',
    });
    now.textContent = 'now';
    chart.appendChild(now);

    for (const { key, color } of SERIES) {
      const points = samples
        .filter((sample) => sample[key] !== null)
        .map((sample) => `${x(sample.time).toFixed(1)},${y(sample[key]).toFixed(1)}`);
      if (points.length === 0) continue;
      if (points.length === 1) points.push(`${width - pad.right},${points[0].split(',')[1]}`);
      chart.appendChild(
        svg('polyline', {
          points: points.join(' '),
          fill: 'none',
          stroke: color,
          'stroke-width': 2,
          'stroke-linejoin': 'round',
        }),
      );
    }
    chart.setAttribute(
      'aria-label',
      `Counters over the last ${Math.round(span / 1000)} seconds. Now: serving ${show(counters.serving)}, queue ${show(counters.queue)}, waiting ${show(counters.waiting)}, active ${show(counters.active)}.`,
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
    return { type: 'manual' };
  }

  /** `PUT /events/{id}` takes a partial update: send only what changes. */
  async function putSettings(eventId, change) {
    await api('PUT', `/events/${encodeURIComponent(eventId)}`, change);
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
      const inlet = inletFromControls(panel);
      await putSettings(eventId, { inlet });
      return `Inlet strategy set: ${inletSummary(inlet)}.`;
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
