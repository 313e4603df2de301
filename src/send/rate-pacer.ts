/**
 * When the next batch may start. Starts are spaced evenly at the allowed rate rather than burst, because a
 * server counting a sliding window or a token bucket refuses exactly the burst. The rate starts at --rate
 * (less a small margin), drops by a factor on a throttling 429 (once per round of requests, as the
 * concurrency limit does), and climbs back additively with every healthy answer, never below a floor, so
 * neither a stricter server nor a passing throttle stalls the run. A server's Retry-After pauses every start.
 */
export interface RatePacerOptions {
  /** Requests per minute the plan allows (--rate). */
  ratePerMinute: number;
  /** Minimum gap between starts, ms (--delay). Default 0. */
  delayMs?: number;
  /** Fraction kept below --rate. Default RATE_MARGIN. */
  margin?: number;
  /** Lowest rate as a fraction of --rate. Default 0.1. */
  floorFraction?: number;
  /** Rate multiplier on a throttling 429. Default 0.7. */
  decreaseRatio?: number;
  /** Rate regained per healthy answer, as a fraction of --rate. Default 0.01. */
  recoveryPerAnswer?: number;
  /**
   * When a request already went out that counts against the same rate (the free /creditos preflight: the
   * server's window counts every request of the key). The first batch then waits one gap after it.
   */
  lastStartAt?: number;
  now?: () => number;
}

/**
 * 1%. The pacer's starts are never earlier than their slot (a late timer is absorbed, not passed on), and
 * the preflight /creditos counts as a start (lastStartAt), so the margin only has to cover the spread of
 * arrival times at the server within one window: timers, the store's claim before each send, the network.
 * Measured (BENCHMARKS.md, scenario 4, 2026-12-02 07:33) against sliding windows of exactly --rate: 1%
 * refused nothing at 60 s or 10 s windows; 0.25% and 0.5% refused nothing at 60 s but once each at 10 s
 * (25 and 50 ms of slack); 0% was refused at both. 1% of the plans' 60 s window is 600 ms of slack for a
 * real network's spread, at a cost of 1% of the pace.
 */
export const RATE_MARGIN = 0.01;

export class RatePacer {
  readonly #target: number;
  readonly #floor: number;
  readonly #delayMs: number;
  readonly #decrease: number;
  readonly #recovery: number;
  readonly #now: () => number;
  #rate: number;
  #nextStartAt = 0;
  #pauseUntil = 0;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #throttles = 0;

  constructor(options: RatePacerOptions) {
    this.#target = options.ratePerMinute * (1 - (options.margin ?? RATE_MARGIN));
    this.#floor = this.#target * (options.floorFraction ?? 0.1);
    this.#delayMs = options.delayMs ?? 0;
    this.#decrease = options.decreaseRatio ?? 0.7;
    this.#recovery = this.#target * (options.recoveryPerAnswer ?? 0.01);
    this.#now = options.now ?? Date.now;
    this.#rate = this.#target;
    if (options.lastStartAt !== undefined) this.#nextStartAt = options.lastStartAt + this.gapMs;
  }

  /** Current gap between starts, ms. */
  get gapMs(): number {
    return Math.max(this.#delayMs, 60_000 / this.#rate);
  }

  /** Starts per minute the pacer allows now. */
  get ratePerMinute(): number {
    return 60_000 / this.gapMs;
  }

  /** The rules the key's shared schedule applies for every run (shared-pace.ts): the same as this pacer's. */
  get rules(): {
    targetPerMinute: number;
    floorPerMinute: number;
    recoveryPerMinute: number;
    decreaseRatio: number;
    minGapMs: number;
  } {
    return {
      targetPerMinute: this.#target,
      floorPerMinute: this.#floor,
      recoveryPerMinute: this.#recovery,
      decreaseRatio: this.#decrease,
      minGapMs: this.#delayMs,
    };
  }

  /**
   * Takes the rate the key's shared schedule has now (other runs' throttles lower it, their healthy answers
   * raise it), within this pacer's floor and target.
   */
  follow(ratePerMinute: number): void {
    this.#rate = Math.min(this.#target, Math.max(this.#floor, ratePerMinute));
  }

  /** Throttling 429s that cut the rate. */
  get throttles(): number {
    return this.#throttles;
  }

  /** Milliseconds until a batch may start; 0 when it may start now. */
  waitMs(): number {
    return Math.max(0, Math.max(this.#nextStartAt, this.#pauseUntil) - this.#now());
  }

  /**
   * Records a start; call when waitMs() is 0. The next start is planned one gap after this one's planned
   * time, so timer lateness is absorbed instead of stretching every gap (a start is never earlier than its
   * slot, so no window ever holds more than the rate); after an idle spell the schedule restarts from now.
   */
  start(): void {
    const now = this.#now();
    const gap = this.gapMs;
    const planned = now - this.#nextStartAt <= gap ? this.#nextStartAt : now;
    this.#nextStartAt = Math.max(planned, this.#pauseUntil) + gap;
  }

  /** A healthy answer: the rate climbs back toward --rate. */
  onHealthy(): void {
    this.#rate = Math.min(this.#target, this.#rate + this.#recovery);
  }

  /**
   * A throttling 429 for a request started at `startedAt`. A server hint pauses every start until it has
   * passed; the rate drops once per round of requests. Returns the pause imposed, ms.
   */
  onThrottled(startedAt: number, retryAfterMs?: number): number {
    const now = this.#now();
    if (startedAt >= this.#lastDecreaseAt) {
      this.#rate = Math.max(this.#floor, this.#rate * this.#decrease);
      this.#lastDecreaseAt = now;
      this.#throttles++;
    }
    if (retryAfterMs === undefined) return 0;
    this.#pauseUntil = Math.max(this.#pauseUntil, now + retryAfterMs);
    return retryAfterMs;
  }
}
