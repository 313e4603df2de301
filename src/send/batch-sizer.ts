import { DEFAULT_GATEWAY_TIMEOUT_MS } from "./defaults.js";
import { LatencyModel } from "./latency-model.js";

export { DEFAULT_GATEWAY_TIMEOUT_MS };

/**
 * Batch size under API Gateway's integration timeout. The docs quote 15-20 s for 10 profiles and 8-10 s for
 * 5, and the gateway gives up at 29 s with a 504 while the service finishes and charges: every 504 is a
 * batch paid for and sent again. So the size follows the latency the answers show, before the 504s:
 * - the size is the largest whose predicted time (9 answers in 10, LatencyModel) stays under
 *   GATEWAY_MARGIN of the gateway's timeout: a rising latency shrinks it early, a falling one brings the
 *   full batch back as soon as the model says it fits;
 * - a 504 counts against the size that got it, not the one in use when it came back: the first wave of
 *   slow full batches does not push the size below one that is answering healthily now;
 * - when no size fits (even one profile would time out) the service is down, not slow: the size stays,
 *   and the concurrency and rate controls treat the 504s as overload.
 */

/**
 * Share of the gateway's timeout a batch may be predicted to take. 0.85 leaves 4.4 s of the 29 s for what
 * the window has not seen yet (at the docs' 15-20 s, the spread of one answer in ten is ~2 s), and keeps
 * a batch of 10 at the docs' 20 s well inside it.
 */
export const GATEWAY_MARGIN = 0.85;
/** Recent answers of a size, all healthy and under the margin, that make it a floor. */
const HEALTHY_EVIDENCE = 3;

export interface SizeChange {
  from: number;
  to: number;
  /** What a batch of `from` (slower) or `to` (faster) takes now, by the model: the notice quotes it. */
  predictedMs: number;
  /** The size whose time `predictedMs` is. */
  predictedFor: number;
  why: "slower" | "faster";
}

export interface BatchSizerOptions {
  max: number;
  gatewayTimeoutMs?: number;
  margin?: number;
}

export class BatchSizer {
  readonly #max: number;
  readonly #budgetMs: number;
  readonly #timeoutMs: number;
  readonly #model = new LatencyModel();
  #size: number;
  #down = false;

  constructor(options: BatchSizerOptions) {
    this.#max = Math.max(1, Math.floor(options.max));
    this.#timeoutMs = options.gatewayTimeoutMs ?? DEFAULT_GATEWAY_TIMEOUT_MS;
    this.#budgetMs = (options.margin ?? GATEWAY_MARGIN) * this.#timeoutMs;
    this.#size = this.#max;
  }

  get size(): number {
    return this.#size;
  }

  /** The time a batch may be predicted to take. */
  get budgetMs(): number {
    return this.#budgetMs;
  }

  /** A healthy answer for a batch of `size` that took `latencyMs`; returns the change it caused. */
  onHealthy(size: number, latencyMs: number): SizeChange | undefined {
    this.#down = false;
    this.#model.add({ size, ms: latencyMs, timedOut: false });
    return this.#choose();
  }

  /**
   * A 504 for a batch of `size`, `elapsedMs` after it went out; returns the change it caused. The batch
   * would have taken at least the gateway's timeout, whatever the client's clock saw.
   */
  onGatewayTimeout(size: number, elapsedMs: number): SizeChange | undefined {
    this.#model.add({ size, ms: Math.max(elapsedMs, this.#timeoutMs), timedOut: true });
    return this.#choose();
  }

  #choose(): SizeChange | undefined {
    // 504s in a row at two sizes, the smaller chosen because the larger timed out: a smaller batch did not
    // help, so the service is down rather than slow. The size holds; concurrency and rate take the 504s.
    // It stays down until an answer comes back, however long the 504s go on.
    if (this.#model.timedOutSizesInARow().size >= 2) this.#down = true;
    if (this.#down) return undefined;
    const fits =
      this.#largestFitting((size) => this.#model.predictHighMs(size)) ??
      this.#largestFitting((size) => this.#model.healthyHighMs(size));
    // Nothing fits: the service is down rather than slow, and a smaller batch would not help.
    if (fits === undefined) return undefined;
    const next = Math.min(this.#max, Math.max(fits, this.#healthyFloor()));
    const from = this.#size;
    if (next === from) return undefined;
    this.#size = next;
    const slower = next < from;
    const predictedFor = slower ? from : next;
    return {
      from,
      to: next,
      why: slower ? "slower" : "faster",
      predictedFor,
      predictedMs: Math.round(this.#model.predictMs(predictedFor) ?? 0),
    };
  }

  #largestFitting(predictHighMs: (size: number) => number | undefined): number | undefined {
    for (let size = this.#max; size >= 1; size--) {
      const high = predictHighMs(size);
      if (high === undefined) return undefined;
      if (high <= this.#budgetMs) return size;
    }
    return undefined;
  }

  /** The largest size whose last few answers all came back healthy under the margin. */
  #healthyFloor(): number {
    const recent = new Map<number, boolean[]>();
    const samples = this.#model.samples;
    for (let i = samples.length - 1; i >= 0; i--) {
      const s = samples[i]!;
      const seen = recent.get(s.size) ?? [];
      if (seen.length < HEALTHY_EVIDENCE) seen.push(!s.timedOut && s.ms <= this.#budgetMs);
      recent.set(s.size, seen);
    }
    let floor = 1;
    for (const [size, oks] of recent) {
      if (oks.length === HEALTHY_EVIDENCE && oks.every(Boolean)) floor = Math.max(floor, size);
    }
    return floor;
  }
}
