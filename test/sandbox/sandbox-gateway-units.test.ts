import { describe, expect, it } from "vitest";
import { parseStage, underStage } from "../../src/sandbox/sandbox-gateway.js";
import { QuotaBook } from "../../src/sandbox/sandbox-quota.js";
import { TokenBucketLimiter } from "../../src/sandbox/sandbox-token-bucket.js";

describe("TokenBucketLimiter", () => {
  it("starts full at the burst, refills at rate per window, caps at the burst, and ignores refusals", () => {
    let now = 0;
    const bucket = new TokenBucketLimiter(5, 500, 2, () => now);
    expect([bucket.take("k"), bucket.take("k"), bucket.take("k")]).toEqual([true, true, false]);
    expect(bucket.take("other")).toBe(true);
    now = 99;
    expect(bucket.take("k")).toBe(false);
    now = 100;
    expect(bucket.take("k")).toBe(true);
    expect(bucket.take("k")).toBe(false);
    now = 10_000;
    expect([bucket.take("k"), bucket.take("k"), bucket.take("k")]).toEqual([true, true, false]);
  });

  it("gives a token back, never above the burst", () => {
    const bucket = new TokenBucketLimiter(1, 60_000, 1, () => 0);
    expect(bucket.take("k")).toBe(true);
    bucket.giveBack("k");
    bucket.giveBack("k");
    expect([bucket.take("k"), bucket.take("k")]).toEqual([true, false]);
  });
});

describe("QuotaBook", () => {
  it("counts requests up to each key's limit, which can be changed", () => {
    const quota = new QuotaBook((key) => (key === "a" ? 2 : 5));
    expect([quota.take("a"), quota.take("a"), quota.take("a")]).toEqual([true, true, false]);
    expect(quota.used("a")).toBe(2);
    expect(quota.limit("b")).toBe(5);
    quota.setLimit("a", 3);
    expect(quota.take("a")).toBe(true);
    quota.giveBack("a");
    expect(quota.used("a")).toBe(2);
  });
});

describe("stages", () => {
  it.each([
    ["prod", "/prod"],
    ["/prod", "/prod"],
    ["/prod/", "/prod"],
    ["v1/beta", "/v1/beta"],
    ["/", undefined],
    ["", undefined],
    ["a b", undefined],
    ["/pr?d", undefined],
  ])("parseStage(%j) is %j", (raw, stage) => {
    expect(parseStage(raw)).toBe(stage);
  });

  it("underStage strips the stage or says the path is outside it", () => {
    expect(underStage("/prod/health", "/prod")).toBe("/health");
    expect(underStage("/health", "/prod")).toBeUndefined();
    expect(underStage("/production/health", "/prod")).toBeUndefined();
    expect(underStage("/health", undefined)).toBe("/health");
  });
});
