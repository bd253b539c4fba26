// Anteroom waiting page: keeps the server-rendered page true without reloads.
// Server-Sent Events first, polling `/status` as the fallback. Shows when it last heard from the
// server and whether it is live, reconnecting or offline; announces meaningful changes to screen
// readers (politely), and what needs acting on now (your turn, its last minute) assertively.
// Every word comes from the page's messages. No framework, no globals.
(() => {
  const root = document.getElementById('ar-live');
  // The join form before a pre-queue's start (API.md section 6) counts down to it too.
  const startHolder = document.getElementById('ar-start');
  const clockHolder = root ?? startHolder;
  if (!clockHolder) return;
  const lang = document.documentElement.lang || undefined;

  // ---- the countdown to a pre-queue's start -------------------------------------------------
  // It counts on the server's clock, as of the render (a visitor's clock may be minutes off).
  const renderedAt = Number(clockHolder.dataset.now);
  const skewMs = renderedAt > 0 ? renderedAt - Date.now() : 0;
  let startsAt = Number(clockHolder.dataset.startsAt) || null;

  function serverNowMs() {
    return Date.now() + skewMs;
  }

  // The same rules as provider/pages/waiting/format.ts (the server-rendered page).
  function formatCountdown(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const rest = whole % 60;
    const pad = (n) => String(n).padStart(2, '0');
    if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(rest)} s`;
    return minutes === 0 ? `${rest} s` : `${minutes} min ${pad(rest)} s`;
  }

  /** The start in the visitor's own time (the server wrote it in UTC). */
  function showLocalStart() {
    for (const element of clockHolder.querySelectorAll('time[data-field="starts_at_time"]')) {
      const at = new Date(element.getAttribute('datetime'));
      if (Number.isNaN(at.getTime())) continue;
      const sameDay = at.toDateString() === new Date(serverNowMs()).toDateString();
      try {
        element.textContent = sameDay
          ? at.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })
          : at.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
      } catch {
        element.textContent = at.toLocaleString();
      }
    }
  }

  /** Seconds left to the start (negative once past), or null without one. */
  function untilStart() {
    return startsAt === null ? null : (startsAt * 1000 - serverNowMs()) / 1000;
  }

  /** Show the seconds left: once a second, on a timer (role="timer": screen readers are not told each second). */
  function showUntilStart(seconds) {
    const text = formatCountdown(Math.ceil(seconds));
    for (const element of clockHolder.querySelectorAll('[data-field="starts_in"]')) {
      if (element.textContent !== text) element.textContent = text;
    }
  }

  showLocalStart();
  if (!root) {
    // The join form: at the start, the page reloads into the open queue's form.
    const joinClock = window.setInterval(() => {
      const seconds = untilStart();
      if (seconds === null) return;
      showUntilStart(seconds);
      if (seconds <= 0) {
        window.clearInterval(joinClock);
        window.location.reload();
      }
    }, 1000);
    return;
  }

  const POLL_MS = 5000;
  const MAX_POLL_MS = 60000;
  /** Below these numbers of people ahead, every step is worth announcing. */
  const MILESTONES = [100, 50, 20, 10, 5, 3, 2, 1];
  /** Otherwise, progress is announced at most this often. */
  const ANNOUNCE_EVERY_MS = 60000;
  /** A turn's warning comes this long before it runs out (render.ts, EXPIRY_WARNING_SECONDS). */
  const WARNING_SECONDS = 60;
  /** A connection that keeps failing this long is called offline rather than reconnecting. */
  const OFFLINE_AFTER_FAILURES = 3;

  const announcer = document.getElementById('ar-announcer');
  const alertRegion = document.getElementById('ar-alert');
  const statusUrl = root.dataset.statusUrl;
  const streamUrl = root.dataset.streamUrl;

  let current = { state: root.dataset.state, mode: null, phase: root.dataset.phase };
  let startTimer = null;
  let startAnnounced = false;
  let startChecked = false;
  let lastAnnounced = { at: Date.now(), ahead: readNumber('ahead') };
  let source = null;
  let pollTimer = null;
  let pollDelay = POLL_MS;
  let countdownTimer = null;
  let expiresAt = null;
  let warned = false;
  let expiryCheck = null;
  let finished = false;
  /** 'live' | 'reconnecting' | 'offline'; null until the first answer. */
  let connection = null;
  let failures = 0;
  let updatedAt = null;

  // The page's words, in its language (provider/pages/waiting/messages.ts, `clientMessagesJson`).
  let messages = {};
  try {
    messages = JSON.parse(root.dataset.messages || '{}');
  } catch {
    // Without them the page still updates its numbers; the words stay as rendered.
  }

  function fill(key, values = {}) {
    const template = messages[key];
    if (typeof template !== 'string') return '';
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function capitalize(text) {
    return text.charAt(0).toLocaleUpperCase() + text.slice(1);
  }

  // The same rules as provider/pages/waiting/format.ts (the server-rendered page).
  function etaPhrase(seconds) {
    if (seconds === null || seconds === undefined) return fill('etaUnknown');
    if (seconds < 60) return fill('etaUnderMinute');
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes === 1 ? fill('etaMinute') : fill('etaMinutes', { n: minutes });
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (rest === 0) return hours === 1 ? fill('etaHour') : fill('etaHours', { n: hours });
    return hours === 1 ? fill('etaHourMinutes', { m: rest }) : fill('etaHoursMinutes', { n: hours, m: rest });
  }

  function formatEta(seconds) {
    return capitalize(etaPhrase(seconds));
  }

  function fields(name) {
    return root.querySelectorAll(`[data-field="${name}"]`);
  }

  function readNumber(name) {
    const element = fields(name)[0];
    return element ? Number(element.textContent) : null;
  }

  function setText(name, text) {
    if (!text) return;
    for (const element of fields(name)) {
      if (element.textContent !== text) element.textContent = text;
    }
  }

  function showSection(name, visible) {
    for (const element of root.querySelectorAll(`[data-section="${name}"]`)) element.hidden = !visible;
  }

  function say(region, text) {
    if (!region || !text) return;
    // Clearing first makes screen readers announce a repeated sentence again.
    region.textContent = '';
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  // ---- freshness: when the page last heard from the server, and whether it still does ----------

  function showFreshness() {
    if (updatedAt === null) return;
    let time;
    try {
      time = updatedAt.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch {
      time = updatedAt.toLocaleTimeString();
    }
    const state = connection === null ? '' : fill(`connection${capitalize(connection)}`);
    const updated = fill('lastUpdated', { time });
    setText('freshness', state ? `${updated} · ${state}` : updated);
    root.dataset.connection = connection ?? '';
  }

  /** A new connection state; a change after the first is announced politely. */
  function setConnection(next) {
    if (next === connection) return;
    const previous = connection;
    connection = next;
    showFreshness();
    if (previous === null && next === 'live') return;
    say(announcer, fill(`announce${capitalize(next)}`));
  }

  /** The server answered: the page is true as of now. */
  function heard() {
    failures = 0;
    updatedAt = new Date();
    setConnection('live');
    showFreshness();
  }

  /** The server could not be reached (or refused): reconnecting, then offline. */
  function lost() {
    failures += 1;
    const offline = navigator.onLine === false || failures >= OFFLINE_AFTER_FAILURES;
    setConnection(offline ? 'offline' : 'reconnecting');
  }

  // ---- the status -----------------------------------------------------------------------------

  function crossedMilestone(before, after) {
    return MILESTONES.some((mark) => before > mark && after <= mark);
  }

  function announceProgress(status) {
    const now = Date.now();
    const before = lastAnnounced.ahead;
    if (status.ahead === null || before === status.ahead) return;
    const due = now - lastAnnounced.at >= ANNOUNCE_EVERY_MS;
    if (!due && !(before !== null && crossedMilestone(before, status.ahead))) return;
    const eta = etaPhrase(status.eta_seconds);
    say(
      announcer,
      status.ahead === 1
        ? fill('announceAheadOne', { eta })
        : fill('announceAhead', { n: status.ahead, eta }),
    );
    lastAnnounced = { at: now, ahead: status.ahead };
  }

  /** The turn's last minute: shown, and announced once, with the way in right there. */
  function warnIfDue(secondsLeft) {
    const due = secondsLeft <= WARNING_SECONDS && secondsLeft > 0;
    showSection('expiry_warning', due);
    if (due && !warned) {
      warned = true;
      say(alertRegion, fill('alertExpiryWarning'));
    }
  }

  function tick() {
    const secondsLeft = (expiresAt - Date.now()) / 1000;
    setText('expires_in', formatCountdown(secondsLeft));
    warnIfDue(secondsLeft);
    // Run out here: ask the server at once rather than wait for it to say so.
    if (secondsLeft <= 0 && expiryCheck === null) {
      expiryCheck = window.setTimeout(() => {
        expiryCheck = null;
        void checkNow();
      }, 500);
    }
  }

  function startCountdown(seconds) {
    expiresAt = Date.now() + seconds * 1000;
    tick();
    if (countdownTimer === null) countdownTimer = window.setInterval(tick, 1000);
  }

  function stopCountdown() {
    if (countdownTimer !== null) window.clearInterval(countdownTimer);
    countdownTimer = null;
    showSection('expiry_warning', false);
  }

  // ---- the pre-queue: its countdown, and the start ------------------------------------------

  /** One second of the pre-queue: the time left; its last minute said once; at zero, ask at once. */
  function startTick() {
    const seconds = untilStart();
    if (seconds === null) return;
    showUntilStart(seconds);
    showSection('drawing', seconds <= 0);
    if (seconds <= 60 && seconds > 0 && !startAnnounced) {
      startAnnounced = true;
      say(announcer, fill('announceStartSoon'));
    }
    // The draw runs now: the stream tells its end; a polling page asks without waiting its turn.
    if (seconds <= 0 && !startChecked) {
      startChecked = true;
      window.setTimeout(() => void checkNow(), 1000);
    }
  }

  function runStartClock() {
    startTick();
    if (startTimer === null) startTimer = window.setInterval(startTick, 1000);
  }

  function stopStartClock() {
    if (startTimer !== null) window.clearInterval(startTimer);
    startTimer = null;
  }

  function finish() {
    finished = true;
    stopStartClock();
    if (source) source.close();
    if (pollTimer !== null) window.clearTimeout(pollTimer);
    if (expiryCheck !== null) window.clearTimeout(expiryCheck);
    stopCountdown();
  }

  /** The server renders the page for this state in full (admitted, ended, a lost place). */
  function reload() {
    finish();
    window.location.reload();
  }

  function apply(status) {
    if (finished) return;
    heard();
    // Admitted (say, in another tab) or ended: the server renders those pages in full. An
    // admitted page stays until the session ends.
    if (status.state === 'admitted' && current.state === 'admitted') return;
    if (status.state === 'admitted' || status.state === 'ended' || current.state === 'admitted') {
      reload();
      return;
    }
    // In a pre-queue (API.md section 6) there is no position until the draw at starts_at.
    const drawn = status.queue_number !== null;
    const max = Math.max(1, status.queue_number ?? 0);
    const value = Math.min(max, Math.max(0, status.serving_counter));
    setText('queue_number', drawn ? String(status.queue_number) : '–');
    setText('ahead', drawn ? String(status.ahead) : '–');
    setText('waiting_heading', fill(drawn && status.ahead === 0 ? 'waitingHeadingNext' : 'waitingHeading'));
    setText('eta', formatEta(status.eta_seconds));
    setText('progress_text', fill('progressText', { value, max }));
    for (const bar of fields('progress')) {
      bar.max = max;
      bar.value = value;
      bar.textContent = fill('progressBar', { value, max });
    }

    const prequeue = status.phase === 'prequeue';
    if (typeof status.starts_at === 'number') startsAt = status.starts_at;
    showSection('prequeue', prequeue && status.state === 'waiting');
    showSection('waiting', status.state === 'waiting' && !prequeue);
    showSection('eligible', status.state === 'eligible');
    showSection('expired', status.state === 'expired');
    showSection('paused', status.mode === 'closed');
    showSection('rejoin', status.mode !== 'closed' && status.mode !== 'sold_out');
    showSection('sold_out', status.mode === 'sold_out');
    if (status.mode === 'sold_out')
      setText('sold_out_message', status.sold_out_message || fill('soldOutLead'));
    showSection('expiry', status.state === 'eligible' && status.expires_in !== null);
    root.dataset.state = status.state;
    root.dataset.mode = status.mode;
    root.dataset.phase = status.phase;
    if (prequeue) runStartClock();
    else stopStartClock();

    if (status.state === 'eligible' && status.expires_in !== null) {
      startCountdown(status.expires_in);
    } else {
      stopCountdown();
    }

    const previous = current;
    current = { state: status.state, mode: status.mode, phase: status.phase };
    if (previous.phase === 'prequeue' && !prequeue && status.queue_number !== null) {
      // The draw is done: the position, said once (the progress announcements go on from it).
      document.title = fill('waitingTitle');
      if (status.state === 'waiting') {
        say(announcer, fill('announceDrawn', { n: status.queue_number }));
        lastAnnounced = { at: Date.now(), ahead: status.ahead };
        return;
      }
    }
    if (status.state !== previous.state) {
      if (status.state === 'eligible') {
        document.title = fill('eligibleTitle');
        say(alertRegion, fill('alertEligible'));
        // The one thing to do now: focus on it (the announcement names it).
        document.getElementById('ar-let-me-in')?.focus();
      } else if (status.state === 'expired') {
        document.title = fill('expiredTitle');
        say(alertRegion, fill('alertExpired'));
      } else if (status.state === 'waiting') {
        document.title = fill('waitingTitle');
      }
      return;
    }
    if (previous.mode !== null && status.mode !== previous.mode) {
      say(announcer, status.mode === 'closed' ? fill('announcePaused') : fill('announceMoving'));
      return;
    }
    if (status.state === 'waiting') announceProgress(status);
  }

  // ---- polling --------------------------------------------------------------------------------

  /** One `/status` request; true when it answered (the page was updated or reloaded). */
  async function fetchStatus() {
    try {
      const response = await fetch(statusUrl, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (response.status === 404) {
        // The place is gone (the room was reset): the server shows the way back in.
        reload();
        return true;
      }
      if (!response.ok) {
        const retryAfter = Number(response.headers.get('Retry-After'));
        pollDelay = Math.min(MAX_POLL_MS, retryAfter > 0 ? retryAfter * 1000 : pollDelay * 2);
        lost();
        return false;
      }
      pollDelay = POLL_MS;
      apply(await response.json());
      return true;
    } catch {
      pollDelay = Math.min(MAX_POLL_MS, pollDelay * 2);
      lost();
      return false;
    }
  }

  /** Ask now, whatever the transport (a turn that just ran out, the network coming back). */
  async function checkNow() {
    if (finished) return;
    await fetchStatus();
  }

  function schedulePoll(delay) {
    if (finished) return;
    pollTimer = window.setTimeout(poll, delay);
  }

  async function poll() {
    pollTimer = null;
    await fetchStatus();
    schedulePoll(pollDelay);
  }

  function startPolling() {
    if (pollTimer === null && !finished) schedulePoll(0);
  }

  // ---- the stream -----------------------------------------------------------------------------

  function connect() {
    if (!('EventSource' in window) || !streamUrl) {
      startPolling();
      return;
    }
    let streamFailures = 0;
    source = new EventSource(streamUrl);
    source.addEventListener('open', () => {
      streamFailures = 0;
      heard();
    });
    source.addEventListener('status', (event) => {
      streamFailures = 0;
      try {
        apply(JSON.parse(event.data));
      } catch {
        // A malformed event is skipped; the next one carries the full state again.
      }
    });
    // The place is gone (the event was reset): the server renders the way back in.
    source.addEventListener('gone', () => reload());
    source.addEventListener('error', () => {
      streamFailures += 1;
      lost();
      // EventSource retries by itself; give up on it when the server refuses the stream
      // (CLOSED) or keeps failing, and poll instead.
      if (source.readyState === EventSource.CLOSED || streamFailures >= 3) {
        source.close();
        startPolling();
      }
    });
  }

  window.addEventListener('offline', () => setConnection('offline'));
  window.addEventListener('online', () => {
    // Back: ask at once (the stream reconnects by itself; polling would wait out its back-off).
    if (pollTimer !== null) {
      window.clearTimeout(pollTimer);
      pollTimer = null;
      startPolling();
    } else {
      void checkNow();
    }
  });

  // The sentence comes in the page's language; without it the server-rendered hint stays.
  setText('live_hint', fill('liveHint'));
  // The server's render time in local time, until the first answer replaces it.
  const rendered = root.querySelector('[data-field="freshness"] time');
  if (rendered) {
    const at = new Date(rendered.getAttribute('datetime'));
    if (!Number.isNaN(at.getTime())) {
      updatedAt = at;
      showFreshness();
    }
  }
  // A pre-queued page counts down from the first second, before the first answer.
  if (root.dataset.phase === 'prequeue' && root.dataset.state === 'waiting') runStartClock();
  connect();
})();
