/**
 * The proving ground's visitors: they join Anteroom's queue through its public HTTP API,
 * watch the serving counter, take their tokens a few seconds after their turn comes (a page
 * polling), and spend a session of random length on the origin with the token.
 */
export interface CrowdOptions {
  /** Anteroom's public API and the origin, on loopback. */
  anteroomUrl: string;
  originUrl: string;
  eventId: string;
  random: () => number;
  /** Mean session length on the origin, seconds; each is uniform within ± `spread` of it. */
  sessionSeconds: number;
  spread?: number;
  /** Seconds between a visitor's turn and their token request (uniform, whole seconds). */
  claimDelay?: readonly [number, number];
}

interface Visitor {
  requestId: string;
  position: number;
}

export interface CrowdTotals {
  joined: number;
  /** Tokens taken (first issuance). */
  admitted: number;
  /** Sessions the origin accepted. */
  sessions: number;
  failures: number;
}

export class Crowd {
  readonly totals: CrowdTotals = { joined: 0, admitted: 0, sessions: 0, failures: 0 };
  readonly #options: Required<CrowdOptions>;
  /** In position order. */
  readonly #waiting: Visitor[] = [];
  /** Epoch second → visitors asking for their token then. */
  readonly #claims = new Map<number, Visitor[]>();

  constructor(options: CrowdOptions) {
    this.#options = { spread: 0.5, claimDelay: [1, 3], ...options };
  }

  /** `count` new visitors join, in order. */
  async arrive(count: number): Promise<void> {
    const joined = await Promise.all(Array.from({ length: count }, () => this.#join()));
    for (const visitor of joined) if (visitor) this.#waiting.push(visitor);
    this.#waiting.sort((a, b) => a.position - b.position);
  }

  /** One second of the crowd at `now`: whoever's turn came schedules a claim; due claims run. */
  async step(now: number): Promise<void> {
    const serving = await this.#servingCounter();
    const [low, high] = this.#options.claimDelay;
    while (this.#waiting.length > 0 && this.#waiting[0]!.position <= serving) {
      const visitor = this.#waiting.shift()!;
      const at = now + low + Math.floor(this.#options.random() * (high - low + 1));
      const due = this.#claims.get(at) ?? [];
      due.push(visitor);
      this.#claims.set(at, due);
    }
    const due = this.#claims.get(now) ?? [];
    this.#claims.delete(now);
    await Promise.all(due.map((visitor) => this.#visit(visitor)));
  }

  /** Visitors still waiting for their turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  async #join(): Promise<Visitor | null> {
    const answer = await this.#post(`${this.#options.anteroomUrl}/assign_queue_num`, {
      event_id: this.#options.eventId,
    });
    if (answer.status !== 200) {
      this.totals.failures += 1;
      return null;
    }
    this.totals.joined += 1;
    const body = answer.body as { api_request_id: string; queue_number: number };
    return { requestId: body.api_request_id, position: body.queue_number };
  }

  async #servingCounter(): Promise<number> {
    const url = `${this.#options.anteroomUrl}/serving_num?event_id=${this.#options.eventId}`;
    const response = await fetch(url);
    const body = (await response.json()) as { serving_counter: number };
    return body.serving_counter;
  }

  async #visit(visitor: Visitor): Promise<void> {
    // Drawn before the first await, so the run does not depend on the order answers arrive in.
    const { spread, sessionSeconds, random } = this.#options;
    const seconds = Math.max(1, Math.round(sessionSeconds * (1 - spread + 2 * spread * random())));
    const token = await this.#post(`${this.#options.anteroomUrl}/generate_token`, {
      event_id: this.#options.eventId,
      request_id: visitor.requestId,
    });
    if (token.status !== 200) {
      this.totals.failures += 1;
      return;
    }
    this.totals.admitted += 1;
    const session = await fetch(`${this.#options.originUrl}/sessions`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${(token.body as { access_token: string }).access_token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ seconds }),
    });
    await session.arrayBuffer();
    if (session.status === 201) this.totals.sessions += 1;
    else this.totals.failures += 1;
  }

  async #post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }
}
