/**
 * What one hostile client can take from a real `anteroom serve` on loopback (Redis-backed
 * queue and OIDC state), attack by attack, as figures to compare before and after a change.
 * Nothing is asserted here: `test/hostile/` asserts the limits. Run: node bench/hostile.ts
 *
 *   auth flood        1,000 GET /oidc/auth from one client without cookies: answers, Redis
 *                     keys and bytes they left
 *   interaction size  bytes of one interaction record (MEMORY USAGE) of a request the provider
 *                     must see at once (`max_age`; a parked one stores none), with an ordinary and a
 *                     14 KB `state`
 *   streams           status streams one client holds on one request id; Redis commands one
 *                     serving-counter move then costs
 *   connections       idle connections one client holds open at once
 *   half request      how long the server keeps a request whose headers never finish
 *   idempotency       a second client's enqueue with a guessed `Idempotency-Key` or a made-up
 *                     visitor cookie: whose request id does it get?
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { type HostileTarget, startHostileTarget, TARGET_EVENT } from '../test/support/hostile-target.ts';

const AUTH_REQUESTS = 1000;
const STREAMS = 400;
const CONNECTIONS = 2000;

function line(label: string, value: string | number): void {
  console.log(`${label.padEnd(44)} ${value}`);
}

async function authFlood(target: HostileTarget): Promise<void> {
  const before = await target.usage();
  const statuses = new Map<number, number>();
  const started = performance.now();
  for (let sent = 0; sent < AUTH_REQUESTS; sent += 50) {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => fetch(target.authorizeUrl(), { redirect: 'manual' })),
    );
    for (const answer of answers) {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      await answer.arrayBuffer();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await target.usage();
  line(`auth flood: answers to ${AUTH_REQUESTS} /oidc/auth`, JSON.stringify(Object.fromEntries(statuses)));
  line('auth flood: seconds', seconds.toFixed(1));
  line('auth flood: Redis keys created', after.keys - before.keys);
  line('auth flood: Redis bytes created', after.bytes - before.bytes);
}

/**
 * One interaction record. An ordinary request is parked and stores none, so the request asks
 * for `max_age`, which the provider must see at once (it stores an interaction).
 */
async function interactionBytes(target: HostileTarget, state: string): Promise<number | string> {
  const answer = await fetch(target.authorizeUrl({ state, max_age: '3600' }), { redirect: 'manual' });
  await answer.arrayBuffer();
  const uid = /\/interaction\/([^/?]+)/.exec(answer.headers.get('location') ?? '')?.[1];
  if (uid === undefined) return `none stored (HTTP ${answer.status})`;
  const key = `ar:oidc:Interaction:${uid}`;
  const [bytes, ttl] = await Promise.all([target.inspector.memory('USAGE', key), target.inspector.ttl(key)]);
  return `${bytes} (kept ${ttl} s unless visited)`;
}

async function enqueue(target: HostileTarget, headers: Record<string, string> = {}) {
  const answer = await fetch(`${target.base}/assign_queue_num`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ event_id: TARGET_EVENT }),
  });
  return {
    status: answer.status,
    body: (await answer.json()) as { api_request_id?: string },
    cookie: answer.headers.get('set-cookie'),
  };
}

async function streams(target: HostileTarget): Promise<void> {
  const { body } = await enqueue(target);
  const url = `${target.base}/events/${TARGET_EVENT}/stream?request_id=${body.api_request_id}`;
  const controller = new AbortController();
  const answers = await Promise.all(
    Array.from({ length: STREAMS }, () =>
      fetch(url, { signal: controller.signal }).then(
        (answer) => answer.status,
        () => 0,
      ),
    ),
  );
  const held = answers.filter((status) => status === 200).length;
  line(`streams: held of ${STREAMS} on one request id`, held);
  await sleep(500);
  const before = await target.commands();
  await target.server.deps.room.incrementServingCounter(TARGET_EVENT, 1, 'bench');
  await sleep(3000);
  line('streams: Redis commands after one counter move', (await target.commands()) - before);
  controller.abort();
  await sleep(200);
}

async function connections(target: HostileTarget): Promise<void> {
  const { port } = new URL(target.base);
  const sockets: Socket[] = [];
  let open = 0;
  await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect(Number(port), '127.0.0.1', () => resolve());
          socket.on('error', () => resolve());
          sockets.push(socket);
        }),
    ),
  );
  await sleep(500);
  for (const socket of sockets) if (!socket.destroyed && socket.readyState === 'open') open++;
  line(`connections: still open of ${CONNECTIONS} idle ones`, open);
  for (const socket of sockets) socket.destroy();
  await sleep(200);
}

async function halfRequest(target: HostileTarget): Promise<void> {
  const { port } = new URL(target.base);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = performance.now();
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const dripper = setInterval(() => socket.write('X-Drip: 1\r\n'), 1000);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  const limit = sleep(90_000).then(() => Number.NaN);
  const at = await Promise.race([closed, limit]);
  clearInterval(dripper);
  socket.destroy();
  line(
    'half request (a header a second): held seconds',
    Number.isNaN(at) ? '> 90' : ((at - started) / 1000).toFixed(1),
  );
}

async function idempotency(target: HostileTarget): Promise<void> {
  const first = await enqueue(target, { 'Idempotency-Key': '1' });
  const second = await enqueue(target, { 'Idempotency-Key': '1' });
  line(
    'idempotency: a 2nd client reusing key "1"',
    second.status === 200 && second.body.api_request_id === first.body.api_request_id
      ? "got the 1st client's request id"
      : `HTTP ${second.status}, ${JSON.stringify(second.body)}`,
  );
  const cookie = 'anteroom_vid=made-up-visitor-id-0001';
  const owner = await enqueue(target, { Cookie: cookie });
  const thief = await enqueue(target, { Cookie: cookie });
  line(
    'idempotency: a 2nd client with the same made-up cookie',
    thief.status === 200 && thief.body.api_request_id === owner.body.api_request_id
      ? "got the 1st client's request id"
      : `HTTP ${thief.status}, ${thief.body.api_request_id === owner.body.api_request_id ? 'same' : 'own'} request id`,
  );
}

const target = await startHostileTarget({
  raw: { limits: { enqueuePerClientPerMinute: 0 } },
  logger: pino({ level: 'silent' }),
});
try {
  line('interaction bytes, ordinary state', await interactionBytes(target, 'state-0123456789'));
  line('interaction bytes, 2 KB state', await interactionBytes(target, 'x'.repeat(2048)));
  line('interaction bytes, 14 KB state', await interactionBytes(target, 'x'.repeat(14 * 1024)));
  await authFlood(target);
  await streams(target);
  await connections(target);
  await idempotency(target);
  await halfRequest(target);
} finally {
  await target.close();
}
