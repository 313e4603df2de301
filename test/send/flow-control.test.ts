import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_CONCURRENCY, FlowControl } from "../../src/send/flow-control.js";
import { LatencyStats, percentile } from "../../src/send/latency-stats.js";

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("FlowControl", () => {
  it("keeps what rate x latency needs in flight: 33+ at the docs' 15-20 s and 100 requests a minute", () => {
    const c = clock();
    const flow = new FlowControl({
      concurrency: "auto",
      batchSize: 10,
      pacer: { ratePerMinute: 100 },
      now: c.now,
    });
    // Before any answer the ceiling holds; the pacer spaces the starts.
    expect(flow.limit).toBe(DEFAULT_MAX_CONCURRENCY);
    for (let i = 0; i < 20; i++) {
      const ticket = flow.started(10, 1);
      flow.answered(ticket, "healthy", { latencyMs: 16_000 + (i % 4) * 1000 });
    }
    // p90 of 16-19 s is 19 s: 99/min x 19 s x 1.1 + 1 = 36.
    expect(flow.limit).toBeGreaterThan(30);
    expect(flow.limit).toBeLessThanOrEqual(40);
    expect(flow.latency.summary()).toEqual({ p50: 17_000, p95: 19_000 });
  });

  it("needs few in flight when latency is short", () => {
    const flow = new FlowControl({ concurrency: "auto", batchSize: 10, pacer: { ratePerMinute: 100 } });
    flow.answered(flow.started(10, 1), "healthy", { latencyMs: 1500 });
    expect(flow.limit).toBe(4); // 1.65/s x 1.5 s x 1.1 = 2.7 -> 3, +1
  });

  it("a fixed --concurrency is a ceiling that still backs off on overload", () => {
    const c = clock();
    const flow = new FlowControl({
      concurrency: 8,
      batchSize: 10,
      pacer: { ratePerMinute: 100 },
      now: c.now,
    });
    expect(flow.limit).toBe(8);
    const tickets = Array.from({ length: 8 }, (_, i) => flow.started(10, i + 1));
    c.advance(10);
    flow.answered(tickets[0]!, "overload", { inflight: 8 });
    expect(flow.limit).toBe(6);
    expect(flow.maxInflight).toBe(8);
  });

  it("throttled answers lower the rate and the limit; a 504 also makes the batches smaller", () => {
    const c = clock();
    const flow = new FlowControl({
      concurrency: "auto",
      batchSize: 10,
      pacer: { ratePerMinute: 100, margin: 0 },
      now: c.now,
    });
    const a = flow.started(10, 1);
    const b = flow.started(10, 2);
    c.advance(5);
    flow.answered(a, "throttled", { inflight: 2 });
    expect(flow.pacer.ratePerMinute).toBeCloseTo(70, 5);
    expect(flow.limitDecreases).toBe(1);
    // A batch of 10 took the gateway's 29 s or more: by the model, 8 is the most that fits 85% of it.
    const { resized } = flow.answered(b, "overload", { gatewayTimeout: true, inflight: 1 });
    expect(flow.sizer.size).toBe(8);
    expect(resized).toMatchObject({ from: 10, to: 8, why: "slower" });
    const d = flow.started(10, 1);
    c.advance(5);
    // Another 10 that was already out says the same about 10, nothing about 8.
    expect(flow.answered(d, "overload", { gatewayTimeout: true }).resized).toBeUndefined();
    expect(flow.sizer.size).toBe(8);
  });

  it("neutral answers change nothing", () => {
    const flow = new FlowControl({ concurrency: "auto", batchSize: 10, pacer: { ratePerMinute: 100 } });
    flow.answered(flow.started(10, 1), "neutral");
    expect(flow.limit).toBe(DEFAULT_MAX_CONCURRENCY);
    expect(flow.latency.count).toBe(0);
  });
});

describe("LatencyStats", () => {
  it("nearest-rank percentiles over the run, and a p90 over recent samples for planning", () => {
    const stats = new LatencyStats(10);
    expect(stats.summary()).toBeNull();
    expect(stats.estimateMs()).toBeUndefined();
    for (let ms = 1; ms <= 100; ms++) stats.add(ms);
    expect(stats.summary()).toEqual({ p50: 50, p95: 95 });
    expect(stats.estimateMs()).toBe(99); // the last 10 samples are 91..100
    stats.add(Number.NaN);
    stats.add(-5);
    expect(stats.count).toBe(100);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
  });
});
