/**
 * The pages over plain HTTP (no browser): what a visitor without JavaScript, a crawler or an
 * attacker gets. The real server in-process, with a controlled clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PUBLIC_PATHS } from '../../provider/pages/index.ts';
import { startTestServer, type TestServer } from '../browser/support.ts';

/** A browser's cookie handling, reduced to what the pages need. */
class Visitor {
  private readonly cookies = new Map<string, string>();
  private readonly base: string;
  constructor(base: string) {
    this.base = base;
  }
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      this.cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
    return response;
  }
  /** A form post from the page itself (same origin), as a browser sends it. */
  post(path: string): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { Origin: this.base, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
  }
  async page(path: string): Promise<string> {
    const response = await this.request(path);
    assert.equal(response.status, 200, `GET ${path}`);
    return response.text();
  }
}

function field(page: string, name: string): string | undefined {
  return new RegExp(`data-field="${name}"[^>]*>([^<]*)<`).exec(page)?.[1];
}

describe('waiting page over HTTP', () => {
  let server: TestServer;
  let clock = 1_800_000_000;

  before(async () => {
    server = await startTestServer(
      [
        'first',
        'plain',
        { id: 'expiring', inlet: { type: 'manual' }, queuePositionExpirySeconds: 60 },
        { id: 'open', inlet: { type: 'manual' }, mode: 'passthrough' },
        { id: 'shut', inlet: { type: 'manual' }, mode: 'closed' },
        'counting',
      ],
      { now: () => clock },
    );
  });
  after(() => server?.close());

  test('GET / is the first configured event, with a strict CSP and no caching', async () => {
    const response = await fetch(`${server.publicUrl}/`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = await response.text();
    assert.match(body, /<span class="event-id">first<\/span>/);
    assert.match(body, /action="\/waiting-room\/first\/join"/);
    assert.doesNotMatch(body, /<script>|style="/, 'no inline script or style');
  });

  test('join, reload, admission and tokens work with forms and reloads alone', async () => {
    const visitor = new Visitor(server.publicUrl);
    const join = await visitor.post('/waiting-room/plain/join');
    assert.equal(join.status, 303);
    assert.equal(join.headers.get('location'), '/waiting-room/plain');
    let page = await visitor.page('/waiting-room/plain');
    assert.equal(field(page, 'queue_number'), '1');
    assert.equal(field(page, 'eta'), 'Estimating… not enough data yet');

    // A second submit (double click, back button) keeps the same place.
    await visitor.post('/waiting-room/plain/join');
    page = await visitor.page('/waiting-room/plain');
    assert.equal(field(page, 'queue_number'), '1');

    // Claiming before it is your turn changes nothing.
    assert.equal((await visitor.post('/waiting-room/plain/admit')).status, 303);
    assert.match(await visitor.page('/waiting-room/plain'), /<section data-section="waiting"[^>]*?\s*>/);

    await server.admin('POST', '/increment_serving_counter', { event_id: 'plain', increment_by: 1 });
    page = await visitor.page('/waiting-room/plain');
    assert.match(page, /data-state="eligible"/);
    assert.match(page, /<section data-section="eligible" aria-labelledby="ar-eligible-title" >/);
    assert.equal((await visitor.post('/waiting-room/plain/admit')).status, 303);
    page = await visitor.page('/waiting-room/plain');
    assert.match(page, /<h1 id="ar-admitted-title">You're in<\/h1>/);
    assert.match(page, /<textarea id="ar-access-token"[^>]*>[\w-]+\.[\w-]+\.[\w-]+<\/textarea>/);
  });

  test("'People waiting now' counts the places not yet reached, not the AWS waiting_num", async () => {
    const visitors = Array.from({ length: 5 }, () => new Visitor(server.publicUrl));
    for (const visitor of visitors) await visitor.post('/waiting-room/counting/join');
    await server.admin('POST', '/increment_serving_counter', { event_id: 'counting', increment_by: 2 });
    // Two places let in and not claimed: the AWS count still has them, the line does not.
    const { waiting_num } = (await (
      await fetch(`${server.publicUrl}/waiting_num?event_id=counting`)
    ).json()) as { waiting_num: number };
    assert.equal(waiting_num, 5);
    const page = await new Visitor(server.publicUrl).page('/waiting-room/counting');
    assert.match(page, /People waiting now: <strong>3<\/strong>/);
    // At 0 people ahead the page says so.
    await server.admin('POST', '/increment_serving_counter', { event_id: 'counting', increment_by: 1 });
    const fourth = await visitors[3]!.page('/waiting-room/counting');
    assert.equal(field(fourth, 'ahead'), '0');
    assert.match(fourth, /data-field="waiting_heading">You're next<\/h1>/);
    const fifth = await visitors[4]!.page('/waiting-room/counting');
    assert.match(fifth, /data-field="waiting_heading">You're in the queue<\/h1>/);
  });

  test('the onward link follows a same-site return_url and ignores any other', async () => {
    const visitor = new Visitor(server.publicUrl);
    const hostile = encodeURIComponent('"><script>alert(1)</script>');
    const join = await visitor.post(
      `/waiting-room/first/join?return_url=${encodeURIComponent('/shop?a=1&b=2')}`,
    );
    assert.equal(
      join.headers.get('location'),
      `/waiting-room/first?return_url=${encodeURIComponent('/shop?a=1&b=2')}`,
    );
    await server.admin('POST', '/increment_serving_counter', { event_id: 'first', increment_by: 1 });
    await visitor.post('/waiting-room/first/admit');
    const page = await visitor.page(`/waiting-room/first?return_url=${encodeURIComponent('/shop?a=1&b=2')}`);
    assert.match(page, /<a class="button primary" href="\/shop\?a=1&amp;b=2">Continue to the site<\/a>/);
    const offsite = await visitor.page(
      `/waiting-room/first?return_url=${encodeURIComponent('https://evil.example/')}`,
    );
    assert.match(offsite, /<a class="button primary" href="\/">Continue to the site<\/a>/);
    const injected = await visitor.page(`/waiting-room/first?return_url=/${hostile}`);
    assert.doesNotMatch(injected, /<script>alert/);
    assert.match(injected, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  test('an expired place says so, and joining again gives a new place', async () => {
    const visitor = new Visitor(server.publicUrl);
    await visitor.post('/waiting-room/expiring/join');
    await server.admin('POST', '/increment_serving_counter', { event_id: 'expiring', increment_by: 1 });
    const joinPage = await new Visitor(server.publicUrl).page('/waiting-room/expiring');
    // Said before the wait, not once it is too late.
    assert.match(joinPage, /When your turn comes, it is kept for 1 min 00 s\./);
    assert.match(joinPage, /One tab is enough/);
    assert.match(joinPage, /<meta name="description" content="A fair, first-come waiting room/);
    let page = await visitor.page('/waiting-room/expiring');
    assert.match(page, /data-state="eligible"/);
    // In the turn's last minute: the warning, and a reload before the turn ends.
    assert.match(
      page,
      /<p class="notice" data-section="expiry_warning" >Your turn runs out in less than a minute/,
    );
    assert.match(page, /<noscript><meta http-equiv="refresh" content="\d+"><\/noscript>/);
    assert.equal(field(page, 'expires_in'), '1 min 00 s');
    clock += 61;
    page = await visitor.page('/waiting-room/expiring');
    assert.match(page, /data-state="expired"/);
    assert.doesNotMatch(page, /http-equiv="refresh"/, 'an expired page changes no more by itself');
    await visitor.post('/waiting-room/expiring/join');
    page = await visitor.page('/waiting-room/expiring');
    assert.equal(field(page, 'queue_number'), '2', 'a new place, behind the expired one');
    assert.match(page, /data-state="waiting"/);
  });

  test('pass-through admits at once; closed shows the closed page and refuses to join', async () => {
    const through = new Visitor(server.publicUrl);
    assert.match(await through.page('/waiting-room/open'), /No waiting right now/);
    await through.post('/waiting-room/open/join');
    assert.match(await through.page('/waiting-room/open'), /You're in/);

    const shut = new Visitor(server.publicUrl);
    assert.match(await shut.page('/waiting-room/shut'), /This waiting room is closed/);
    const join = await shut.post('/waiting-room/shut/join');
    assert.equal(join.status, 303);
    assert.match(await shut.page('/waiting-room/shut'), /This waiting room is closed/);
    const counters = (await server.admin('GET', '/events/shut')) as { counters: { queue_number: number } };
    assert.equal(counters.counters.queue_number, 0);
  });

  test('a form post from another site is refused and takes no place', async () => {
    const response = await fetch(`${server.publicUrl}/waiting-room/plain/join`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
      redirect: 'manual',
    });
    assert.equal(response.status, 403);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const counters = (await server.admin('GET', '/events/plain')) as { counters: { queue_number: number } };
    assert.equal(counters.counters.queue_number, 1, 'only the earlier visitor');
  });

  test('an unknown or malformed event answers a 404 page, not JSON', async () => {
    for (const path of ['/waiting-room/nope', '/waiting-room/%3Cb%3E']) {
      const response = await fetch(`${server.publicUrl}${path}`);
      assert.equal(response.status, 404, path);
      const body = await response.text();
      assert.match(body, /No such waiting room/);
      assert.doesNotMatch(body, /<b>/);
    }
  });

  test('assets are served with their types and revalidate with an ETag', async () => {
    for (const [path, type] of [
      ['/assets/waiting-room.js', 'text/javascript'],
      ['/assets/anteroom.css', 'text/css'],
      ['/assets/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const response = await fetch(`${server.publicUrl}${path}`);
      assert.equal(response.status, 200, path);
      assert.ok(response.headers.get('content-type')?.startsWith(type), path);
      const etag = response.headers.get('etag') ?? '';
      const again = await fetch(`${server.publicUrl}${path}`, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, path);
    }
    assert.equal(
      (await fetch(`${server.publicUrl}/assets/dashboard.js`)).status,
      404,
      'admin script not public',
    );
  });

  test('the dashboard page and its assets need no key; the admin API still does', async () => {
    for (const path of ADMIN_PUBLIC_PATHS) {
      const response = await fetch(`${server.adminUrl}${path}`);
      assert.equal(response.status, 200, path);
    }
    const page = await (await fetch(`${server.adminUrl}/`)).text();
    assert.doesNotMatch(page, /browser-test-admin-key/, 'the page carries no secret');
    assert.equal((await fetch(`${server.adminUrl}/events`)).status, 401);
    assert.equal(
      (await fetch(`${server.adminUrl}/assets/waiting-room.js`)).status,
      401,
      'only the listed assets',
    );
  });
});

describe('waiting page enqueue budget', () => {
  test('the per-client enqueue limit answers a 429 page with Retry-After and takes no place', async () => {
    const server = await startTestServer(['limited'], { enqueuePerClientPerMinute: 1 });
    try {
      const first = new Visitor(server.publicUrl);
      assert.equal((await first.post('/waiting-room/limited/join')).status, 303);
      const second = new Visitor(server.publicUrl);
      const refused = await second.post('/waiting-room/limited/join');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.match(await refused.text(), /Please wait a moment/);
      const counters = (await server.admin('GET', '/events/limited')) as {
        counters: { queue_number: number };
      };
      assert.equal(counters.counters.queue_number, 1);
    } finally {
      await server.close();
    }
  });
});

describe('the pages in other languages (pages.language: ["de", "fr"])', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer([{ id: 'warten', name: 'Konzert „Sommer“', inlet: { type: 'manual' } }], {
      pages: { language: ['de', 'fr'] },
    });
  });
  after(() => server.close());

  test('every state and every problem page is German, and the live script gets German words', async () => {
    const visitor = new Visitor(server.publicUrl);
    const join = await visitor.page('/waiting-room/warten');
    assert.match(join, /<html lang="de">/);
    assert.match(join, /<h1>Die Website ist stark ausgelastet<\/h1>/);
    assert.match(join, /Warteraum · <span class="event-id">Konzert „Sommer“<\/span>/, 'the name, not the id');
    assert.match(join, /Zurzeit wartende Personen: <strong>0<\/strong>/);

    await visitor.post('/waiting-room/warten/join');
    const waiting = await visitor.page('/waiting-room/warten');
    assert.match(
      waiting,
      /<h1 id="ar-waiting-title" data-field="waiting_heading">Sie sind als Nächstes dran<\/h1>/,
    );
    assert.match(waiting, /<dd data-field="eta">Wird geschätzt… noch nicht genug Daten<\/dd>/);
    const encoded = /data-messages="([^"]*)"/.exec(waiting)?.[1] ?? '';
    const messages = JSON.parse(encoded.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as Record<
      string,
      string
    >;
    assert.equal(messages['etaMinutes'], 'etwa {n} Minuten');
    assert.equal(
      messages['alertEligible'],
      'Sie sind an der Reihe. Wählen Sie „Eintreten“, um hineinzugehen.',
    );

    const missing = await fetch(`${server.publicUrl}/waiting-room/nirgends`);
    assert.equal(missing.status, 404);
    const body = await missing.text();
    assert.match(body, /<html lang="de">/);
    assert.match(body, /Diesen Warteraum gibt es nicht/);
    // Not a dead end: the start page is one link away.
    assert.match(body, /<a href="\/">Zur Startseite<\/a>/);
  });

  test("a visitor's Accept-Language picks among the offered languages, the first being the default", async () => {
    const pageIn = async (acceptLanguage: string) => {
      const response = await fetch(`${server.publicUrl}/waiting-room/warten`, {
        headers: { 'Accept-Language': acceptLanguage },
      });
      assert.match(response.headers.get('vary') ?? '', /Accept-Language/i);
      return /<html lang="(\w+)">/.exec(await response.text())?.[1];
    };
    assert.equal(await pageIn('fr-CA,fr;q=0.9,en;q=0.8'), 'fr');
    assert.equal(await pageIn('en-GB,fr;q=0.5'), 'fr', 'English is not offered: the next choice');
    assert.equal(await pageIn('es, en'), 'de', 'nothing offered: the default');
    assert.equal(await pageIn('fr;q=0, de;q=0.1'), 'de', 'q=0 means "not this one"');
    assert.equal(await pageIn('*'), 'de');
    const missing = await fetch(`${server.publicUrl}/waiting-room/nirgends`, {
      headers: { 'Accept-Language': 'fr' },
    });
    assert.match(await missing.text(), /Cette salle d’attente n’existe pas/);
  });
});

/** What a visitor sees: the sections not hidden, their tags dropped. */
function shownText(page: string): string {
  return page
    .replace(/<(section|p|div)\b[^>]*\shidden\b[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<(script|style|title)\b[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ');
}

describe('a pre-queue without JavaScript', () => {
  let server: TestServer;
  let clock = 1_800_000_000;
  const startAt = clock + 45;

  before(async () => {
    server = await startTestServer(
      [
        {
          id: 'drop',
          inlet: { type: 'manual' },
          schedule: { prequeueAt: clock - 60, startAt },
          draw: 'shuffle',
        },
      ],
      { now: () => clock },
    );
  });
  after(() => server?.close());

  test('the page counts down to the start, reloads just after it and then shows the drawn place', async () => {
    const visitor = new Visitor(server.publicUrl);
    const join = await visitor.page('/waiting-room/drop');
    assert.match(join, /<h1>Opening soon<\/h1>/);
    assert.match(join, /Join the pre-queue/);
    assert.match(join, /<time data-field="starts_at_time" datetime="2027-01-15T08:00:45Z">08:00 UTC<\/time>/);
    assert.equal(field(join, 'starts_in'), '45 s');

    assert.equal((await visitor.post('/waiting-room/drop/join')).status, 303);
    clock += 5;
    let page = await visitor.page('/waiting-room/drop');
    assert.match(page, /data-phase="prequeue"/);
    assert.match(page, /<title>Opening soon<\/title>/);
    const shown = shownText(page);
    assert.match(shown, /You're in the pre-queue/);
    assert.match(shown, /random draw/);
    assert.doesNotMatch(shown, /You're in the queue/, 'no queue heading before the draw');
    assert.equal(field(page, 'starts_in'), '40 s');
    // The page without JavaScript reloads one second after the start (20 s is the usual pace).
    assert.match(page, /<meta http-equiv="refresh" content="20">/);
    clock += 25;
    page = await visitor.page('/waiting-room/drop');
    assert.match(page, /<meta http-equiv="refresh" content="16">/);

    // Past the start: the draw runs on the next inlet tick, and the reload shows the place.
    clock = startAt + 1;
    for (let attempt = 0; attempt < 100; attempt++) {
      page = await visitor.page('/waiting-room/drop');
      if (/data-phase="queue"/.test(page)) break;
      assert.match(shownText(page), /The queue is opening/);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(page, /data-phase="queue"/);
    assert.equal(field(page, 'queue_number'), '1');
    assert.match(shownText(page), /You're next/);
    assert.match(page, /<title>Waiting room<\/title>/);
  });
});
