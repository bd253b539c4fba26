/**
 * The proving ground's origin, as numbers: how its latency and error rate grow with the
 * sessions it serves. A queue-like curve (M/M/1 shaped): flat while idle, steep near its
 * limit, failing requests past it.
 *
 *   latency(active) = base / (1 − u · active / capacity),  u = 1 − base / latencyAtCapacity
 *
 * so `capacity` sessions give exactly `latencyAtCapacityMs` (the target the runs use), and
 * the origin saturates at capacity / u sessions: from there it drops the share of requests it
 * cannot serve (error rate 1 − saturation / active) and answers the rest at its timeout.
 *
 * Each simulated second records the active sessions; `report` answers what a monitoring
 * system would (Prometheus' `histogram_quantile(0.95, rate(…[window]))`): the p95 of every
 * request over the last `windowSeconds`, each second's requests taken as exponentially
 * distributed with that second's p95 (the curve, with a little seeded noise: a real p95 is
 * never exactly the curve), and the mean error rate.
 */

export interface OriginModelOptions {
  /** Sessions at which the p95 latency reaches `latencyAtCapacityMs`. */
  capacity: number;
  /** Latency with no load, ms. */
  baseLatencyMs: number;
  latencyAtCapacityMs: number;
  /** The slowest answer: a saturated origin's latency, ms. Default 10× latencyAtCapacityMs. */
  timeoutMs?: number;
  /** Seconds `report` looks back over. Default 10. */
  windowSeconds?: number;
  /** Standard deviation of the per-second log-latency noise. Default 0.02. */
  noise?: number;
  seed?: number;
}

export interface OriginReport {
  /** p95 latency over the window, ms. */
  latencyMs: number;
  /** Mean fraction of failed requests over the window. */
  errorRate: number;
}

interface Second {
  at: number;
  latencyMs: number;
  errorRate: number;
}

export class OriginModel {
  #capacity: number;
  readonly #base: number;
  readonly #atCapacity: number;
  readonly #timeout: number;
  readonly #window: number;
  readonly #noise: number;
  readonly #random: () => number;
  readonly #seconds: Second[] = [];

  constructor(options: OriginModelOptions) {
    if (!(options.latencyAtCapacityMs > options.baseLatencyMs)) {
      throw new Error('latencyAtCapacityMs must be above baseLatencyMs');
    }
    this.#capacity = options.capacity;
    this.#base = options.baseLatencyMs;
    this.#atCapacity = options.latencyAtCapacityMs;
    this.#timeout = options.timeoutMs ?? options.latencyAtCapacityMs * 10;
    this.#window = options.windowSeconds ?? 10;
    this.#noise = options.noise ?? 0.02;
    this.#random = seededRandom(options.seed ?? 1);
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Change the capacity from now on (a failed server, a recovered one). */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
  }

  /** The curve itself, without noise. */
  latencyFor(active: number): number {
    const load = this.#utilisation(active);
    if (load >= 1) return this.#timeout;
    return Math.min(this.#timeout, this.#base / (1 - load));
  }

  errorRateFor(active: number): number {
    const load = this.#utilisation(active);
    return load <= 1 ? 0 : 1 - 1 / load;
  }

  /** What second `at` was like with `active` sessions (call once per simulated second). */
  record(at: number, active: number): Second {
    const noise = Math.exp(this.#noise * gaussian(this.#random));
    const second = {
      at,
      latencyMs: Math.min(this.#timeout, this.latencyFor(active) * noise),
      errorRate: this.errorRateFor(active),
    };
    this.#seconds.push(second);
    while (this.#seconds.length > 0 && this.#seconds[0]!.at <= at - this.#window) this.#seconds.shift();
    return second;
  }

  /** p95 latency and mean error rate over the window ending at the last recorded second. */
  report(): OriginReport | null {
    if (this.#seconds.length === 0) return null;
    const errors = this.#seconds.reduce((sum, second) => sum + second.errorRate, 0);
    return {
      latencyMs: pooledP95(this.#seconds.map((second) => second.latencyMs)),
      errorRate: errors / this.#seconds.length,
    };
  }

  /** A draw in [0, 1) from the model's seeded generator (the origin's failed requests). */
  random(): number {
    return this.#random();
  }

  #utilisation(active: number): number {
    const u = 1 - this.#base / this.#atCapacity;
    return (u * active) / this.#capacity;
  }
}

/**
 * The p95 of the requests of several seconds together, each second's latencies exponential
 * with the given p95s (equal request counts): the latency q at which the seconds' shares of
 * slower requests, exp(−q · ln 20 / p95ₜ), average 5 %. Between the smallest and the largest.
 */
export function pooledP95(p95s: readonly number[]): number {
  const slower = (q: number) =>
    p95s.reduce((sum, p95) => sum + Math.exp((-q * Math.log(20)) / p95), 0) / p95s.length;
  let low = Math.min(...p95s);
  let high = Math.max(...p95s);
  for (let i = 0; i < 50; i++) {
    const mid = (low + high) / 2;
    if (slower(mid) > 0.05) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** xorshift32: the same run every time for the same seed. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** A standard normal draw (Box–Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
