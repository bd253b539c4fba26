/**
 * The proving ground's origin: a real HTTP server on loopback whose latency and error rate
 * grow with the sessions it serves (`OriginModel`), on the clock the run gives it.
 *
 *   POST /sessions      Authorization: Bearer <admission access token>, body {"seconds"}:
 *                       an admitted visitor starts a session of that length (the token is
 *                       verified against Anteroom's JWKS by the project's own authorizer);
 *                       201, 401 with the authorizer's reason, 400 for a bad body
 *   GET  /              the page Anteroom's probe times: answers after the modelled latency
 *                       (real milliseconds) and fails with 503 at the modelled error rate
 *   GET|POST /api/v1/query?query=…   the Prometheus HTTP API (instant queries) for the two
 *                       series in ORIGIN_QUERIES, answered from the model's report
 *
 * `observe()` is the monitoring: call it once per simulated second.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, type Verifier } from '../../../authorizer/verify.ts';
import { OriginModel, type OriginModelOptions, type OriginReport } from './origin-model.ts';

/** The PromQL an operator would write for this origin; the origin answers exactly these. */
export const ORIGIN_QUERIES = Object.freeze({
  latency: 'histogram_quantile(0.95, sum by (le) (rate(origin_request_duration_ms_bucket[10s])))',
  errorRate: 'sum(rate(origin_requests_failed_total[10s])) / sum(rate(origin_requests_total[10s]))',
});

export interface OriginOptions extends OriginModelOptions {
  /** The run's clock, epoch seconds. */
  now: () => number;
  /** Anteroom's issuer, and the event whose tokens open a session (see `setJwksUrl`). */
  issuer?: string;
  eventId?: string;
}

export interface OriginTotals {
  sessions: number;
  refused: number;
  /** Page answers, and how many of them were 503s. */
  pages: number;
  failedPages: number;
}

export class Origin {
  readonly model: OriginModel;
  readonly totals: OriginTotals = { sessions: 0, refused: 0, pages: 0, failedPages: 0 };
  readonly #now: () => number;
  #verifier: Verifier | null = null;
  readonly #issuer: string | undefined;
  readonly #eventId: string | undefined;
  /** Session id → epoch second it ends. */
  readonly #sessions = new Map<string, number>();
  #server: Server | null = null;
  #last: OriginReport | null = null;
  /** Hold every page answer until released (a hung origin, for timeouts). */
  hang = false;
  /**
   * A faulty monitoring: `down` refuses every query (503); `flap` reports, query after query,
   * a latency three times the curve's value at capacity and then a fifth of it, no errors.
   */
  queryFault: 'down' | 'flap' | null = null;
  #flaps = 0;
  readonly #hung = new Set<ServerResponse>();

  constructor(options: OriginOptions) {
    this.model = new OriginModel(options);
    this.#now = options.now;
    this.#issuer = options.issuer;
    this.#eventId = options.eventId;
  }

  /** Where Anteroom's keys are: from then on, tokens of `eventId` open sessions. */
  setJwksUrl(jwksUrl: string): void {
    if (!this.#issuer || !this.#eventId) throw new Error('the origin needs an issuer and an event id');
    this.#verifier = createVerifier({
      jwksUrl,
      issuer: this.#issuer,
      audience: this.#eventId,
      now: () => this.#now() * 1000,
    });
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.#hung) res.destroy();
    this.#hung.clear();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sessions running now. */
  active(): number {
    const now = this.#now();
    let count = 0;
    for (const end of this.#sessions.values()) if (end > now) count += 1;
    return count;
  }

  /** Start a session directly (tests of the readers, without a token). */
  hold(id: string, seconds: number): void {
    this.#sessions.set(id, this.#now() + seconds);
  }

  /** The monitoring's per-second sample: forget ended sessions, record this second's load. */
  observe(): { active: number; latencyMs: number; errorRate: number } {
    const now = this.#now();
    for (const [id, end] of this.#sessions) if (end <= now) this.#sessions.delete(id);
    const active = this.#sessions.size;
    const second = this.model.record(now, active);
    this.#last = this.model.report();
    return { active, latencyMs: second.latencyMs, errorRate: second.errorRate };
  }

  /** What the monitoring reports now (the p95 and error rate over its window). */
  report(): OriginReport | null {
    return this.#last;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://origin');
    if (url.pathname === '/sessions' && req.method === 'POST') return this.#startSession(req, res);
    if (url.pathname === '/api/v1/query') return this.#query(req, res, url);
    if (url.pathname === '/' && req.method === 'GET') return this.#page(res);
    send(res, 404, { error: 'not found' });
  }

  async #startSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!this.#verifier) return send(res, 500, { error: 'this origin takes no sessions' });
    const decision = await this.#verifier.decide(req.headers as Record<string, string>);
    if (!decision.allow) {
      this.totals.refused += 1;
      return send(res, 401, { error: decision.reason });
    }
    let seconds: unknown;
    try {
      seconds = (JSON.parse(body) as { seconds?: unknown }).seconds;
    } catch {
      seconds = undefined;
    }
    if (typeof seconds !== 'number' || !(seconds > 0)) return send(res, 400, { error: 'seconds' });
    this.#sessions.set(decision.principalId, this.#now() + seconds);
    this.totals.sessions += 1;
    send(res, 201, { session: decision.principalId });
  }

  async #page(res: ServerResponse): Promise<void> {
    if (this.hang) {
      this.#hung.add(res);
      res.on('close', () => this.#hung.delete(res));
      return;
    }
    const active = this.active();
    const fail = this.model.random() < this.model.errorRateFor(active);
    await new Promise((resolve) => setTimeout(resolve, this.model.latencyFor(active)));
    this.totals.pages += 1;
    if (fail) this.totals.failedPages += 1;
    send(res, fail ? 503 : 200, fail ? { error: 'overloaded' } : { page: 'ok' });
  }

  async #query(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    const query = form.get('query');
    if (this.queryFault === 'down') return send(res, 503, { status: 'error', errorType: 'unavailable' });
    const report = this.queryFault === 'flap' ? this.#flap(query) : this.#last;
    const value =
      query === ORIGIN_QUERIES.latency
        ? report?.latencyMs
        : query === ORIGIN_QUERIES.errorRate
          ? report?.errorRate
          : null;
    if (value === null) {
      return send(res, 400, { status: 'error', errorType: 'bad_data', error: `unknown query: ${query}` });
    }
    // No data yet is an empty vector, as Prometheus answers for a series with no samples.
    const result = value === undefined ? [] : [{ metric: {}, value: [this.#now(), String(value)] }];
    send(res, 200, { status: 'success', data: { resultType: 'vector', result } });
  }

  #flap(query: string | null): OriginReport {
    const atCapacity = this.model.latencyFor(this.model.capacity);
    if (query === ORIGIN_QUERIES.latency) this.#flaps += 1;
    return { latencyMs: this.#flaps % 2 === 1 ? atCapacity * 3 : atCapacity / 5, errorRate: 0 };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
