/**
 * Latencies of answered batch requests, measured from the moment the request was on the wire. Keeps every
 * sample for the run's summary (p50, p95: 8 bytes a batch, 80 KB for a million profiles) and reads a
 * recent high percentile for Little's law, so jitter around the mean does not leave the rate unused.
 */
export class LatencyStats {
  readonly #all: number[] = [];
  readonly #recent: number[] = [];
  readonly #window: number;

  /** @param window recent samples the estimate looks at. Default 50. */
  constructor(window = 50) {
    this.#window = window;
  }

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#all.push(ms);
    this.#recent.push(ms);
    if (this.#recent.length > this.#window) this.#recent.shift();
  }

  get count(): number {
    return this.#all.length;
  }

  /** The 90th percentile of recent samples: the latency to plan for. Undefined before any sample. */
  estimateMs(): number | undefined {
    return this.#recent.length === 0 ? undefined : percentile(this.#recent, 0.9);
  }

  /** p50 and p95 over the whole run, rounded to ms; null before any sample. */
  summary(): { p50: number; p95: number } | null {
    if (this.#all.length === 0) return null;
    return {
      p50: Math.round(percentile(this.#all, 0.5)),
      p95: Math.round(percentile(this.#all, 0.95)),
    };
  }
}

/** Nearest-rank percentile of an unsorted list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
