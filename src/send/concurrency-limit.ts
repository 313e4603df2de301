/**
 * How many batches may be in flight, learned from the server's answers the way TCP congestion control and
 * Netflix's concurrency-limits AIMDLimit do: grow additively (+1 per round trip's worth of healthy answers)
 * while the limit is what holds the sender back, shrink multiplicatively on an overload signal (503, 502,
 * 504, a throttling 429, a timeout, a reset connection). A decrease counts only signals from requests that
 * started after the previous decrease, so one bad moment (every request in flight failing together)
 * shrinks the limit once, not once per request: at most once per latency period. Like CUBIC's plateau, it
 * climbs back quickly to just below where the server last refused, then probes past it four times slower,
 * so a server that runs only 3 at once is not refused every third round trip.
 *
 * Pure and clock-free: the caller passes the times. Enforcing the limit is p-limit's job.
 */
export interface AimdOptions {
  /** Upper bound (and the starting value unless `initial` is given). */
  max: number;
  /** Lower bound. Default 1. */
  min?: number;
  /** Starting limit. Default `max`: the pacer spaces the starts, so a high limit never means a burst. */
  initial?: number;
  /**
   * Multiplier applied to the number in flight on an overload. Default 0.8: against a server that runs
   * only N at once (N = 3..30), the limit dips to ~0.8 N and climbs back, refusing 0.2-8% of batches while
   * keeping over 0.93 of the server's capacity busy (simulated in concurrency-limit.test.ts); 0.9 refused
   * one in 7 at N = 6, 0.5 idled a third of it.
   */
  backoffRatio?: number;
}

/** How much slower the limit grows past the point where the server last refused. */
const PROBE_SLOWDOWN = 4;

export class AimdLimit {
  readonly #max: number;
  readonly #min: number;
  readonly #backoff: number;
  #limit: number;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #decreases = 0;
  /** In flight when the server last refused: where probing slows down. */
  #refusedAt: number | undefined;

  constructor(options: AimdOptions) {
    this.#max = Math.max(1, Math.floor(options.max));
    this.#min = Math.max(1, Math.min(this.#max, Math.floor(options.min ?? 1)));
    this.#backoff = options.backoffRatio ?? 0.8;
    this.#limit = clamp(options.initial ?? this.#max, this.#min, this.#max);
  }

  /** The current limit, a whole number of batches. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** How many times the limit was cut. */
  get decreases(): number {
    return this.#decreases;
  }

  /**
   * A healthy answer. `inflightAtStart` is how many were in flight once that request had started (itself
   * included): when it reached the limit, the limit was binding and grows by 1/limit, i.e. by one per
   * round trip of answers. A sender held back by something else (the rate) does not inflate it.
   */
  onHealthy(inflightAtStart: number): void {
    if (inflightAtStart < this.limit || this.#limit >= this.#max) return;
    const probing = this.#refusedAt !== undefined && this.limit + 1 >= this.#refusedAt;
    const step = 1 / Math.max(1, this.limit) / (probing ? PROBE_SLOWDOWN : 1);
    this.#limit = Math.min(this.#max, this.#limit + step);
    // Past the old refusal point without a refusal: the server grew; climb at full speed again.
    if (this.#refusedAt !== undefined && this.limit > this.#refusedAt) this.#refusedAt = undefined;
  }

  /**
   * An overload signal from a request that started at `startedAt`, answered at `now` while `inflight`
   * were in flight (itself included). Returns true when the limit was cut.
   */
  onOverload(startedAt: number, inflight: number, now: number): boolean {
    if (startedAt < this.#lastDecreaseAt) return false;
    const base = Math.min(this.#limit, Math.max(1, inflight));
    this.#refusedAt = Math.max(1, Math.round(base));
    this.#limit = clamp(Math.floor(base * this.#backoff), this.#min, this.#max);
    this.#lastDecreaseAt = now;
    this.#decreases++;
    return true;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
