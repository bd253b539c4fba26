/**
 * Every state a visitor's page can be in, rendered as the server renders it, for the tests that
 * must cover them all (languages). Fixed values: the same page every run.
 */

import type { PageText } from '../../provider/pages/waiting/messages.ts';
import { fill } from '../../provider/pages/waiting/messages.ts';
import { type PageLinks, renderProblemPage, renderWaitingPage } from '../../provider/pages/waiting/render.ts';
import type { WaitingView } from '../../provider/pages/waiting/state.ts';
import { parseEvent } from '../../queue-core/event-settings.ts';
import type { StatusView, TokenSet } from '../../queue-core/room/room-api.ts';
import type { EventSettings } from '../../queue-core/types.ts';

/** No English word in it: the event's label shows on every page. */
const EVENT_ID = 'salle-42';
const REQUEST_ID = '6f1c1b8e-3b4a-4c55-9a0e-1f2d3c4b5a69';

const LINKS: PageLinks = {
  basePath: '',
  self: `/waiting-room/${EVENT_ID}`,
  join: `/waiting-room/${EVENT_ID}/join`,
  admit: `/waiting-room/${EVENT_ID}/admit`,
  onward: '/',
  statusUrl: (id) => `/status?event_id=${EVENT_ID}&request_id=${id}`,
  streamUrl: (id) => `/events/${EVENT_ID}/stream?request_id=${id}`,
};

function event(settings: Record<string, unknown> = {}): EventSettings {
  return parseEvent({ id: EVENT_ID, inlet: { type: 'manual' }, ...settings });
}

function status(overrides: Partial<StatusView>): StatusView {
  return {
    event_id: EVENT_ID,
    request_id: REQUEST_ID,
    queue_number: 12,
    entry_time: 1_800_000_000,
    serving_counter: 6,
    waiting_num: 9,
    ahead: 5,
    eligible: false,
    eta_seconds: 420,
    expires_in: null,
    mode: 'queue',
    admitted: false,
    state: 'waiting',
    phase: 'queue',
    starts_at: null,
    ...overrides,
  };
}

const TOKENS: TokenSet = {
  access_token: 'aaaa.bbbb.cccc',
  id_token: 'dddd.eeee.ffff',
  refresh_token: 'gggg.hhhh.iiii',
  token_type: 'Bearer',
  expires_in: 3600,
};

const expiring = event({ queuePositionExpirySeconds: 300 });

/** The render's clock (epoch seconds): pages that count down count from it. */
const NOW = 1_800_000_000;

/** A shuffled pre-queue that starts in ten minutes. */
const scheduled = event({ schedule: { prequeueAt: NOW - 600, startAt: NOW + 600 }, draw: 'shuffle' });

/** A pre-queued visitor's status: no position until the draw. */
function prequeued(overrides: Partial<StatusView>): StatusView {
  return status({
    queue_number: null,
    ahead: null,
    serving_counter: 0,
    waiting_num: 0,
    eta_seconds: null,
    phase: 'prequeue',
    starts_at: NOW + 600,
    ...overrides,
  });
}

/** An entry challenge as the room offers it (fixed values: the same page every run). */
const POW = {
  type: 'pow',
  algorithm: 'sha256',
  prefix: 'AQgAAGsQCO9VrEf05TBgRwEnBa4_jm_CpnceqCQuHUG9K_GzWE-D9w',
  difficulty: 18,
  expires_at: 1_800_000_300,
} as const;

/** Waiting views by name: every state `renderWaitingPage` draws. */
export const WAITING_VIEWS: Record<string, WaitingView> = {
  join: { kind: 'join', event: event(), peopleWaiting: 7 },
  'join, turns kept 5 minutes': { kind: 'join', event: expiring, peopleWaiting: 7 },
  'join, place gone after a reset': { kind: 'join', event: event(), peopleWaiting: 0, placeLost: true },
  passthrough: { kind: 'join', event: event({ mode: 'passthrough' }), peopleWaiting: 0 },
  'join, proof of work': { kind: 'join', event: event(), peopleWaiting: 7, challenge: POW },
  'join, proof of work refused': {
    kind: 'join',
    event: event(),
    peopleWaiting: 7,
    challenge: POW,
    failed: true,
  },
  'join, captcha widget': {
    kind: 'join',
    event: event(),
    peopleWaiting: 7,
    challenge: { type: 'siteverify', provider: 'turnstile', sitekey: '0x4AAAAAAAB' },
  },
  closed: { kind: 'closed', event: event({ mode: 'closed' }) },
  waiting: { kind: 'status', event: expiring, status: status({}), tokens: null },
  'waiting, estimate unknown': {
    kind: 'status',
    event: event(),
    status: status({ eta_seconds: null }),
    tokens: null,
  },
  'waiting, next': {
    kind: 'status',
    event: event(),
    status: status({ serving_counter: 11, ahead: 0, eta_seconds: 30 }),
    tokens: null,
  },
  'expired, event paused': {
    kind: 'status',
    event: event({ mode: 'closed', queuePositionExpirySeconds: 300 }),
    status: status({ serving_counter: 20, ahead: 0, eta_seconds: null, mode: 'closed', state: 'expired' }),
    tokens: null,
  },
  'waiting, paused': {
    kind: 'status',
    event: event({ mode: 'closed' }),
    status: status({ mode: 'closed', eta_seconds: 7500 }),
    tokens: null,
  },
  eligible: {
    kind: 'status',
    event: event(),
    status: status({ serving_counter: 12, ahead: 0, eligible: true, eta_seconds: 0, state: 'eligible' }),
    tokens: null,
  },
  'eligible, kept 4 minutes': {
    kind: 'status',
    event: expiring,
    status: status({ serving_counter: 12, ahead: 0, eligible: true, expires_in: 245, state: 'eligible' }),
    tokens: null,
  },
  'eligible, under a minute left': {
    kind: 'status',
    event: expiring,
    status: status({ serving_counter: 12, ahead: 0, eligible: true, expires_in: 42, state: 'eligible' }),
    tokens: null,
  },
  expired: {
    kind: 'status',
    event: expiring,
    status: status({ serving_counter: 20, ahead: 0, eta_seconds: null, state: 'expired' }),
    tokens: null,
  },
  'join, before the pre-queue starts': {
    kind: 'join',
    event: scheduled,
    peopleWaiting: 0,
  },
  'pre-queue, shuffled': {
    kind: 'status',
    event: scheduled,
    status: prequeued({}),
    tokens: null,
  },
  'pre-queue, arrival order, hours ahead': {
    kind: 'status',
    event: event({ schedule: { prequeueAt: NOW - 60, startAt: NOW + 7_300 } }),
    status: prequeued({ starts_at: NOW + 7_300 }),
    tokens: null,
  },
  'pre-queue, drawing': {
    kind: 'status',
    event: scheduled,
    status: prequeued({ starts_at: NOW - 2 }),
    tokens: null,
  },
  admitted: {
    kind: 'status',
    event: event(),
    status: status({ serving_counter: 12, ahead: 0, eligible: true, admitted: true, state: 'admitted' }),
    tokens: TOKENS,
  },
  ended: {
    kind: 'status',
    event: event(),
    status: status({ serving_counter: 12, ahead: 0, admitted: true, eta_seconds: null, state: 'ended' }),
    tokens: null,
  },
};

/** Every page state in one language, by name. */
export function renderEveryState(text: PageText): Map<string, string> {
  const pages = new Map<string, string>();
  for (const [name, view] of Object.entries(WAITING_VIEWS)) {
    pages.set(name, renderWaitingPage(view, LINKS, text, { nowMs: NOW * 1000 }));
  }
  const { messages } = text;
  // The problem pages, with the sentences `problem.ts` and the OIDC interaction give them.
  pages.set(
    'problem: no such room',
    renderProblemPage(messages.problemNoRoomTitle, messages.problemNoRoomText, null, '', text),
  );
  pages.set(
    'problem: please wait',
    renderProblemPage(
      messages.problemWaitTitle,
      `${messages.problemWaitText} ${fill(messages.problemRetryIn, { n: 30 })}`,
      LINKS.self,
      '',
      text,
    ),
  );
  pages.set(
    'problem: error',
    renderProblemPage(messages.problemErrorTitle, messages.problemErrorText, LINKS.self, '', text),
  );
  pages.set(
    'problem: sign-in expired',
    renderProblemPage(messages.signInExpiredTitle, messages.signInExpiredText, null, '', text),
  );
  return pages;
}
