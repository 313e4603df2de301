import { describe, expect, it } from "vitest";
import { formatCount } from "../../src/cli/format-units.js";

describe("formatCount", () => {
  it("prints what toLocaleString('en-US') prints, without loading Intl", () => {
    const values = [
      0,
      -0,
      1,
      7,
      12,
      999,
      1_000,
      1_001,
      9_999,
      10_000,
      123_456,
      1_000_000,
      1_234_567,
      9_007_199_254_740_991,
      -1,
      -1_234,
      -1_234_567,
      0.5,
      1.25,
      2.125,
      1_234.5,
      12_345.678,
      0.1,
      0.07,
      2.5,
      -0.25,
      99.9,
      1e20,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e21,
      0.0004,
    ];
    for (const n of values) expect(formatCount(n), String(n)).toBe(n.toLocaleString("en-US"));
    for (let i = 0; i < 2_000; i++) {
      const n = Math.floor(Math.random() * 10 ** Math.floor(Math.random() * 12));
      expect(formatCount(n)).toBe(n.toLocaleString("en-US"));
    }
  });
});
