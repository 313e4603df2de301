import { BatchSizer, type SizeChange } from "./batch-sizer.js";
import { AimdLimit } from "./concurrency-limit.js";
import { DEFAULT_MAX_CONCURRENCY } from "./defaults.js";
import { LatencyStats } from "./latency-stats.js";
import { RatePacer, type RatePacerOptions } from "./rate-pacer.js";
import type { SharedPace } from "./shared-pace.js";

export { DEFAULT_MAX_CONCURRENCY };

/** How an answer to a batch request reads for flow control. */
export type AnswerSignal =
  /** 200 with results: the server coped. */
  | "healthy"
  /** 503, 502, 504, a timeout, a reset connection: the server is overloaded; fewer in flight. */
  | "overload"
  /** A throttling 429: too fast; a lower rate, and fewer in flight. */
  | "throttled"
  /** Anything that says nothing about load (400, 402, a 500 the service refunded, a refused connection). */
  | "neutral";

export interface AnswerDetail {
  /** Only for answers that came back from the server normally (measured from the moment on the wire). */
  latencyMs?: number;
  /** The server's Retry-After on a throttling answer. */
  retryAfterMs?: number;
  /** API Gateway gave up waiting for the service (504): a sign the batch is too slow. */
  gatewayTimeout?: boolean;
  /** Batches in flight as the answer came, itself included (the sender's count); default the ticket's. */
  inflight?: number;
}

/** What an answer changed: the pause on every start (a throttling answer's), and the batch size. */
export interface Answered {
  pauseMs: number;
  resized?: SizeChange;
}

/** What a started batch carries back to answered(). */
export interface FlightTicket {
  startedAt: number;
  /** In flight once this one had started, itself included. */
  inflight: number;
  size: number;
}

export interface FlowControlOptions {
  /** A fixed ceiling for batches in flight, or "auto" (Little's law at the measured latency). */
  concurrency: number | "auto";
  /** Hard ceiling of "auto". Default DEFAULT_MAX_CONCURRENCY. */
  maxConcurrency?: number;
  /** Largest batch (--batch-size). */
  batchSize: number;
  pacer: Omit<RatePacerOptions, "now">;
  /** API Gateway's integration timeout (--gateway-timeout): batches are sized to finish well inside it. */
  gatewayTimeoutMs?: number;
  now?: () => number;
}

/** Extra in flight over rate x latency, so jitter does not leave a start waiting for a slot. */
const LITTLE_HEADROOM = 1.1;

/**
 * Decides the limits of the send loop: how many batches may be in flight (the smallest of the ceiling, the
 * AIMD limit and, for "auto", what the current rate needs at the measured latency), when the next may start
 * (the pacer) and how large it may be (the sizer). It is fed every answer; the loop enforces what it says.
 */
export class FlowControl {
  readonly pacer: RatePacer;
  readonly sizer: BatchSizer;
  readonly latency = new LatencyStats();
  readonly #aimd: AimdLimit;
  readonly #auto: boolean;
  readonly #now: () => number;
  #maxInflight = 0;
  #share: SharedPace | undefined;
  #starts = 0;
  #firstStartAt = 0;
  #lastStartAt = 0;

  constructor(options: FlowControlOptions) {
    this.#now = options.now ?? Date.now;
    this.#auto = options.concurrency === "auto";
    const ceiling =
      options.concurrency === "auto"
        ? (options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY)
        : options.concurrency;
    this.#aimd = new AimdLimit({ max: ceiling });
    this.pacer = new RatePacer({ ...options.pacer, now: this.#now });
    this.sizer = new BatchSizer({ max: options.batchSize, gatewayTimeoutMs: options.gatewayTimeoutMs });
  }

  /** The key's schedule shared through the store, when the run has one (else it paces alone). */
  get share(): SharedPace | undefined {
    return this.#share;
  }

  set share(share: SharedPace | undefined) {
    this.#share = share;
  }

  /** Starts a minute this run made, first start to last, or null before two. */
  get achievedRatePerMinute(): number | null {
    if (this.#starts < 2 || this.#lastStartAt <= this.#firstStartAt) return null;
    return ((this.#starts - 1) * 60_000) / (this.#lastStartAt - this.#firstStartAt);
  }

  /** Batches that may be in flight now. */
  get limit(): number {
    const learned = this.#aimd.limit;
    return this.#auto ? Math.min(learned, this.#littleNeed() ?? learned) : learned;
  }

  get maxInflight(): number {
    return this.#maxInflight;
  }

  /** How often the concurrency limit was cut. */
  get limitDecreases(): number {
    return this.#aimd.decreases;
  }

  /**
   * Records a start; the ticket goes back with the answer. `inflight` is the sender's count (p-limit's
   * active count, this batch included): the one place batches in flight are counted.
   */
  started(size: number, inflight: number): FlightTicket {
    this.pacer.start();
    const now = this.#now();
    this.#share?.started(now);
    if (this.#starts++ === 0) this.#firstStartAt = now;
    this.#lastStartAt = now;
    this.#maxInflight = Math.max(this.#maxInflight, inflight);
    return { startedAt: now, inflight, size };
  }

  /**
   * Feeds one answer back: the pause a throttling answer imposed on every start (its Retry-After), in ms,
   * or 0, and the batch size it changed, if it did.
   */
  answered(ticket: FlightTicket, signal: AnswerSignal, detail: AnswerDetail = {}): Answered {
    const now = this.#now();
    if (signal === "healthy") {
      let resized: SizeChange | undefined;
      if (detail.latencyMs !== undefined) {
        this.latency.add(detail.latencyMs);
        resized = this.sizer.onHealthy(ticket.size, detail.latencyMs);
      }
      this.#aimd.onHealthy(ticket.inflight);
      this.pacer.onHealthy();
      this.#share?.onHealthy();
      return { pauseMs: 0, resized };
    }
    if (signal === "neutral") return { pauseMs: 0 };
    this.#aimd.onOverload(ticket.startedAt, detail.inflight ?? ticket.inflight, now);
    const resized = detail.gatewayTimeout
      ? this.sizer.onGatewayTimeout(ticket.size, now - ticket.startedAt)
      : undefined;
    const pauseMs =
      signal === "throttled" ? this.pacer.onThrottled(ticket.startedAt, detail.retryAfterMs) : 0;
    // The store reports its own failure at the next claim; the throttle's news is only best effort.
    if (signal === "throttled") this.#share?.throttled(ticket.startedAt, detail.retryAfterMs).catch(() => {});
    return { pauseMs, resized };
  }

  /** In flight needed to keep the current rate busy at the planned latency; undefined before any sample. */
  #littleNeed(): number | undefined {
    const latencyMs = this.latency.estimateMs();
    if (latencyMs === undefined) return undefined;
    // On a shared key, what this run gets of the key's rate, not what the key allows: four runs must not
    // each hold the sockets the whole rate needs.
    const rate = Math.min(
      this.pacer.ratePerMinute,
      this.#share?.shareRatePerMinute ?? Number.POSITIVE_INFINITY,
    );
    const perMs = rate / 60_000;
    return Math.max(1, Math.ceil(perMs * latencyMs * LITTLE_HEADROOM) + 1);
  }
}
