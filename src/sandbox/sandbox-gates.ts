import { GATEWAY_REPLIES } from "./sandbox-gateway.js";
import type { Reply } from "./sandbox-paid-endpoints.js";
import type { QuotaBook } from "./sandbox-quota.js";
import type { SlidingWindowLimiter } from "./sandbox-rate-limit.js";
import type { StatsRecorder } from "./sandbox-stats.js";
import type { TokenBucketLimiter } from "./sandbox-token-bucket.js";

/** Admitted: `giveBack` undoes what admission used, for an answer that turns out to be a 429 after all. */
export type Admission = { ok: true; giveBack: () => void } | { ok: false; reply: Reply };

/** Decides, after auth, whether a key's request goes on: rate limiting and (gateway mode) the quota. */
export type Gate = (key: string) => Admission;

/** The service's own limiter: a sliding window, a 429 with Retry-After in whole seconds. */
export function slidingWindowGate(
  limiter: SlidingWindowLimiter,
  stats: StatsRecorder,
  rateLimit: number,
  rateWindowMs: number,
): Gate {
  return (key) => {
    const rate = limiter.take(key);
    if (rate.ok) return { ok: true, giveBack: () => limiter.giveBack(key, rate.acceptedAt) };
    stats.data.rateLimited += 1;
    const message = `Limit of ${rateLimit} requests per ${rateWindowMs / 1000} s reached; retry in ${rate.retryAfterSeconds} s.`;
    return {
      ok: false,
      reply: {
        status: 429,
        body: { error: "Rate limit exceeded", message },
        headers: { "retry-after": String(rate.retryAfterSeconds) },
      },
    };
  };
}

/** API Gateway's usage plan: a token bucket, then the quota; both refuse with 429 and no Retry-After. */
export function usagePlanGate(bucket: TokenBucketLimiter, quota: QuotaBook, stats: StatsRecorder): Gate {
  return (key) => {
    if (!bucket.take(key)) {
      stats.data.rateLimited += 1;
      return { ok: false, reply: GATEWAY_REPLIES.throttled() };
    }
    if (!quota.take(key)) {
      stats.data.quotaRefused += 1;
      return { ok: false, reply: GATEWAY_REPLIES.limitExceeded() };
    }
    return {
      ok: true,
      giveBack: () => {
        bucket.giveBack(key);
        quota.giveBack(key);
      },
    };
  };
}
