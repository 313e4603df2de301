import { describe, expect, it } from "vitest";
import { BatchSizer, type SizeChange } from "../../src/send/batch-sizer.js";
import { fitLine, LatencyModel } from "../../src/send/latency-model.js";

/** The docs' service: ~1.6 s per profile plus a little fixed time, scaled by `slow` (1 = normal). */
function serviceMs(size: number, slow = 1, jitter = 0): number {
  return (400 + 1_650 * size) * slow + jitter;
}

/** Feeds `n` healthy answers of the current size (or `size`), latency from `ms(size, i)`. */
function answer(s: BatchSizer, n: number, ms: (size: number, i: number) => number, size?: number) {
  const changes: SizeChange[] = [];
  for (let i = 0; i < n; i++) {
    const at = size ?? s.size;
    const change = s.onHealthy(at, ms(at, i));
    if (change) changes.push(change);
  }
  return changes;
}

const spread = (i: number) => ((i * 7) % 5) * 300;

describe("LatencyModel", () => {
  it("reads the fixed part and the per-profile part once two sizes have answered", () => {
    const samples = [5, 10, 5, 10, 5, 10].map((size) => ({
      size,
      ms: 1_000 + 2_000 * size,
      timedOut: false,
    }));
    const fit = fitLine(samples);
    expect(fit.a).toBeCloseTo(1_000, 6);
    expect(fit.b).toBeCloseTo(2_000, 6);
    expect(fit.spread).toBeCloseTo(0, 6);
  });

  it("with one size only, draws the line through the origin (all per profile)", () => {
    const model = new LatencyModel();
    for (const ms of [18_000, 20_000, 19_000, 17_000]) model.add({ size: 10, ms, timedOut: false });
    expect(model.predictMs(10)).toBeCloseTo(18_500, -2);
    expect(model.predictMs(5)).toBeCloseTo(9_250, -2);
    // The spread is what 9 answers in 10 stay under: here the slowest, 1.5 s above the line.
    expect(model.predictHighMs(10)).toBeCloseTo(20_000, -2);
  });

  it("forgets answers older than its window", () => {
    const model = new LatencyModel(4);
    for (let i = 0; i < 4; i++) model.add({ size: 10, ms: 28_000, timedOut: false });
    for (let i = 0; i < 4; i++) model.add({ size: 10, ms: 16_000, timedOut: false });
    expect(model.predictHighMs(10)).toBe(16_000);
  });
});

describe("BatchSizer", () => {
  it("keeps 10 while the docs' 15-20 s leave room under 85% of 29 s", () => {
    const s = new BatchSizer({ max: 10 });
    expect(answer(s, 100, (size, i) => serviceMs(size, 1, spread(i)))).toEqual([]);
    expect(s.size).toBe(10);
  });

  it("rising latency: shrinks before any 504, one notice naming the time and the new size", () => {
    const s = new BatchSizer({ max: 10 });
    answer(s, 30, (size, i) => serviceMs(size, 1, spread(i)));
    // The service slows by 1% an answer: batches of 10 would cross 29 s after ~60 answers.
    const changes = answer(s, 80, (size, i) => serviceMs(size, 1 + i / 100, spread(i)));
    expect(changes.length).toBeGreaterThan(0);
    const first = changes[0]!;
    expect(first).toMatchObject({ from: 10, why: "slower", predictedFor: 10 });
    expect(first.to).toBeLessThan(10);
    expect(first.to).toBeGreaterThanOrEqual(5);
    // It shrank while a batch of 10 was still answering under the gateway's 29 s.
    expect(first.predictedMs).toBeLessThan(29_000);
    // Every size it chose stayed under the margin at the latency of the moment it was chosen.
    expect(s.size).toBeLessThan(10);
    expect(s.size).toBeGreaterThanOrEqual(1);
  });

  it("falling latency: back to 10 as soon as the model says it fits, not one size per 10 answers", () => {
    const s = new BatchSizer({ max: 10 });
    answer(s, 30, (size, i) => serviceMs(size, 1.5, spread(i)));
    expect(s.size).toBeLessThan(10);
    const shrunk = s.size;
    // The slow spell ends: the service is back to normal.
    const changes = answer(s, 40, (size, i) => serviceMs(size, 1, spread(i)));
    expect(s.size).toBe(10);
    const answersToFull = changes.findIndex((c) => c.to === 10);
    expect(answersToFull).toBeGreaterThanOrEqual(0);
    expect(changes.length).toBeLessThanOrEqual(10 - shrunk);
    expect(changes.at(-1)).toMatchObject({ to: 10, why: "faster", predictedFor: 10 });
  });

  it("a step: 504s from the 10s already in flight do not push below 5s that answer healthily", () => {
    const s = new BatchSizer({ max: 10 });
    answer(s, 24, (size, i) => serviceMs(size, 1, spread(i)));
    // The service slows: 10 profiles now take ~33 s (504 at 29 s), 5 still ~15 s.
    for (let i = 0; i < 3; i++) s.onGatewayTimeout(10, 29_000);
    expect(s.size).toBeLessThan(10);
    answer(s, 3, () => 15_000, 5);
    // The rest of the first wave: a dozen more 504s, all from batches of 10.
    for (let i = 0; i < 12; i++) s.onGatewayTimeout(10, 29_000);
    expect(s.size).toBeGreaterThanOrEqual(5);
    // And it never went to 1 on the way.
    answer(s, 20, (size) => 800 + 2_900 * size);
    expect(s.size).toBeGreaterThanOrEqual(5);
    expect(s.size).toBeLessThan(10);
  });

  it("the service down: 504s at every size do not drive the size to 1", () => {
    const s = new BatchSizer({ max: 10 });
    for (let i = 0; i < 40; i++) s.onGatewayTimeout(s.size, 29_000);
    // A first guess from the 504s of 10 (all per profile), then nothing fits: the size stays.
    expect(s.size).toBeGreaterThanOrEqual(8);
  });

  it("a single slow answer among healthy ones changes nothing", () => {
    const s = new BatchSizer({ max: 10 });
    answer(s, 23, (size, i) => serviceMs(size, 1, spread(i)));
    expect(s.onGatewayTimeout(10, 29_000)).toBeUndefined();
    expect(answer(s, 10, (size, i) => serviceMs(size, 1, spread(i)))).toEqual([]);
    expect(s.size).toBe(10);
  });

  it("--gateway-timeout moves the budget: the same answers fit 10 under 60 s, 4 under 10 s", () => {
    const long = new BatchSizer({ max: 10, gatewayTimeoutMs: 60_000 });
    answer(long, 24, (size, i) => serviceMs(size, 1.5, spread(i)));
    expect(long.size).toBe(10);
    const short = new BatchSizer({ max: 10, gatewayTimeoutMs: 10_000 });
    answer(short, 40, (size, i) => serviceMs(size, 1, spread(i)));
    expect(short.budgetMs).toBe(8_500);
    expect(short.size).toBeLessThanOrEqual(4);
    expect(short.size).toBeGreaterThanOrEqual(3);
  });

  it("never grows past --batch-size", () => {
    const s = new BatchSizer({ max: 6 });
    answer(s, 30, () => 1_000);
    expect(s.size).toBe(6);
  });
});
