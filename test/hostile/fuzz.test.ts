/**
 * Fuzzing a real `anteroom serve` (both listeners, the hot paths, the OIDC provider, over a
 * private Redis) with fast-check: requests to every public, admin, page and OIDC route, and to
 * paths that are none of them, with any method, mangled paths and percent-encodings, query
 * strings, headers (credentials right and wrong, cookies forged and real, content types,
 * charsets, content encodings, hosts, languages, idempotency keys), bodies (JSON that fits,
 * JSON that does not, forms, bytes, gzip, sizes up to past the body limit).
 *
 * Each request, one at a time, must be answered below 500. A refused one (4xx) must leave the
 * event's counters as they were and may create no Redis key but the ones a refusal is meant to
 * leave (a client's rate budget, an admin failure's throttle and audit entry: `REFUSAL_KEYS`).
 * Afterwards: no unhandled rejection or uncaught exception in the process, the server still
 * serves, and every key in Redis is one the store or the OIDC adapter documents.
 *
 * CI runs `ANTEROOM_FUZZ_RUNS` requests (default 300, a few seconds); `npm run test:fuzz` runs
 * 5,000 (`ANTEROOM_FUZZ_RUNS=… npm run test:fuzz` for another size; `ANTEROOM_FUZZ_SEED` replays
 * a run). A failure prints fast-check's seed and the shrunk request.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  type HostileTarget,
  startHostileTarget,
  TARGET_ADMIN_KEY,
  TARGET_CLIENT,
  TARGET_COOKIE_KEY,
  TARGET_EVENT,
  TARGET_REDIRECT,
} from '../support/hostile-target.ts';
import { testLogger } from '../support/logs.ts';
import { redisSkipReason } from '../support/redis.ts';

const RUNS = Number(process.env.ANTEROOM_FUZZ_RUNS ?? 300);
const SEED =
  process.env.ANTEROOM_FUZZ_SEED === undefined ? undefined : Number(process.env.ANTEROOM_FUZZ_SEED);

/**
 * Keys a refused request may leave: a client's enqueue or OIDC budget (GCRA, expiring), a
 * failed admin sign-in's per-client throttle and its audit entry. Anything else a 4xx creates
 * is state a refused request should not have made.
 */
const REFUSAL_KEYS = [/^ar:budget:/, /^ar:\{[^}]+\}:r:/, /^ar:audit$/];
/**
 * Every key the store documents, read from the key map at the top of redis-store.ts (so a new
 * key type is known once it is documented there), and the OIDC adapter's keys
 * (oidc/adapters/redis.ts, prefix `ar:oidc`).
 */
const KNOWN_KEYS = (() => {
  const source = readFileSync(new URL('../../queue-core/store/redis-store.ts', import.meta.url), 'utf8');
  const keyMap = source.slice(0, source.indexOf('*/'));
  const perEvent = [...keyMap.matchAll(/ar:\{demo\}:([a-z]+)(:<[a-z]+>)?/g)].map(([, name, suffix]) =>
    suffix === undefined ? new RegExp(`^ar:\\{[^}]+\\}:${name}$`) : new RegExp(`^ar:\\{[^}]+\\}:${name}:.+$`),
  );
  const global = [...keyMap.matchAll(/\bar:([a-z]+)(:<[a-z]+>)?/g)]
    .filter(([, name]) => name !== 'oidc')
    .map(([, name, suffix]) =>
      suffix === undefined ? new RegExp(`^ar:${name}$`) : new RegExp(`^ar:${name}:.+$`),
    );
  return [...perEvent, ...global, /^ar:oidc:[A-Za-z]+:.+$/, /^ar:oidc:grant:.+$/];
})();

type Listener = 'public' | 'admin';

interface FuzzRequest {
  listener: Listener;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

// ---- the pieces of a request --------------------------------------------------------------

/** Printable ASCII and some Latin-1: what an HTTP/1.1 header value can carry. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      fc.integer({ min: 0xa0, max: 0xff }).map((code) => String.fromCharCode(code)),
    ),
    maxLength,
  });

/** Any text, long or short, including characters that need percent-encoding. */
const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '%', '%00', '%E0%A4%A', '\u0000', '..', '../..', '💥') },
);

const eventIds = fc.oneof(
  { weight: 6, arbitrary: fc.constant(TARGET_EVENT) },
  { weight: 1, arbitrary: fc.constantFrom('demo', 'none', 'SALE', 'sale ', '{sale}', '*', 'a'.repeat(300)) },
  { weight: 2, arbitrary: anyText },
);
const requestIds = fc.oneof(
  fc.uuid(),
  fc.constantFrom('00000000-0000-4000-8000-000000000000', 'not-a-uuid', ''),
  anyText,
);
const numbers = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e9, 1e10, Number.MAX_SAFE_INTEGER, '1', '1e3', 'NaN', null, true, [1], {}),
);
const scalars = fc.oneof(anyText, numbers, fc.boolean(), fc.constant(null));

const segment = (value: fc.Arbitrary<string>) => value.map((text) => encodeURIComponent(text));

/** Route templates: every route of both apps, the pages and the OIDC provider's endpoints. */
function routes(): fc.Arbitrary<{ listener: Listener; method: string; path: string }> {
  const e = segment(eventIds);
  const pub = (method: string, path: fc.Arbitrary<string> | string) =>
    (typeof path === 'string' ? fc.constant(path) : path).map((p) => ({
      listener: 'public' as const,
      method,
      path: p,
    }));
  const adm = (method: string, path: fc.Arbitrary<string> | string) =>
    (typeof path === 'string' ? fc.constant(path) : path).map((p) => ({
      listener: 'admin' as const,
      method,
      path: p,
    }));
  const oidc = (method: string, path: string | fc.Arbitrary<string>) =>
    pub(method, typeof path === 'string' ? `/oidc${path}` : path.map((p) => `/oidc${p}`));
  return fc.oneof(
    pub('POST', '/assign_queue_num'),
    pub('GET', '/queue_num'),
    pub('GET', '/serving_num'),
    pub('GET', '/waiting_num'),
    pub('POST', '/generate_token'),
    pub('GET', '/public_key'),
    pub('GET', '/queue_pos_expiry'),
    pub('GET', '/status'),
    pub(
      'GET',
      e.map((id) => `/events/${id}/stream`),
    ),
    pub(
      'GET',
      e.map((id) => `/events/${id}/draw`),
    ),
    pub(
      'GET',
      e.map((id) => `/events/${id}/draw/participants`),
    ),
    pub('GET', '/.well-known/jwks.json'),
    pub('GET', '/healthz'),
    pub(
      'GET',
      e.map((id) => `/waiting-room/${id}`),
    ),
    pub(
      'POST',
      e.map((id) => `/waiting-room/${id}/join`),
    ),
    pub(
      'POST',
      e.map((id) => `/waiting-room/${id}/admit`),
    ),
    pub(
      'GET',
      e.map((id) => `/waiting-room/${id}/admit`),
    ),
    pub('GET', '/sample-site'),
    pub(
      'GET',
      fc.constantFrom('/assets/anteroom.css', '/assets/waiting-room.js', '/assets/favicon.svg', '/assets/x'),
    ),
    oidc('GET', '/.well-known/openid-configuration'),
    oidc('GET', '/auth'),
    oidc('POST', '/auth'),
    oidc('POST', '/token'),
    oidc('GET', '/me'),
    oidc('POST', '/me'),
    oidc('GET', '/jwks'),
    oidc('POST', '/token/revocation'),
    oidc('POST', '/token/introspection'),
    oidc('GET', '/session/end'),
    oidc('POST', '/session/end/confirm'),
    oidc(
      'GET',
      segment(anyText).map((uid) => `/interaction/${uid}`),
    ),
    oidc(
      'POST',
      segment(anyText).map((uid) => `/interaction/${uid}`),
    ),
    adm('POST', '/generate_token'),
    adm('POST', '/increment_serving_counter'),
    adm('GET', '/num_active_tokens'),
    adm('GET', '/expired_tokens'),
    adm('POST', '/update_session'),
    adm('POST', '/reset_initial_state'),
    adm('GET', '/events'),
    adm(
      'GET',
      e.map((id) => `/events/${id}`),
    ),
    adm(
      'PUT',
      e.map((id) => `/events/${id}`),
    ),
    adm('GET', '/metrics'),
    adm('GET', '/audit'),
    adm('POST', '/origin_health'),
    adm('GET', '/healthz'),
    adm('GET', '/'),
  );
}

const methods = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
);

const queryNames = fc.constantFrom(
  'event_id',
  'request_id',
  'limit',
  'cursor',
  'offset',
  'client_id',
  'response_type',
  'scope',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'claims',
  'id_token_hint',
  'post_logout_redirect_uri',
  'ui_locales',
  'request',
  'request_uri',
  'lang',
  '__proto__',
  'constructor',
);
const queryValues = fc.oneof(
  { weight: 3, arbitrary: anyText },
  { weight: 2, arbitrary: requestIds },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      TARGET_EVENT,
      TARGET_CLIENT.id,
      TARGET_REDIRECT,
      'code',
      'openid',
      'none',
      'S256',
      'plain',
      '10',
      '-1',
      '1e309',
    ),
  },
);
/** A well-formed authorization request of a registered client, one parameter changed or dropped now and then. */
const authorizeRequests = fc
  .record({
    client: fc.constantFrom(
      { id: TARGET_CLIENT.id, redirect: TARGET_REDIRECT },
      { id: 'spa', redirect: 'https://spa.example.test/cb' },
    ),
    changed: fc.option(fc.tuple(queryNames, fc.option(queryValues, { freq: 3 })), { freq: 2 }),
    method: fc.constantFrom('GET', 'GET', 'POST'),
  })
  .map(({ client, changed, method }) => {
    const query = new URLSearchParams({
      client_id: client.id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: client.redirect,
      state: 'state-0123456789',
      nonce: 'nonce-0123456789',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    if (changed !== null) {
      const [name, value] = changed;
      if (value === null) query.delete(name);
      else query.set(name, value);
    }
    return { listener: 'public' as const, method, path: `/oidc/auth?${query}` };
  });

/** A path: a route's, mangled now and then, or one of no route at all. */
const paths = fc.oneof(
  { weight: 8, arbitrary: routes() },
  { weight: 1, arbitrary: authorizeRequests },
  {
    weight: 1,
    arbitrary: fc.record({
      listener: fc.constantFrom<Listener>('public', 'admin'),
      method: methods,
      path: fc.array(segment(anyText), { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
    }),
  },
);

/** The route's own parameters filled in well now and then, plus any others, repeated or not. */
const queries = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(queryNames, queryValues), { maxLength: 8 })
      .map((pairs) => `?${pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`),
  },
  { weight: 1, arbitrary: headerText(200).map((raw) => `?${raw.replace(/[#\s]/g, '')}`) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 40 })
      .map((n) => `?${Array.from({ length: n * 10 }, (_, i) => `p${i}=v`).join('&')}`),
  },
);

const bodyFields = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'event_id',
      'request_id',
      'increment_by',
      'status',
      'issuer',
      'validity_period',
      'mode',
      'inlet',
      'queuePositionExpirySeconds',
      'tokenValiditySeconds',
      'incrementServingOnExpiry',
      'healthy',
      'grant_type',
      'code',
      'client_id',
      'client_secret',
      'refresh_token',
      'token',
      'redirect_uri',
      'code_verifier',
      '__proto__',
    ),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(scalars, eventIds, requestIds, fc.jsonValue({ maxDepth: 3 })),
  { maxKeys: 6 },
);

type Body = { contentType: string | null; bytes: Buffer | null; encoding: string | null };
const bodies: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ contentType: null, bytes: null, encoding: null }) },
  {
    weight: 4,
    arbitrary: bodyFields.map((fields) => ({
      contentType: 'application/json',
      bytes: Buffer.from(JSON.stringify(fields)),
      encoding: null,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.jsonValue().map((value) => ({
      contentType: 'application/json',
      bytes: Buffer.from(JSON.stringify(value) ?? 'null'),
      encoding: null,
    })),
  },
  {
    weight: 2,
    arbitrary: bodyFields.map((fields) => ({
      contentType: 'application/x-www-form-urlencoded',
      bytes: Buffer.from(
        new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString(),
      ),
      encoding: null,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-16',
        'application/json; charset=nope',
        'application/x-www-form-urlencoded',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/xml',
        '*/*',
        'garbage',
      ),
      bytes: fc
        .oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 200 }))
        .map((value) => Buffer.from(value)),
      encoding: fc.constantFrom(null, 'gzip', 'deflate', 'br', 'identity', 'x-unknown'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(bodyFields, fc.boolean()).map(([fields, broken]) => {
      const json = Buffer.from(JSON.stringify(fields));
      return { contentType: 'application/json', bytes: broken ? json : gzipSync(json), encoding: 'gzip' };
    }),
  },
  {
    weight: 1,
    // Up to past the 1 MB mark, in JSON that parses.
    arbitrary: fc.integer({ min: 10_000, max: 1_200_000 }).map((size) => ({
      contentType: 'application/json',
      bytes: Buffer.from(JSON.stringify({ event_id: TARGET_EVENT, pad: 'p'.repeat(size) })),
      encoding: null,
    })),
  },
);

const adminAuth = fc.oneof(
  fc.constant(`Bearer ${TARGET_ADMIN_KEY}`),
  fc.constant(`Bearer ${TARGET_ADMIN_KEY}x`),
  headerText(80).map((text) => `Bearer ${text}`),
  fc.constant(`Basic ${Buffer.from(`${TARGET_CLIENT.id}:${TARGET_CLIENT.secret}`).toString('base64')}`),
  headerText(60).map((text) => `Basic ${Buffer.from(text, 'latin1').toString('base64')}`),
  fc.constantFrom(
    'Bearer',
    'Basic',
    'AWS4-HMAC-SHA256 Credential=x/y, SignedHeaders=host, Signature=z',
    'Negotiate x',
  ),
  headerText(100),
);
const cookieNames = fc.constantFrom(
  'anteroom_vid',
  `anteroom_rid_${TARGET_EVENT}`,
  '_ar_session',
  '_ar_session.sig',
  '_ar_interaction',
  '_ar_interaction.sig',
  '_ar_resume',
  '_ar_resume.sig',
  'anteroom_admin',
  'x',
);
const cookies = fc
  .array(
    fc.tuple(
      cookieNames,
      fc.oneof(
        requestIds,
        headerText(80).map((text) => text.replace(/[;,]/g, '')),
      ),
    ),
    {
      maxLength: 5,
    },
  )
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; '));

const headerSets = fc.record(
  {
    authorization: adminAuth,
    cookie: cookies,
    accept: fc.constantFrom('application/json', 'text/html', 'text/event-stream', '*/*', '', 'garbage/'),
    'accept-language': fc.oneof(
      fc.constantFrom('fr-FR,fr;q=0.9', 'de', 'es;q=0', 'zz', '*'),
      headerText(100),
    ),
    'idempotency-key': fc.oneof(fc.uuid(), headerText(300)),
    'x-forwarded-for': fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      headerText(60),
      fc.array(fc.ipV4(), { maxLength: 4 }).map((list) => list.join(', ')),
    ),
    host: fc.oneof(fc.constantFrom('evil.example', 'localhost', '127.0.0.1:1', ''), headerText(60)),
    origin: fc.constantFrom('https://shop.example', 'null', 'http://127.0.0.1'),
    'x-request-id': headerText(200),
    range: fc.constantFrom('bytes=0-10', 'bytes=-1', 'x'),
    'if-none-match': headerText(40),
  },
  { requiredKeys: [] },
);

const requests: fc.Arbitrary<FuzzRequest> = fc
  .tuple(paths, fc.option(methods, { freq: 6 }), queries, headerSets, bodies)
  .map(([route, otherMethod, query, headers, body]) => {
    const all: Record<string, string> = { ...headers };
    if (body.contentType !== null) all['content-type'] = body.contentType;
    if (body.encoding !== null) all['content-encoding'] = body.encoding;
    return {
      listener: route.listener,
      method: otherMethod ?? route.method,
      path: route.path.includes('?') ? `${route.path}${query.replace(/^\?/, '&')}` : `${route.path}${query}`,
      headers: all,
      body: body.bytes,
    };
  });

// ---- sending ------------------------------------------------------------------------------

/** One request on a connection of its own; a stream that opens is closed once its headers came. */
function send(port: number, input: FuzzRequest): Promise<Answer | 'unsendable'> {
  return new Promise((resolve, reject) => {
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest({
        host: '127.0.0.1',
        port,
        method: input.method,
        path: input.path,
        headers: {
          ...input.headers,
          connection: 'close',
          ...(input.body === null ? {} : { 'content-length': String(input.body.length) }),
        },
        timeout: 15_000,
        insecureHTTPParser: false,
      });
    } catch {
      // Node's client will not send it (a header or path it calls invalid): nor would a browser.
      resolve('unsendable');
      return;
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        return;
      }
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 4096) chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within 15 s: ${input.method} ${input.path}`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close the connection on a body it refuses before reading all of it.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') resolve('unsendable');
      else reject(error);
    });
    if (input.body !== null) req.end(input.body);
    else req.end();
  });
}

function describeRequest(input: FuzzRequest): string {
  const body =
    input.body === null ? '' : ` body ${input.body.length} B: ${input.body.subarray(0, 200).toString()}`;
  return `${input.listener} ${input.method} ${input.path.slice(0, 300)} ${JSON.stringify(input.headers).slice(0, 600)}${body}`;
}

for (const store of ['memory', 'redis'] as const) {
  describe(`fuzzing every route of a running server (${store} store)`, { skip: redisSkipReason() }, () => {
    let target: HostileTarget;
    let adminPort: number;
    let publicPort: number;
    const problems: string[] = [];
    const onRejection = (reason: unknown) => problems.push(`unhandled rejection: ${String(reason)}`);
    const onException = (error: unknown) => problems.push(`uncaught exception: ${String(error)}`);

    before(async () => {
      process.on('unhandledRejection', onRejection);
      process.on('uncaughtException', onException);
      target = await startHostileTarget({
        // One proxy in front: the fuzzed X-Forwarded-For spreads the requests over many
        // clients, so the budgets refuse some and not all.
        raw: {
          limits: { trustProxy: 1 },
          oidc: { cookieKeys: [TARGET_COOKIE_KEY], clients: clients() },
          ...(store === 'memory' ? { store: { type: 'memory' } } : {}),
        },
        logger: testLogger(),
        // No inlet loop during the run: what changes in the store is the requests' doing alone.
        server: { tickMs: 3_600_000 },
      });
      publicPort = Number(new URL(target.base).port);
      adminPort = Number(new URL(target.server.adminUrl).port);
    });
    after(async () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      await target?.close();
    });

    it(`answers ${RUNS} fuzzed requests below 500, and a refused one leaves no state behind`, {
      timeout: 600_000,
    }, async () => {
      /** The event's counters, read from the server's own store (either kind). */
      const counters = () => target.server.deps.store.getCounters(TARGET_EVENT);
      /** Redis's keys (the memory store keeps none there: an empty set). */
      const keys = async () => new Set(await target.inspector.keys('*'));
      const tally = new Map<string, number>();
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(requests, async (input) => {
          const port = input.listener === 'public' ? publicPort : adminPort;
          const [keysBefore, countersBefore] = await Promise.all([keys(), counters()]);
          const answer = await send(port, input);
          if (answer === 'unsendable') return;
          sent += 1;
          const bucket = `${Math.floor(answer.status / 100)}xx`;
          tally.set(bucket, (tally.get(bucket) ?? 0) + 1);
          assert.ok(
            answer.status < 500,
            `${answer.status} ${answer.body.slice(0, 300)} for ${describeRequest(input)}`,
          );
          if (answer.status >= 400) {
            const created = [...(await keys())].filter((key) => !keysBefore.has(key));
            const unexpected = created.filter((key) => !REFUSAL_KEYS.some((pattern) => pattern.test(key)));
            assert.deepEqual(
              unexpected,
              [],
              `a ${answer.status} left ${unexpected} for ${describeRequest(input)}`,
            );
            assert.deepEqual(
              await counters(),
              countersBefore,
              `a ${answer.status} moved the counters: ${describeRequest(input)}`,
            );
          }
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), includeErrorInReport: true },
      );
      const health = await fetch(`${target.base}/healthz`);
      assert.equal(health.status, 200, 'the server still serves');
      const strays = [...(await keys())].filter((key) => !KNOWN_KEYS.some((pattern) => pattern.test(key)));
      assert.deepEqual(strays, [], 'every key in Redis is one the store or the OIDC adapter documents');
      if (store === 'memory') assert.equal((await keys()).size, 0, 'the memory store wrote nothing to Redis');
      assert.deepEqual(problems, [], 'no unhandled rejection, no uncaught exception');
      // The size of the run and where its answers fell, for the record (notes, docs).
      console.log(
        `fuzz (${store}): ${sent} requests sent of ${RUNS}; ${JSON.stringify(Object.fromEntries(tally))}`,
      );
    });
  });
}

/** The target's confidential client, and a public PKCE one. */
function clients() {
  return [
    {
      client_id: TARGET_CLIENT.id,
      client_secret: TARGET_CLIENT.secret,
      redirect_uris: [TARGET_REDIRECT],
      event_id: TARGET_EVENT,
    },
    { client_id: 'spa', redirect_uris: ['https://spa.example.test/cb'], event_id: TARGET_EVENT },
  ];
}
