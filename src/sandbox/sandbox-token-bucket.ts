import { performance } from "node:perf_hooks";

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * API Gateway's throttle, per key: a bucket of `burst` tokens, full at first, refilled at `rate` tokens
 * per `windowMs`; each accepted request takes one. Refused requests take none.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    rate: number,
    windowMs: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = rate / windowMs;
  }

  private refill(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  take(key: string): boolean {
    const bucket = this.refill(key);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Returns one token, for answers that turn out to be a 429 after all (injected faults). */
  giveBack(key: string): void {
    const bucket = this.refill(key);
    bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }
}
