/**
 * Decides when the next batch may start: a minimum gap between starts (the larger of --delay and the
 * spacing that keeps under --rate requests per minute), a pause after a 429, and how many batches may be
 * in flight. Starts are spaced evenly rather than burst, because the server counts a sliding window and a
 * burst at the start of a window is exactly what earns a 429.
 */
export interface PacerOptions {
  /** Minimum gap between batch starts, ms. Default 500. */
  delayMs: number;
  /** Requests per minute ceiling. Default 100. */
  ratePerMinute: number;
  /** A fixed number of batches in flight, or "auto". */
  concurrency: number | "auto";
  /** Upper bound for "auto". Default 10. */
  maxAutoConcurrency?: number;
  now?: () => number;
}

/** Spacing margin over the exact rate: clocks and network jitter must not add up to one request too many. */
const RATE_MARGIN = 1.03;
/** Each 429 stretches the gap by this factor for the rest of the run. */
const SLOWDOWN_PER_429 = 1.15;

export class Pacer {
  readonly #opts: Required<Omit<PacerOptions, "now">>;
  readonly #now: () => number;
  #slowdown = 1;
  #nextStartAt = 0;
  #pauseUntil = 0;
  #inFlight = 0;
  #latencyEwma: number | undefined;
  #rateLimitedCount = 0;

  constructor(options: PacerOptions) {
    this.#opts = { maxAutoConcurrency: 10, ...options } as Required<Omit<PacerOptions, "now">>;
    this.#now = options.now ?? Date.now;
  }

  /** Current gap between starts, ms. */
  get gapMs(): number {
    const rateGap = (60_000 / this.#opts.ratePerMinute) * RATE_MARGIN;
    return Math.max(this.#opts.delayMs, rateGap) * this.#slowdown;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get latencyMs(): number | undefined {
    return this.#latencyEwma;
  }

  get rateLimitedCount(): number {
    return this.#rateLimitedCount;
  }

  /** Effective requests per minute after slowdowns. */
  get effectiveRatePerMinute(): number {
    return 60_000 / this.gapMs;
  }

  /**
   * How many batches may be in flight. "auto" keeps enough in flight to use the rate at the latency seen
   * so far. Before the first answer it allows the maximum: the gap still paces the starts, a refused key
   * was already caught by the free /creditos call, and a refused plan costs nothing; waiting for a probe
   * would waste a whole batch latency (15-20 s on the real API) at the start of every run.
   */
  get concurrencyLimit(): number {
    if (this.#opts.concurrency !== "auto") return this.#opts.concurrency;
    if (this.#latencyEwma === undefined) return this.#opts.maxAutoConcurrency;
    const wanted = Math.ceil(this.#latencyEwma / this.gapMs) + 1;
    return Math.max(1, Math.min(this.#opts.maxAutoConcurrency, wanted));
  }

  /** Milliseconds until a batch may start now; 0 when it may start at once, Infinity when all slots are busy. */
  waitMs(): number {
    if (this.#inFlight >= this.concurrencyLimit) return Number.POSITIVE_INFINITY;
    return Math.max(0, Math.max(this.#nextStartAt, this.#pauseUntil) - this.#now());
  }

  /** Records a start; call only when waitMs() is 0. */
  start(): void {
    const now = this.#now();
    this.#inFlight++;
    this.#nextStartAt = Math.max(now, this.#nextStartAt) + this.gapMs;
  }

  /** Records an end; latency is given only for exchanges that reached the server and came back. */
  finish(latencyMs?: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (latencyMs !== undefined && Number.isFinite(latencyMs)) {
      this.#latencyEwma =
        this.#latencyEwma === undefined ? latencyMs : this.#latencyEwma * 0.7 + latencyMs * 0.3;
    }
  }

  /** A 429: nobody starts before Retry-After (or two gaps), and the pace drops for the rest of the run. */
  rateLimited(retryAfterMs: number | undefined): number {
    this.#rateLimitedCount++;
    this.#slowdown *= SLOWDOWN_PER_429;
    const pause = retryAfterMs ?? this.gapMs * 2;
    this.#pauseUntil = Math.max(this.#pauseUntil, this.#now() + pause);
    return pause;
  }
}
