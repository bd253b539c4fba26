// Anteroom waiting page: keeps the server-rendered page current without reloads.
// Server-Sent Events first, polling `/status` as the fallback. Announces meaningful changes
// to screen readers (politely), and "it's your turn" assertively. No framework, no globals.
(() => {
  const root = document.getElementById('ar-live');
  if (!root) return;

  const POLL_MS = 5000;
  const MAX_POLL_MS = 60000;
  /** Below these numbers of people ahead, every step is worth announcing. */
  const MILESTONES = [100, 50, 20, 10, 5, 3, 2, 1];
  /** Otherwise, progress is announced at most this often. */
  const ANNOUNCE_EVERY_MS = 60000;

  const announcer = document.getElementById('ar-announcer');
  const alertRegion = document.getElementById('ar-alert');
  const statusUrl = root.dataset.statusUrl;
  const streamUrl = root.dataset.streamUrl;

  let current = { state: root.dataset.state, mode: null };
  let lastAnnounced = { at: Date.now(), ahead: readNumber('ahead') };
  let source = null;
  let pollTimer = null;
  let pollDelay = POLL_MS;
  let countdownTimer = null;
  let expiresAt = null;
  let finished = false;

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

  function formatCountdown(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return minutes === 0 ? `${rest} s` : `${minutes} min ${String(rest).padStart(2, '0')} s`;
  }

  function fields(name) {
    return root.querySelectorAll(`[data-field="${name}"]`);
  }

  function readNumber(name) {
    const element = fields(name)[0];
    return element ? Number(element.textContent) : null;
  }

  function setText(name, text) {
    for (const element of fields(name)) {
      if (element.textContent !== text) element.textContent = text;
    }
  }

  function showSection(name, visible) {
    for (const element of root.querySelectorAll(`[data-section="${name}"]`)) element.hidden = !visible;
  }

  function say(region, text) {
    if (!region) return;
    // Clearing first makes screen readers announce a repeated sentence again.
    region.textContent = '';
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

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

  function startCountdown(seconds) {
    expiresAt = Date.now() + seconds * 1000;
    if (countdownTimer !== null) return;
    countdownTimer = window.setInterval(() => {
      setText('expires_in', formatCountdown((expiresAt - Date.now()) / 1000));
    }, 1000);
  }

  function stopCountdown() {
    if (countdownTimer !== null) window.clearInterval(countdownTimer);
    countdownTimer = null;
  }

  function finish() {
    finished = true;
    if (source) source.close();
    if (pollTimer !== null) window.clearTimeout(pollTimer);
    stopCountdown();
  }

  function apply(status) {
    if (finished) return;
    // Admitted (say, in another tab) or ended: the server renders those pages in full.
    if (status.state === 'admitted' || status.state === 'ended') {
      finish();
      window.location.reload();
      return;
    }
    // In a pre-queue (API.md section 6) there is no position until the draw at starts_at.
    const drawn = status.queue_number !== null;
    const max = Math.max(1, status.queue_number ?? 0);
    const value = Math.min(max, Math.max(0, status.serving_counter));
    setText('queue_number', drawn ? String(status.queue_number) : '–');
    setText('ahead', drawn ? String(status.ahead) : '–');
    const heading = fill(drawn && status.ahead === 0 ? 'waitingHeadingNext' : 'waitingHeading');
    if (heading) setText('waiting_heading', heading);
    setText('eta', formatEta(status.eta_seconds));
    setText('progress_text', fill('progressText', { value, max }));
    for (const bar of fields('progress')) {
      bar.max = max;
      bar.value = value;
      bar.textContent = fill('progressBar', { value, max });
    }

    showSection('waiting', status.state === 'waiting');
    showSection('eligible', status.state === 'eligible');
    showSection('expired', status.state === 'expired');
    showSection('paused', status.mode === 'closed');
    showSection('expiry', status.state === 'eligible' && status.expires_in !== null);
    root.dataset.state = status.state;

    if (status.state === 'eligible' && status.expires_in !== null) {
      setText('expires_in', formatCountdown(status.expires_in));
      startCountdown(status.expires_in);
    } else {
      stopCountdown();
    }

    const previous = current;
    current = { state: status.state, mode: status.mode };
    if (status.state !== previous.state) {
      if (status.state === 'eligible') {
        document.title = fill('eligibleTitle');
        say(alertRegion, fill('alertEligible'));
      } else if (status.state === 'expired') {
        document.title = fill('expiredTitle');
        say(alertRegion, fill('alertExpired'));
      }
      return;
    }
    if (previous.mode !== null && status.mode !== previous.mode) {
      say(announcer, status.mode === 'closed' ? fill('announcePaused') : fill('announceMoving'));
      return;
    }
    if (status.state === 'waiting') announceProgress(status);
  }

  function schedulePoll(delay) {
    if (finished) return;
    pollTimer = window.setTimeout(poll, delay);
  }

  async function poll() {
    try {
      const response = await fetch(statusUrl, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (response.status === 404) {
        // The place is gone (the room was reset): the server shows the way back in.
        finish();
        window.location.reload();
        return;
      }
      if (!response.ok) {
        const retryAfter = Number(response.headers.get('Retry-After'));
        pollDelay = Math.min(MAX_POLL_MS, retryAfter > 0 ? retryAfter * 1000 : pollDelay * 2);
      } else {
        pollDelay = POLL_MS;
        apply(await response.json());
      }
    } catch {
      pollDelay = Math.min(MAX_POLL_MS, pollDelay * 2);
    }
    schedulePoll(pollDelay);
  }

  function startPolling() {
    if (pollTimer === null && !finished) schedulePoll(0);
  }

  function connect() {
    if (!('EventSource' in window) || !streamUrl) {
      startPolling();
      return;
    }
    let failures = 0;
    source = new EventSource(streamUrl);
    source.addEventListener('status', (event) => {
      failures = 0;
      try {
        apply(JSON.parse(event.data));
      } catch {
        // A malformed event is skipped; the next one carries the full state again.
      }
    });
    source.addEventListener('error', () => {
      failures += 1;
      // EventSource retries by itself; give up on it when the server refuses the stream
      // (CLOSED) or keeps failing, and poll instead.
      if (source.readyState === EventSource.CLOSED || failures >= 3) {
        source.close();
        startPolling();
      }
    });
  }

  // The sentence comes in the page's language; without it the server-rendered hint stays.
  const liveHint = fill('liveHint');
  if (liveHint) setText('live_hint', liveHint);
  connect();
})();
