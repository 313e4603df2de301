import { FluenceApiError, RateLimitError } from "./errors.js";

/** How often and how long to wait between attempts. */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 4. */
  retries: number;
  /** Delay before the first retry; doubles each time. Default 500 ms. */
  baseDelayMs: number;
  /** Ceiling of the doubling delay. Default 8000 ms. */
  maxDelayMs: number;
  /** Ceiling on a server's Retry-After hint. Default 120000 ms. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: 4,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 120_000,
});

// Hints beyond a day are not a plan to wait, they are a broken header: fall back to our own backoff.
const ABSURD_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

type Headers = Record<string, string | string[] | undefined>;

/**
 * The server's wait hint in ms: `retry-after-ms`, else `Retry-After` as seconds or an HTTP date.
 * Negative, unparsable and absurd (> 1 day) values give undefined.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = toNumber(header(headers, "retry-after-ms"));
  if (ms !== undefined) return sane(ms);
  const value = header(headers, "retry-after");
  if (value === undefined) return undefined;
  const seconds = toNumber(value);
  if (seconds !== undefined) return sane(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : sane(date - now);
}

/**
 * Delay before retry number `attempt + 1` (`attempt` is 0-based). A server hint wins, capped at
 * `maxRetryAfterMs`; otherwise min(base·2ⁿ, max) minus up to 25% jitter so clients do not retry in step.
 */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const exponential = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return Math.round(exponential * (1 - 0.25 * random()));
}

/** Options for withRetries; every field is optional. */
export interface WithRetriesOptions {
  /** Overrides merged over DEFAULT_RETRY_POLICY. */
  policy?: Partial<RetryPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Waits `ms`; must reject with the signal's reason when it aborts. Default: a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Stops waiting and rethrows the abort reason. */
  signal?: AbortSignal;
  /** Called before each wait; `attempt` is the number of the retry about to run (1 = first retry). */
  onRetry?: (info: { attempt: number; delayMs: number; error: FluenceApiError }) => void;
}

/**
 * Runs `fn` (given the 0-based attempt number) and retries it while it throws a retryable
 * FluenceApiError, at most `policy.retries` times. Anything else is rethrown at once.
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  options: WithRetriesOptions = {},
): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (!(error instanceof FluenceApiError) || !error.retryable || attempt >= policy.retries) throw error;
      const hint = error instanceof RateLimitError ? error.retryAfterMs : undefined;
      const delayMs = backoffDelayMs(attempt, policy, options.random, hint);
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function header(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

function sane(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 && ms <= ABSURD_RETRY_AFTER_MS ? Math.round(ms) : undefined;
}
