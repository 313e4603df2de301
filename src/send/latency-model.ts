/**
 * How long a batch of each size takes now, learned from the last answers: latency ≈ a + b × size, plus the
 * spread of what came back around that line. The docs quote ~8-10 s for 5 profiles and 15-20 s for 10, so
 * the time is mostly per profile; while every recent answer had one size, the line is drawn through the
 * origin (all per profile), which over-estimates larger sizes and so errs toward batches that fit.
 *
 * A 504 is kept as a sample at the gateway's timeout: a lower bound of what that size takes, which is the
 * part that matters for choosing one. Once two sizes have timed out alike, the line is flat at the timeout
 * and no size fits: the service is down, not slow.
 */

/** Answers remembered: at the plans' 100 requests a minute, the last ~15 s of answers. */
export const MODEL_WINDOW = 24;
/** Quantile of the spread the prediction adds: 1 batch in 10 may come back slower than predicted. */
const SPREAD_QUANTILE = 0.9;
/** Samples a second size needs before the line's slope is read from the data rather than assumed. */
const SIZE_EVIDENCE = 3;

export interface LatencySample {
  size: number;
  ms: number;
  /** The gateway gave up at `ms`: the batch would have taken longer. */
  timedOut: boolean;
}

export class LatencyModel {
  readonly #samples: LatencySample[] = [];
  readonly #window: number;
  #fit: LatencyFit | undefined;

  constructor(window = MODEL_WINDOW) {
    this.#window = Math.max(2, Math.floor(window));
  }

  add(sample: LatencySample): void {
    this.#samples.push(sample);
    if (this.#samples.length > this.#window) this.#samples.shift();
    this.#fit = undefined;
  }

  get samples(): readonly LatencySample[] {
    return this.#samples;
  }

  /** What a batch of `size` takes in 9 cases of 10, by the recent answers; undefined before any. */
  predictHighMs(size: number): number | undefined {
    const fit = this.#line();
    if (!fit) return undefined;
    return fit.perProfileHigh !== undefined ? fit.perProfileHigh * size : fit.a + fit.b * size + fit.spread;
  }

  /** The middle of the line for `size`, without the spread: what the notice quotes. */
  predictMs(size: number): number | undefined {
    const fit = this.#line();
    return fit && fit.a + fit.b * size;
  }

  /** Sizes among the 504s since the last healthy answer. */
  timedOutSizesInARow(): Set<number> {
    const sizes = new Set<number>();
    for (let i = this.#samples.length - 1; i >= 0 && this.#samples[i]!.timedOut; i--)
      sizes.add(this.#samples[i]!.size);
    return sizes;
  }

  /**
   * From the healthy answers alone, all per profile: what a batch of `size` takes in 9 cases of 10. The
   * fallback when the line says no size fits yet some answers come back: slow, not down.
   */
  healthyHighMs(size: number): number | undefined {
    const perProfile = this.#samples
      .filter((s) => !s.timedOut)
      .map((s) => s.ms / s.size)
      .sort((x, y) => x - y);
    return perProfile.length === 0 ? undefined : quantile(perProfile) * size;
  }

  #line(): LatencyFit | undefined {
    if (this.#samples.length === 0) return undefined;
    this.#fit ??= fitLine(this.#samples);
    return this.#fit;
  }
}

/** The line and its spread: predictHigh(size) = a + b × size + spread, or size × perProfileHigh. */
export interface LatencyFit {
  a: number;
  b: number;
  spread: number;
  /** With one size only: the per-profile time 9 answers in 10 stay under (504s counted at the timeout). */
  perProfileHigh?: number;
}

/**
 * Least squares of ms on size once two sizes have answered, kept physical (no negative fixed part or
 * slope); with one size, all per profile. A 504's time is only a lower bound, so its distance from a
 * two-size line is not counted as spread (that would make every smaller size look riskier than the last,
 * down to 1, while the service is simply down); with one size it does count, through the per-profile
 * quantile: more than 1 in 10 batches of 10 timing out is exactly what says 10 no longer fits.
 */
export function fitLine(samples: readonly LatencySample[]): LatencyFit {
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s.size, (counts.get(s.size) ?? 0) + 1);
  const sizesWithEvidence = [...counts.values()].filter((n) => n >= SIZE_EVIDENCE).length;
  if (sizesWithEvidence < 2) {
    const perProfile = samples.map((s) => s.ms / s.size).sort((x, y) => x - y);
    const mean = perProfile.reduce((t, v) => t + v, 0) / perProfile.length;
    return { a: 0, b: mean, spread: 0, perProfileHigh: quantile(perProfile) };
  }
  const n = samples.length;
  const meanX = samples.reduce((t, s) => t + s.size, 0) / n;
  const meanY = samples.reduce((t, s) => t + s.ms, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of samples) {
    sxy += (s.size - meanX) * (s.ms - meanY);
    sxx += (s.size - meanX) ** 2;
  }
  let b = Math.max(0, sxy / sxx);
  let a = meanY - b * meanX;
  // A negative fixed part is noise: the line through the origin is the honest reading of such data.
  if (a < 0) {
    a = 0;
    b = throughOrigin(samples);
  }
  const residuals = samples
    .filter((s) => !s.timedOut)
    .map((s) => s.ms - (a + b * s.size))
    .sort((x, y) => x - y);
  return { a, b, spread: residuals.length === 0 ? 0 : Math.max(0, quantile(residuals)) };
}

/** The SPREAD_QUANTILE of sorted values (nearest rank). */
function quantile(sorted: number[]): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(SPREAD_QUANTILE * sorted.length) - 1)]!;
}

/** The slope of the least-squares line through the origin: sum(x·y) / sum(x²). */
function throughOrigin(samples: readonly LatencySample[]): number {
  let sxy = 0;
  let sxx = 0;
  for (const s of samples) {
    sxy += s.size * s.ms;
    sxx += s.size * s.size;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}
