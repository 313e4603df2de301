import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM module of the bench, no type declarations
import * as math from "../../bench/bench-math.mjs";

describe("median", () => {
  it("takes the middle value of an odd count and the mean of the middle two of an even count", () => {
    expect(math.median([3, 1, 2])).toBe(2);
    expect(math.median([4, 1, 3, 2])).toBe(2.5);
    expect(math.median([])).toBeNaN();
  });
});

describe("ceilingPerMinute", () => {
  it("is the concurrency bound for scenario 1 (10 in flight at 1.5 s beats 100 per 10 s)", () => {
    const c = math.ceilingPerMinute({
      rateLimit: 100,
      rateWindowMs: 10_000,
      concurrency: 10,
      latencyMs: 1500,
    });
    expect(c).toBe(4000);
  });

  it("is the rate bound when the server allows 50 per 10 s", () => {
    const c = math.ceilingPerMinute({
      rateLimit: 50,
      rateWindowMs: 10_000,
      concurrency: 10,
      latencyMs: 1500,
    });
    expect(c).toBe(3000);
  });
});

describe("verdict", () => {
  it("judges at-least and at-most targets, and never passes a missing figure", () => {
    expect(math.verdict(95, 95)).toBe("MET");
    expect(math.verdict(94.9, 95)).toBe("MISSED");
    expect(math.verdict(2.5, 2.5, { atLeast: false })).toBe("MET");
    expect(math.verdict(256, 256, { atLeast: false, strict: true })).toBe("MISSED");
    expect(math.verdict(Number.NaN, 1)).toBe("MISSED");
  });
});

describe("perMinute and percent", () => {
  it("convert counts over milliseconds and guard against zero", () => {
    expect(math.perMinute(3000, 45_000)).toBe(4000);
    expect(math.perMinute(10, 0)).toBe(0);
    expect(math.percent(3800, 4000)).toBe(95);
    expect(math.percent(1, 0)).toBe(0);
  });
});

describe("markdownTable", () => {
  it("writes a header, a separator and escaped cells", () => {
    expect(math.markdownTable(["a", "b"], [["1", "x|y"]])).toBe("| a | b |\n| --- | --- |\n| 1 | x\\|y |");
  });
});

describe("parseBenchArgs", () => {
  it("defaults to the full set of five scenarios", () => {
    expect(math.parseBenchArgs([])).toEqual({ only: [1, 2, 3, 4, 5], quick: false, cpuProf: false });
  });

  it("reads --only in both spellings, --quick and --cpu-prof", () => {
    expect(math.parseBenchArgs(["--only", "4,1", "--quick"])).toEqual({
      only: [1, 4],
      quick: true,
      cpuProf: false,
    });
    expect(math.parseBenchArgs(["--only=2", "--cpu-prof"]).only).toEqual([2]);
  });

  it("refuses unknown flags and scenario numbers rather than running the wrong set", () => {
    expect(() => math.parseBenchArgs(["--fast"])).toThrow(/unknown option/);
    expect(() => math.parseBenchArgs(["--only", "6"])).toThrow(/1-5/);
    expect(() => math.parseBenchArgs(["--only"])).toThrow(/1-5/);
  });
});
