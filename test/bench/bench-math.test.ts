import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM module of the bench, no type declarations
import * as math from "../../bench/bench-math.mjs";

describe("median", () => {
  it("takes the middle value of an odd count and the mean of the middle two of an even count", () => {
    expect(math.median([3, 1, 2])).toBe(2);
    expect(math.median([4, 1, 3, 2])).toBe(2.5);
    expect(math.median([])).toBeNaN();
  });

  it("ignores missing figures rather than turning the whole median into NaN", () => {
    expect(math.median([Number.NaN, 5, 1])).toBe(3);
    expect(math.median([Number.NaN])).toBeNaN();
  });
});

describe("ideal time and efficiency", () => {
  it("is (B - 1) x 60/R + L: scenario 1, 100 batches at 100/min and 16-19 s", () => {
    const L = math.meanLatencyMs({ latencyMs: 16_000, latencyJitterMs: 3_000 });
    expect(L).toBe(17_500);
    const ideal = math.idealMs({ batches: 100, ratePerMinute: 100, meanLatencyMs: L });
    expect(ideal).toBe(99 * 600 + 17_500);
    expect(ideal).toBe(76_900);
  });

  it("scenario 4: 150 batches at 600/min and 300 ms take 15.2 s at best", () => {
    expect(math.idealMs({ batches: 150, ratePerMinute: 600, meanLatencyMs: 300 })).toBeCloseTo(15_200, 6);
  });

  it("one batch is one latency, no batch is no time", () => {
    expect(math.idealMs({ batches: 1, ratePerMinute: 100, meanLatencyMs: 2000 })).toBe(2000);
    expect(math.idealMs({ batches: 0, ratePerMinute: 100, meanLatencyMs: 2000 })).toBe(0);
  });

  it("counts the per-profile latency of a full batch in the mean", () => {
    expect(math.meanLatencyMs({ latencyMs: 100, latencyPerProfileMs: 10, latencyJitterMs: 50 })).toBe(225);
    expect(math.meanLatencyMs({ latencyPerProfileMs: 10 }, 5)).toBe(50);
    expect(math.meanLatencyMs({})).toBe(0);
  });

  it("efficiency is ideal / actual, NaN when the actual time is missing", () => {
    expect(math.efficiency(76_900, 80_000)).toBeCloseTo(0.96125, 6);
    expect(math.efficiency(1, 0)).toBeNaN();
    expect(math.efficiency(1, Number.NaN)).toBeNaN();
  });

  it("scoreRun judges a run on duration_ms and on wall time, and counts enriched profiles a minute", () => {
    const s = math.scoreRun(
      { batchesNeeded: 100, durationMs: 80_000, wallMs: 82_000, enriched: 1000 },
      { ratePerMinute: 100, meanLatencyMs: 17_500 },
    );
    expect(s.idealMs).toBe(76_900);
    expect(s.efficiency).toBeCloseTo(76_900 / 80_000, 9);
    expect(s.wallEfficiency).toBeCloseTo(76_900 / 82_000, 9);
    expect(s.perMin).toBe(750);
  });

  it("batches round up and rates convert windows to minutes", () => {
    expect(math.batchesFor(1000)).toBe(100);
    expect(math.batchesFor(1001)).toBe(101);
    expect(math.batchesFor(7, 5)).toBe(2);
    expect(math.ratePerMinuteOf({ rateLimit: 100, rateWindowMs: 6000 })).toBe(1000);
    expect(math.ratePerMinuteOf({ rateLimit: 100, rateWindowMs: 60_000 })).toBe(100);
  });
});

describe("server capacity and rate margin", () => {
  it("6 batches at once of 2 s each answer 1,800 profiles a minute", () => {
    expect(math.capacityPerMinute({ maxConcurrentBatches: 6, latencyMs: 2000 })).toBe(1800);
  });

  it("a margin m leaves W x m / (1 - m) of room per window", () => {
    expect(math.marginSlackMs({ rateWindowMs: 60_000, margin: 0 })).toBe(0);
    expect(math.marginSlackMs({ rateWindowMs: 60_000, margin: 0.01 })).toBeCloseTo(606.06, 2);
    expect(math.marginSlackMs({ rateWindowMs: 10_000, margin: 0.0025 })).toBeCloseTo(25.06, 2);
  });
});

describe("preflightLeadNeededMs", () => {
  it("at the real plans (100 per 60 s, --rate 100) 1% is exactly the preflight's slot", () => {
    const lead = (margin: number) =>
      math.preflightLeadNeededMs({ rateLimit: 100, rateWindowMs: 60_000, clientRatePerMinute: 100, margin });
    expect(lead(0)).toBeCloseTo(600, 6);
    expect(lead(0.0025)).toBeCloseTo(60_000 - 99 * (600 / 0.9975), 6);
    expect(lead(0.005)).toBeCloseTo(301.5, 0);
    expect(lead(0.01)).toBeCloseTo(0, 6);
    expect(lead(0.03)).toBe(0);
  });

  it("a wider window of the same rate needs the same gap's worth of lead", () => {
    expect(
      math.preflightLeadNeededMs({
        rateLimit: 600,
        rateWindowMs: 60_000,
        clientRatePerMinute: 600,
        margin: 0,
      }),
    ).toBeCloseTo(100, 6);
    expect(
      math.preflightLeadNeededMs({
        rateLimit: 100,
        rateWindowMs: 10_000,
        clientRatePerMinute: 600,
        margin: 0,
      }),
    ).toBeCloseTo(100, 6);
  });
});

describe("verdicts", () => {
  it("judges at-least and at-most targets, and never passes a missing figure", () => {
    expect(math.verdict(0.9, 0.9)).toBe("MET");
    expect(math.verdict(0.899, 0.9)).toBe("MISSED");
    expect(math.verdict(0.1, 0.1, { atLeast: false })).toBe("MET");
    expect(math.verdict(256, 256, { atLeast: false, strict: true })).toBe("MISSED");
    expect(math.verdict(1, 1, { strict: true })).toBe("MISSED");
    expect(math.verdict(Number.NaN, 1)).toBe("MISSED");
    expect(math.verdict(Number.NaN, 1, { atLeast: false })).toBe("MISSED");
  });

  it("allMet needs every condition, and at least one", () => {
    expect(math.allMet([true, true])).toBe("MET");
    expect(math.allMet([true, false])).toBe("MISSED");
    expect(math.allMet([])).toBe("MISSED");
  });

  it("targetRow names the scenario as text", () => {
    expect(math.targetRow(3, "t", "f", "MET")).toEqual({
      scenario: "3",
      target: "t",
      figure: "f",
      verdict: "MET",
    });
  });
});

describe("perMinute, percent and fraction", () => {
  it("convert counts over milliseconds and guard against zero", () => {
    expect(math.perMinute(3000, 45_000)).toBe(4000);
    expect(math.perMinute(10, 0)).toBe(0);
    expect(math.percent(3800, 4000)).toBe(95);
    expect(math.percent(1, 0)).toBe(0);
    expect(math.fraction(7, 247)).toBeCloseTo(0.02834, 4);
    expect(math.fraction(1, 0)).toBe(0);
  });
});

describe("formatting", () => {
  it("fmt and fmtPercent keep decimals and say n/a for a missing figure", () => {
    expect(math.fmt(4012.5, 1)).toBe("4,012.5");
    expect(math.fmt(Number.NaN)).toBe("n/a");
    expect(math.fmtPercent(0.0025, 2)).toBe("0.25%");
    expect(math.fmtPercent(Number.NaN)).toBe("n/a");
  });

  it("markdownTable writes a header, a separator and escaped cells", () => {
    expect(math.markdownTable(["a", "b"], [["1", "x|y"]])).toBe("| a | b |\n| --- | --- |\n| 1 | x\\|y |");
  });

  it("sandboxCommandLine gives the `fluence sandbox` flags of a scenario's options", () => {
    expect(
      math.sandboxCommandLine({
        latencyMs: 16_000,
        latencyJitterMs: 3000,
        rateLimit: 100,
        rateWindowMs: 60_000,
      }),
    ).toBe(
      "node bin/fluence.js sandbox --port 0 --latency 16000 --latency-jitter 3000 --rate-limit 100 --rate-window 60000",
    );
    expect(math.sandboxCommandLine({ gateway: { burst: 1 }, rateLimit: 1, maxConcurrentBatches: 6 })).toBe(
      "node bin/fluence.js sandbox --port 0 --rate-limit 1 --max-concurrent 6 --gateway --burst 1",
    );
    expect(math.sandboxCommandLine({ gateway: true })).toBe("node bin/fluence.js sandbox --port 0 --gateway");
  });
});

describe("request log and run phases", () => {
  it("reads a sandbox log line into arrival and answer times, and skips other shapes", () => {
    expect(math.parseSandboxLogLine("POST /crm_basico_batch 200 318ms", 1000)).toEqual({
      route: "POST /crm_basico_batch",
      status: 200,
      arrivedAt: 682,
      answeredAt: 1000,
      ms: 318,
    });
    expect(math.parseSandboxLogLine("POST /crm_basico_batch 200 after the 504 31000ms", 5)).toBeUndefined();
    expect(math.parseSandboxLogLine("POST /crm_basico_batch abandoned 3ms", 5)).toBeUndefined();
  });

  it("splits a run into start-up, the wait for the first batch, sending and finishing", () => {
    const line = (l: string, at: number) => math.parseSandboxLogLine(l, at);
    const requests = [
      line("GET /creditos 200 10ms", 1110),
      line("POST /crm_basico_batch 200 300ms", 1700),
      line("POST /crm_basico_batch 200 300ms", 1800),
      line("GET /creditos 200 1ms", 2200),
    ];
    expect(math.runPhases(requests, { spawnedAt: 0, exitedAt: 2500 })).toEqual({
      startupMs: 1100,
      toFirstBatchMs: 290,
      preflightLeadMs: 300,
      sendingMs: 400,
      finishMs: 700,
    });
  });

  it("gives NaN for what the log cannot tell", () => {
    const p = math.runPhases([], { spawnedAt: 0, exitedAt: 10 });
    expect(p.startupMs).toBeNaN();
    expect(p.toFirstBatchMs).toBeNaN();
    expect(p.preflightLeadMs).toBeNaN();
    expect(p.sendingMs).toBeNaN();
    expect(p.finishMs).toBeNaN();
  });
});

describe("parseBenchArgs", () => {
  it("defaults to the full set of seven scenarios", () => {
    expect(math.parseBenchArgs([])).toEqual({
      only: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      quick: false,
      cpuProf: false,
      out: undefined,
    });
  });

  it("reads --only in both spellings, --quick, --cpu-prof and --out", () => {
    expect(math.parseBenchArgs(["--only", "4,1", "--quick"])).toMatchObject({
      only: [1, 4],
      quick: true,
      cpuProf: false,
    });
    expect(math.parseBenchArgs(["--only=7", "--cpu-prof"])).toMatchObject({ only: [7], cpuProf: true });
    expect(math.parseBenchArgs(["--out", "/tmp/b.md"]).out).toBe("/tmp/b.md");
    expect(math.parseBenchArgs(["--out=x.md"]).out).toBe("x.md");
  });

  it("refuses unknown flags and scenario numbers rather than running the wrong set", () => {
    expect(() => math.parseBenchArgs(["--fast"])).toThrow(/unknown option/);
    expect(() => math.parseBenchArgs(["--only", "15"])).toThrow(/1,2,3,4,5,6,7,8,9,10,11,12,13,14/);
    expect(() => math.parseBenchArgs(["--only", "0"])).toThrow(/13,14/);
    expect(() => math.parseBenchArgs(["--only"])).toThrow(/13,14/);
    expect(() => math.parseBenchArgs(["--out"])).toThrow(/file name/);
  });
});

describe("slow spells: paid twice and the step's first wave", () => {
  const req = (arrivedAt: number, answeredAt: number, status = 200) => ({
    route: "POST /crm_basico_batch",
    status,
    arrivedAt,
    answeredAt,
    ms: answeredAt - arrivedAt,
  });

  it("paid twice is what was debited beyond one credit a person enriched, never negative", () => {
    expect(math.paidTwice({ creditsDebited: 2_040, enriched: 2_000 })).toBe(40);
    expect(math.paidTwice({ creditsDebited: 990, enriched: 1_000 })).toBe(0);
  });

  it("counts as first wave the 504s of batches sent before any batch sent inside the step was answered", () => {
    const requests = [
      req(0, 2_000),
      req(900, 3_900, 504), // sent before the step: first wave
      req(1_100, 4_000, 504), // sent in the step, before its first answer: first wave too
      req(1_000, 3_800), // the first batch sent inside the step: answered at 3,800
      req(4_500, 7_400, 504), // sent after a slow answer came back: the client's doing
      { route: "GET /creditos", status: 200, arrivedAt: 0, answeredAt: 10, ms: 10 },
    ];
    expect(math.firstWave(requests, { stepAt: 1_000 })).toEqual({
      firstSignalAt: 3_800,
      timeouts: 3,
      firstWaveTimeouts: 2,
    });
    expect(math.firstWave([req(0, 100)], { stepAt: 50 }).firstWaveTimeouts).toBe(0);
  });
});
