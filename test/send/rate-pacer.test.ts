import { describe, expect, it } from "vitest";
import { RATE_MARGIN, RatePacer } from "../../src/send/rate-pacer.js";

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Starts as many batches as the pacer allows until `until`, advancing the clock by its waits (+ `late`). */
function drive(p: RatePacer, c: ReturnType<typeof clock>, until: number, late = 0): number[] {
  const starts: number[] = [];
  while (c.now() < until) {
    const wait = p.waitMs();
    if (wait === 0) {
      p.start();
      starts.push(c.now());
      c.advance(1);
    } else c.advance(wait + late);
  }
  return starts;
}

describe("RatePacer", () => {
  it("spaces starts at --rate less the margin, or --delay when that is longer", () => {
    const c = clock();
    expect(new RatePacer({ ratePerMinute: 100, now: c.now }).gapMs).toBeCloseTo(600 / (1 - RATE_MARGIN), 3);
    expect(new RatePacer({ ratePerMinute: 100, delayMs: 2000, now: c.now }).gapMs).toBe(2000);
  });

  it("never starts more than the rate allows in any window, even with late timers", () => {
    for (const late of [0, 7, 150]) {
      const c = clock();
      const p = new RatePacer({ ratePerMinute: 100, now: c.now });
      const starts = drive(p, c, 300_000, late);
      for (let i = 0; i + 100 < starts.length; i++) {
        expect(starts[i + 100]! - starts[i]!).toBeGreaterThanOrEqual(60_000);
      }
      // Lateness is absorbed, not added to every gap: 5 minutes give ~495 starts whatever the lateness.
      expect(starts.length).toBeGreaterThanOrEqual(490);
    }
  });

  it("backs off on a throttle once per round, recovers additively, and has a floor", () => {
    const c = clock(1000);
    const p = new RatePacer({ ratePerMinute: 100, margin: 0, now: c.now });
    expect(p.ratePerMinute).toBeCloseTo(100, 5);
    p.onThrottled(900);
    expect(p.ratePerMinute).toBeCloseTo(70, 5);
    // Another request of the same round (started before the cut) does not cut again.
    p.onThrottled(950);
    expect(p.ratePerMinute).toBeCloseTo(70, 5);
    c.advance(10);
    p.onThrottled(1005);
    expect(p.ratePerMinute).toBeCloseTo(49, 5);
    for (let i = 0; i < 30; i++) {
      c.advance(10);
      p.onThrottled(c.now());
    }
    expect(p.ratePerMinute).toBeCloseTo(10, 5); // the floor: a tenth of --rate
    for (let i = 0; i < 89; i++) p.onHealthy();
    expect(p.ratePerMinute).toBeCloseTo(99, 5);
    p.onHealthy();
    p.onHealthy();
    expect(p.ratePerMinute).toBeCloseTo(100, 5); // back to --rate, never above
    expect(p.throttles).toBe(32);
  });

  it("does not compound: after any number of throttles, healthy answers restore the full rate", () => {
    const c = clock();
    const p = new RatePacer({ ratePerMinute: 100, margin: 0, now: c.now });
    for (let i = 0; i < 1000; i++) {
      c.advance(1);
      p.onThrottled(c.now());
    }
    expect(p.gapMs).toBeCloseTo(6000, 3); // 10/min, not 0.7^1000 of it
    for (let i = 0; i < 100; i++) p.onHealthy();
    expect(p.gapMs).toBeCloseTo(600, 3);
  });

  it("counts the preflight: the first batch waits one gap after it, so a window never holds one too many", () => {
    const c = clock(10_000);
    const p = new RatePacer({ ratePerMinute: 100, margin: 0, lastStartAt: 9_850, now: c.now });
    expect(p.waitMs()).toBe(450);
    c.advance(450);
    expect(p.waitMs()).toBe(0);
    // With the preflight at 9,850 and 99 batches after it, 100 requests span 99 gaps: not before 69,250.
    const starts = [9_850, ...drive(p, c, 80_000)];
    for (let i = 0; i + 100 < starts.length; i++)
      expect(starts[i + 100]! - starts[i]!).toBeGreaterThanOrEqual(60_000);
  });

  it("a Retry-After pauses every start until it has passed", () => {
    const c = clock();
    const p = new RatePacer({ ratePerMinute: 6000, now: c.now });
    expect(p.onThrottled(0, 2500)).toBe(2500);
    expect(p.waitMs()).toBe(2500);
    c.advance(2500);
    expect(p.waitMs()).toBe(0);
  });
});
