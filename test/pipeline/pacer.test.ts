import { describe, expect, it } from "vitest";
import { Pacer } from "../../src/pipeline/pacer.js";

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("Pacer", () => {
  it("spaces starts by the larger of --delay and the rate, with a small margin", () => {
    const c = clock();
    const slowRate = new Pacer({ delayMs: 500, ratePerMinute: 100, concurrency: 10, now: c.now });
    expect(slowRate.gapMs).toBeCloseTo(618, 0); // 600 ms for 100/min, +3%
    const slowDelay = new Pacer({ delayMs: 2000, ratePerMinute: 100, concurrency: 10, now: c.now });
    expect(slowDelay.gapMs).toBe(2000);
  });

  it("never starts more than the rate allows in any window", () => {
    const c = clock();
    const p = new Pacer({ delayMs: 0, ratePerMinute: 100, concurrency: 50, now: c.now });
    const starts: number[] = [];
    while (c.now() < 180_000) {
      const wait = p.waitMs();
      if (wait === 0) {
        p.start();
        starts.push(c.now());
        p.finish(10);
      } else c.advance(Math.min(wait, 1000));
    }
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((s) => s >= starts[i]! && s < starts[i]! + 60_000).length;
      expect(inWindow).toBeLessThanOrEqual(100);
    }
    expect(starts.length).toBeGreaterThanOrEqual(280); // ~97/min over 3 minutes
  });

  it("auto concurrency starts at the ceiling, then keeps just enough in flight for the latency", () => {
    const c = clock();
    const p = new Pacer({ delayMs: 0, ratePerMinute: 100, concurrency: "auto", now: c.now });
    expect(p.concurrencyLimit).toBe(10);
    p.start();
    expect(p.waitMs()).toBeGreaterThan(600); // the gap, not a slot, holds the next start
    p.finish(15_000);
    // 15 s latency at one start every ~618 ms needs ~25 in flight; capped at 10.
    expect(p.concurrencyLimit).toBe(10);
    const fast = new Pacer({ delayMs: 0, ratePerMinute: 100, concurrency: "auto", now: c.now });
    fast.start();
    fast.finish(1000);
    expect(fast.concurrencyLimit).toBe(3);
  });

  it("a fixed concurrency is a hard ceiling", () => {
    const c = clock();
    const p = new Pacer({ delayMs: 0, ratePerMinute: 60_000, concurrency: 2, now: c.now });
    p.start();
    c.advance(5);
    p.start();
    c.advance(5);
    expect(p.waitMs()).toBe(Number.POSITIVE_INFINITY);
    p.finish(10);
    expect(p.waitMs()).toBe(0);
  });

  it("a 429 pauses everyone until Retry-After and slows the pace for good", () => {
    const c = clock(1000);
    const p = new Pacer({ delayMs: 0, ratePerMinute: 600, concurrency: 5, now: c.now });
    const before = p.gapMs;
    expect(p.rateLimited(3000)).toBe(3000);
    expect(p.waitMs()).toBe(3000);
    expect(p.gapMs).toBeCloseTo(before * 1.15, 5);
    expect(p.rateLimitedCount).toBe(1);
    expect(p.rateLimited(undefined)).toBeCloseTo(p.gapMs * 2, 5);
  });
});
