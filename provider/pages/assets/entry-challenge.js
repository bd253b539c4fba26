// Anteroom entry challenge on the join form: solves the proof of work in a Web Worker
// (pow-worker.js) as soon as the page opens, shows its progress, and puts the answer in the
// form. The visitor may press the button at any time: the form is sent once the answer is
// found. Without JavaScript the page's <noscript> message says what to do.
(() => {
  const root = document.getElementById('ar-challenge');
  if (root?.dataset.kind !== 'pow') return;
  const form = root.closest('form');
  const answerField = form.querySelector('input[name="challenge"]');
  const button = form.querySelector('button[type="submit"]');
  const progress = document.getElementById('ar-challenge-progress');
  const text = root.querySelector('[data-field="challenge_text"]');
  const section = root.querySelector('[data-section="challenge_progress"]');

  let messages = {};
  try {
    messages = JSON.parse(root.dataset.messages || '{}');
  } catch {
    // The page keeps its rendered words.
  }
  function fill(key, values = {}) {
    const template = messages[key];
    if (typeof template !== 'string') return '';
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }
  function say(key, values) {
    const sentence = fill(key, values);
    if (sentence !== '') text.textContent = sentence;
  }

  const prefix = root.dataset.prefix;
  const difficulty = Number(root.dataset.difficulty);
  const expiresAt = Number(root.dataset.expiresAt);
  /** 2^difficulty attempts on average. */
  const expected = 2 ** difficulty;
  const autoSubmit = root.dataset.autoSubmit === 'true';

  if (typeof Worker !== 'function') {
    say('challengeNoWorker');
    return;
  }

  let answer = null;
  let wanted = autoSubmit;

  function expired() {
    // A few seconds' margin for the trip to the server.
    return Date.now() / 1000 > expiresAt - 5;
  }

  function send() {
    // The prefix expired while the page stood open: a reload brings a fresh one.
    if (expired()) {
      window.location.reload();
      return;
    }
    answerField.value = answer;
    form.submit();
  }

  form.addEventListener('submit', (event) => {
    if (answer !== null && !expired()) {
      answerField.value = answer;
      return;
    }
    event.preventDefault();
    if (answer !== null) {
      send();
      return;
    }
    wanted = true;
    button.disabled = true;
    say('challengeJoinWhenDone');
  });

  const worker = new Worker(root.dataset.workerUrl);
  worker.onmessage = (message) => {
    const data = message.data;
    if (data.type === 'progress') {
      // The chance that a solver would have finished by now: it never reaches 100 % by itself.
      const percent = Math.min(99, Math.floor(100 * (1 - Math.exp(-data.tried / expected))));
      progress.value = percent;
      progress.textContent = `${percent} %`;
      if (!wanted) say('challengeWorking', { percent });
      return;
    }
    if (data.type === 'solved') {
      answer = data.answer;
      worker.terminate();
      progress.value = 100;
      progress.textContent = '100 %';
      root.dataset.tried = String(data.tried);
      root.dataset.state = 'solved';
      say('challengeDone');
      button.disabled = false;
      if (wanted) send();
    }
  };
  worker.onerror = () => {
    say('challengeNoWorker');
  };
  section.hidden = false;
  button.disabled = false;
  say('challengeWorking', { percent: 0 });
  worker.postMessage({ prefix, difficulty });
})();
