/**
 * Storage exhaustion through the OpenID Connect provider, as an attacker would try it on a real
 * `anteroom serve` over Redis: an ordinary authorization request from a browser without cookies
 * is parked (nothing stored: the request waits in the page's URL); the requests the provider
 * still sees at once (a request object, `max_age`, …) and logout pages each make it store a
 * record. One client's flood is bounded by its budget, another client is not slowed by it,
 * oversized parameters are refused before anything is stored, and an interaction nobody visits
 * is soon gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AUTHORIZE_PARAMETER_LIMITS,
  OIDC_INTERACTION_TTL_SECONDS as DEFAULT_INTERACTION_TTL_SECONDS,
  LIMIT_DEFAULTS as DEFAULTS,
  UNVISITED_INTERACTION_TTL_SECONDS,
} from '../../queue-core/defaults.ts';
import { type HostileTarget, startHostileTarget } from '../support/hostile-target.ts';
import { testLogger } from '../support/logs.ts';
import { redisSkipReason } from '../support/redis.ts';

/** One proxy in front: the client is the last `X-Forwarded-For` entry, so tests can be many clients. */
const behindOneProxy = { limits: { trustProxy: 1 } };

async function get(url: string, client: string, headers: Record<string, string> = {}) {
  const answer = await fetch(url, { redirect: 'manual', headers: { 'X-Forwarded-For': client, ...headers } });
  return { status: answer.status, headers: answer.headers, body: await answer.text() };
}

async function providerKeys(target: HostileTarget, model: string): Promise<string[]> {
  return target.inspector.keys(`ar:oidc:${model}:*`);
}

describe('OIDC requests that store state, from a hostile client', { skip: redisSkipReason() }, () => {
  let target: HostileTarget;
  /** The budgets' clock (ms): still unless a test moves it, so no budget refills mid-flood. */
  let clockMs = Date.now();
  before(async () => {
    target = await startHostileTarget({
      raw: behindOneProxy,
      logger: testLogger(),
      server: { nowMs: () => clockMs },
    });
  });
  after(() => target?.close());

  it("bounds one client's authorization requests by its budget; another client still gets in", async () => {
    const flood = 100;
    const budget = DEFAULTS.authorizePerClientPerMinute;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let sent = 0; sent < flood; sent += 20) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => get(target.authorizeUrl(), '203.0.113.7')),
      );
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status === 429) {
          retryAfter = answer.headers.get('retry-after');
          assert.match(answer.headers.get('content-type') ?? '', /text\/html/);
        }
      }
    }
    assert.equal(
      statuses.filter((status) => status === 303).length,
      budget,
      'a minute of budget got through',
    );
    assert.equal(statuses.filter((status) => status === 429).length, flood - budget);
    assert.equal(retryAfter, '1', 'one more request a second');
    assert.equal(
      (await target.inspector.keys('ar:oidc:*')).length,
      0,
      'the requests let through are parked: the provider stores nothing',
    );

    const other = await get(target.authorizeUrl(), '198.51.100.9');
    assert.equal(other.status, 303, 'another client is not slowed by the flood');
    clockMs += 1000;
    assert.equal((await get(target.authorizeUrl(), '203.0.113.7')).status, 303, 'a second later, one more');
    assert.equal((await get(target.authorizeUrl(), '203.0.113.7')).status, 429);
  });

  it('refuses oversized authorization parameters before the provider stores anything', async () => {
    const before = (await providerKeys(target, 'Interaction')).length;
    const client = '192.0.2.44';
    const longState = await get(target.authorizeUrl({ state: 'x'.repeat(14 * 1024) }), client);
    assert.equal(longState.status, 400);
    assert.match(longState.body, /invalid_request/);
    assert.match(longState.body, /longer than/);
    const longNonce = await get(
      target.authorizeUrl({ nonce: 'n'.repeat(AUTHORIZE_PARAMETER_LIMITS.other + 1) }),
      client,
    );
    assert.equal(longNonce.status, 400);
    assert.match(longNonce.body, /nonce is longer than 512 characters/);
    const manyParameters = Object.fromEntries(
      Array.from({ length: 20 }, (_, index) => [`extra${index}`, 'p'.repeat(500)]),
    );
    assert.equal((await get(target.authorizeUrl(manyParameters), client)).status, 400);
    assert.equal((await providerKeys(target, 'Interaction')).length, before, 'nothing stored');

    const longestAllowed = await get(
      target.authorizeUrl({ state: 's'.repeat(AUTHORIZE_PARAMETER_LIMITS.state) }),
      client,
    );
    assert.equal(longestAllowed.status, 303, 'a state of the longest allowed size is accepted');
  });

  it('bounds logout pages too (each stores a session)', async () => {
    const before = (await providerKeys(target, 'Session')).length;
    const statuses: number[] = [];
    for (let sent = 0; sent < DEFAULTS.authorizePerClientPerMinute + 10; sent++) {
      statuses.push((await get(`${target.base}/oidc/session/end`, '203.0.113.99')).status);
    }
    assert.equal(statuses.filter((status) => status === 429).length, 10);
    const sessions = (await providerKeys(target, 'Session')).filter((key) => !key.includes(':uid:'));
    assert.ok(
      sessions.length - before <= DEFAULTS.authorizePerClientPerMinute,
      `${sessions.length} sessions`,
    );
  });

  it('forgets an interaction nobody visits within minutes; a visit keeps it for the whole wait', async () => {
    // A request the provider sees at once (max_age is not parked) still makes an interaction.
    const started = await get(target.authorizeUrl({ max_age: '3600' }), '192.0.2.80');
    assert.equal(started.status, 303);
    const location = new URL(started.headers.get('location') ?? '', target.base);
    const uid = location.pathname.split('/').at(-1);
    const key = `ar:oidc:Interaction:${uid}`;
    const unvisited = await target.inspector.ttl(key);
    assert.ok(unvisited > 0 && unvisited <= UNVISITED_INTERACTION_TTL_SECONDS, `ttl ${unvisited}`);

    const cookie = (started.headers.getSetCookie() ?? [])
      .map((line) => line.split(';')[0])
      .filter((pair) => pair?.startsWith('_ar_interaction'))
      .join('; ');
    const page = await get(location.href, '192.0.2.80', { Cookie: cookie });
    assert.equal(page.status, 200, page.body.slice(0, 300));
    const visited = await target.inspector.ttl(key);
    assert.ok(visited > DEFAULT_INTERACTION_TTL_SECONDS - 60, `ttl after the visit ${visited}`);
    const renewed = page.headers.getSetCookie().find((line) => line.startsWith('_ar_interaction='));
    const expires = Date.parse(/expires=([^;]+)/i.exec(renewed ?? '')?.[1] ?? '');
    assert.ok(expires > Date.now() + (DEFAULT_INTERACTION_TTL_SECONDS - 60) * 1000, String(renewed));
    // The renewed cookie still names the interaction: a reload finds it.
    const again = await get(location.href, '192.0.2.80', {
      Cookie: (page.headers.getSetCookie() ?? []).map((line) => line.split(';')[0]).join('; '),
    });
    assert.equal(again.status, 200);
  });
});
