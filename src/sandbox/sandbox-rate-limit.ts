export type RateDecision = { ok: true; acceptedAt: number } | { ok: false; retryAfterSeconds: number };

/**
 * Sliding-window limiter per key: at most `limit` accepted requests in any `windowMs`. Refused requests
 * are not recorded, so hammering a limited key does not push its recovery further away.
 */
export class SlidingWindowLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): RateDecision {
    const now = this.now();
    const times = (this.accepted.get(key) ?? []).filter((at) => at > now - this.windowMs);
    this.accepted.set(key, times);
    if (times.length >= this.limit) {
      // The slot frees when the oldest request that still counts leaves the window.
      const oldest = times[times.length - this.limit] ?? now;
      const waitMs = oldest + this.windowMs - now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    times.push(now);
    return { ok: true, acceptedAt: now };
  }

  /** Forgets one accepted request, for answers that turn out to be a 429 after all (injected faults). */
  giveBack(key: string, acceptedAt: number): void {
    const times = this.accepted.get(key);
    const at = times?.lastIndexOf(acceptedAt) ?? -1;
    if (times && at >= 0) times.splice(at, 1);
  }
}
