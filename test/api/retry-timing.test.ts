import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  backoffDelayMs,
  ConnectionError,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  RateLimitError,
  ServerError,
  TimeoutError,
  withRetries,
} from "../../src/api/index.js";

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe("parseRetryAfter", () => {
  it("reads retry-after-ms first", () => {
    expect(parseRetryAfter({ "retry-after-ms": "1500", "retry-after": "9" }, NOW)).toBe(1500);
  });
  it("reads Retry-After seconds, including fractions and any header case", () => {
    expect(parseRetryAfter({ "retry-after": "3" }, NOW)).toBe(3000);
    expect(parseRetryAfter({ "Retry-After": "1.5" }, NOW)).toBe(1500);
    expect(parseRetryAfter({ "retry-after": ["2", "7"] }, NOW)).toBe(2000);
  });
  it("reads Retry-After as an HTTP date", () => {
    const date = new Date(NOW + 30_000).toUTCString();
    expect(parseRetryAfter({ "retry-after": date }, NOW)).toBe(30_000);
  });
  it.each([
    ["negative seconds", { "retry-after": "-5" }],
    ["a date in the past", { "retry-after": new Date(NOW - 60_000).toUTCString() }],
    ["garbage", { "retry-after": "soon" }],
    ["an absurd number of seconds", { "retry-after": "99999999" }],
    ["an absurd retry-after-ms", { "retry-after-ms": "1e12" }],
    ["a date years ahead", { "retry-after": "Fri, 01 Jan 2100 00:00:00 GMT" }],
    ["no header", {}],
  ])("ignores %s", (_label, headers) => {
    expect(parseRetryAfter(headers, NOW)).toBeUndefined();
  });
  it("falls back to Retry-After when retry-after-ms is unusable", () => {
    expect(parseRetryAfter({ "retry-after-ms": "x", "retry-after": "4" }, NOW)).toBe(4000);
  });
});

describe("backoffDelayMs", () => {
  const policy = DEFAULT_RETRY_POLICY;

  it("doubles from 500 ms up to 8 s without jitter when random is 0", () => {
    const delays = [0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffDelayMs(attempt, policy, () => 0));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
  it("removes up to 25% as jitter", () => {
    expect(backoffDelayMs(0, policy, () => 0.999999)).toBe(375);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(1750);
    expect(backoffDelayMs(9, policy, () => 0.5)).toBe(7000);
  });
  it("lets a server hint win, capped at maxRetryAfterMs", () => {
    expect(backoffDelayMs(0, policy, () => 0.5, 12_345)).toBe(12_345);
    expect(backoffDelayMs(0, policy, () => 0.5, 0)).toBe(0);
    expect(backoffDelayMs(0, policy, () => 0.5, 600_000)).toBe(120_000);
  });
  it("honours a custom policy", () => {
    expect(backoffDelayMs(3, { ...policy, baseDelayMs: 10, maxDelayMs: 50 }, () => 0)).toBe(50);
  });
});

describe("withRetries", () => {
  function recorder() {
    const sleeps: number[] = [];
    return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
  }

  it("retries retryable errors and returns the eventual value", async () => {
    const { sleeps, sleep } = recorder();
    const retries: number[] = [];
    const attempts: number[] = [];
    const value = await withRetries(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 2) throw new ServerError("boom", { status: 500 });
        return "done";
      },
      { sleep, random: () => 0, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(value).toBe("done");
    expect(attempts).toEqual([0, 1, 2]);
    expect(retries).toEqual([1, 2]);
    expect(sleeps).toEqual([500, 1000]);
  });

  it("stops at once on a non-retryable error", async () => {
    const { sleeps, sleep } = recorder();
    let calls = 0;
    const error = new AuthenticationError("no");
    await expect(
      withRetries(
        async () => {
          calls++;
          throw error;
        },
        { sleep },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it("does not retry errors that are not FluenceApiErrors", async () => {
    const { sleep } = recorder();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new TypeError("bug");
        },
        { sleep },
      ),
    ).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });

  it("honours a rate limit's retryAfterMs", async () => {
    const { sleeps, sleep } = recorder();
    let calls = 0;
    await withRetries(
      async () => {
        if (calls++ === 0) throw new RateLimitError("slow down", { retryAfterMs: 7000 });
        return 1;
      },
      { sleep, random: () => 0 },
    );
    expect(sleeps).toEqual([7000]);
  });

  it("gives up after policy.retries and throws the last error", async () => {
    const { sleeps, sleep } = recorder();
    let calls = 0;
    const last = new TimeoutError("slow");
    await expect(
      withRetries(
        async () => {
          calls++;
          throw calls === 3 ? last : new ConnectionError("down", { inDoubt: false });
        },
        { sleep, random: () => 0, policy: { retries: 2 } },
      ),
    ).rejects.toBe(last);
    expect(calls).toBe(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it("stops when the signal aborts during a wait, with the abort reason", async () => {
    const controller = new AbortController();
    const reason = new Error("user pressed Ctrl-C");
    let calls = 0;
    const promise = withRetries(
      async () => {
        calls++;
        throw new ServerError("boom");
      },
      { signal: controller.signal, policy: { baseDelayMs: 60_000, maxDelayMs: 60_000 } },
    );
    await Promise.resolve();
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
    expect(calls).toBe(1);
  });
});
