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

  let current = { state: root.dataset.state, ahead: null, mode: null, etaText: null };
  let lastAnnounced = { at: Date.now(), ahead: readNumber('ahead') };
  let source = null;
  let pollTimer = null;
  let pollDelay = POLL_MS;
  let countdownTimer = null;
  let expiresAt = null;
  let finished = false;

  // Same words as provider/pages/waiting/format.ts (the server-rendered page).
  function formatEta(seconds) {
    if (seconds === null || seconds === undefined) return 'Estimating… not enough data yet';
    if (seconds < 60) return 'Less than a minute';
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes === 1 ? 'About 1 minute' : `About ${minutes} minutes`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    const hourText = hours === 1 ? '1 hour' : `${hours} hours`;
    return rest === 0 ? `About ${hourText}` : `About ${hourText} ${rest} min`;
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

  function announceProgress(status, etaText) {
    const now = Date.now();
    const before = lastAnnounced.ahead;
    if (before === status.ahead) return;
    const due = now - lastAnnounced.at >= ANNOUNCE_EVERY_MS;
    if (!due && !(before !== null && crossedMilestone(before, status.ahead))) return;
    const people = status.ahead === 1 ? '1 person' : `${status.ahead} people`;
    say(announcer, `${people} ahead of you. Estimated wait: ${etaText}.`);
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
    const etaText = formatEta(status.eta_seconds);
    const max = Math.max(1, status.queue_number);
    const value = Math.min(max, Math.max(0, status.serving_counter));
    setText('queue_number', String(status.queue_number));
    setText('ahead', String(status.ahead));
    setText('eta', etaText);
    setText('progress_text', `${value} of ${max} places let in so far`);
    for (const bar of fields('progress')) {
      bar.max = max;
      bar.value = value;
      bar.textContent = `${value} of ${max}`;
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
    current = { state: status.state, ahead: status.ahead, mode: status.mode, etaText };
    if (status.state !== previous.state) {
      if (status.state === 'eligible') {
        document.title = "It's your turn";
        say(alertRegion, "It's your turn. Press Let me in to go in.");
      } else if (status.state === 'expired') {
        document.title = 'Your place has expired';
        say(alertRegion, 'Your place has expired. You can join the queue again.');
      }
      return;
    }
    if (previous.mode !== null && status.mode !== previous.mode) {
      say(
        announcer,
        status.mode === 'closed' ? 'The queue is paused. You keep your place.' : 'The queue is moving again.',
      );
      return;
    }
    if (status.state === 'waiting') announceProgress(status, etaText);
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

  setText('live_hint', 'This page updates by itself. You can leave it open.');
  connect();
})();
