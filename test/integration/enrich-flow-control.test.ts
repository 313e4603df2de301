import { describe, expect, it } from "vitest";
import { leadRows, writeCsv } from "../helpers/cli-harness.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  idRows,
  readOutputs,
  useScenarios,
} from "./enrich-helpers.js";

// Adaptive concurrency and pacing, through the real CLI against the sandbox's knobs (latency jitter, a cap
// on concurrent batches answered with 503 beyond it, a gateway token bucket). FAST pacing (--rate 6000)
// leaves the server, not the pacer, as the limit.
const setup = useScenarios();
const BATCH = "POST /crm_basico_batch";

type FlowSummary = {
  max_in_flight: number;
  concurrency_limit: number;
  latency_ms: { p50: number; p95: number } | null;
  rate_per_minute: number;
};

describe("fluence enrich: as many in flight as the server copes with", () => {
  it("against a server that runs only 3 batches at once ends with about 3 in flight, few refused, nothing lost", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ maxConcurrentBatches: 3, latencyMs: 150, rateLimit: 100_000 });
    // Enough batches that the refusals of the first probes above 3 (a fixed few, more when the machine is
    // loaded and answers look slower) do not decide the share.
    const rows = idRows(leadRows(1200));
    const input = writeCsv(s.tmp.file("capped.csv"), rows);
    const r = await enrich(input, [], env);
    expect(r.code, r.stderr).toBe(0);
    const out = readOutputs(s.tmp.dir, "capped");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(1200);
    const stats = sandbox.stats();
    const sent = stats.requests[BATCH] ?? 0;
    expect(stats.peakBatchConcurrency).toBe(3);
    expect(stats.refusedOverCapacity).toBeGreaterThan(0);
    expect(stats.refusedOverCapacity / sent).toBeLessThanOrEqual(0.1);
    expect(stats.creditsDebited).toBe(1200);
    const summary = out.summary as typeof out.summary & FlowSummary;
    // Not the ~33 that 6000/min x 150 ms would need, not 1: the server's own capacity.
    expect(summary.concurrency_limit).toBeGreaterThanOrEqual(2);
    expect(summary.concurrency_limit).toBeLessThanOrEqual(4);
    expect(summary.max_in_flight).toBeLessThanOrEqual(5);
  });

  it("the HTTP pool is never the limit: --concurrency 40 puts 40 batches in flight", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 1500 });
    const input = writeCsv(s.tmp.file("forty.csv"), leadRows(400));
    const r = await enrich(input, ["--concurrency", "40"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(sandbox.stats().peakBatchConcurrency).toBe(40);
    expect((readOutputs(s.tmp.dir, "forty").summary as unknown as FlowSummary).max_in_flight).toBe(40);
  });

  it("reports latency from the moment on the wire: p50 and p95 inside the server's jitter range", async () => {
    const s = setup();
    const { env } = await s.sandbox({ latencyMs: 200, latencyJitterMs: 100, seed: 3 });
    const input = writeCsv(s.tmp.file("jitter.csv"), leadRows(200));
    const r = await enrich(input, [], env);
    expect(r.code, r.stderr).toBe(0);
    const summary = readOutputs(s.tmp.dir, "jitter").summary as unknown as FlowSummary;
    expect(summary.latency_ms).not.toBeNull();
    expect(summary.latency_ms!.p50).toBeGreaterThanOrEqual(200);
    expect(summary.latency_ms!.p95).toBeGreaterThanOrEqual(summary.latency_ms!.p50);
    expect(summary.latency_ms!.p95).toBeLessThan(400);
    // 20 batches at 100/s and ~250 ms need about 30 in flight: all of them went out together.
    expect(summary.max_in_flight).toBe(20);
  });
});

describe("fluence enrich: a server that throttles everything", () => {
  it("gives up in bounded time with every row retryable and exit 5, retrying only the batches already out", async () => {
    const s = setup();
    // One token, spent by the preflight /creditos; the bucket refills once every ten minutes.
    const { sandbox, env } = await s.sandbox({ gateway: { burst: 1 }, rateLimit: 1, rateWindowMs: 600_000 });
    const rows = idRows(leadRows(100));
    const input = writeCsv(s.tmp.file("refused.csv"), rows);
    const started = Date.now();
    const r = await enrich(input, ["--retries", "2"], env);
    const elapsed = Date.now() - started;
    expect(r.code, r.stderr).toBe(5);
    expect(elapsed).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/refused every request as rate-limited/);
    const out = readOutputs(s.tmp.dir, "refused");
    expectEveryRowOnce(rows, out, expect);
    const errors = [...errorsById(out).values()];
    expect(errors).toHaveLength(100);
    for (const e of errors) expect(e).toMatchObject({ code: "RATE_LIMITED", retryable: "true" });
    expect(errors.filter((e) => /gave up after 3 attempts/.test(e.message)).length).toBeGreaterThanOrEqual(
      10,
    );
    expect(out.summary).toMatchObject({
      stopped: "rate_limited",
      exit_code: 5,
      enriched: 0,
      credits_used: 0,
    });
    // Three attempts of the first batch (and of the one or two that left, 10 ms apart, before the first 429
    // came back); fresh batches were held back while every answer was a 429: 70+ rows were never sent.
    const requests = sandbox.stats().requests[BATCH] ?? 0;
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(requests).toBeLessThanOrEqual(9);
    expect(errors.filter((e) => /^Not sent/.test(e.message)).length).toBeGreaterThanOrEqual(70);
    expect(out.summary.batches).toBe(requests);
  });

  it("with injected 429s on every answer (docs-shaped, Retry-After: 1) also ends, exit 5, nothing charged", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ faults: { error429: 1 }, latencyMs: 5 });
    const rows = idRows(leadRows(30));
    const input = writeCsv(s.tmp.file("p1.csv"), rows);
    const r = await enrich(input, ["--retries", "1"], env);
    expect(r.code, r.stderr).toBe(5);
    const out = readOutputs(s.tmp.dir, "p1");
    expectEveryRowOnce(rows, out, expect);
    for (const e of errorsById(out).values())
      expect(e).toMatchObject({ code: "RATE_LIMITED", retryable: "true" });
    expect(out.summary.stopped).toBe("rate_limited");
    // The first batch twice; a second one may have left before the first 429 came back.
    expect(out.summary.rate_limited).toBeGreaterThanOrEqual(2);
    expect(out.summary.rate_limited).toBeLessThanOrEqual(4);
    expect(out.summary.retries).toBeLessThanOrEqual(2);
    expect(sandbox.stats().creditsDebited).toBe(0);
  });

  it("a throttle that passes: the rate comes down, then back up, and every row is enriched", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ faults: { error429: 0.2 }, seed: 11, latencyMs: 20 });
    const rows = idRows(leadRows(300));
    const input = writeCsv(s.tmp.file("passing.csv"), rows);
    const r = await enrich(input, [], env);
    expect(r.code, r.stderr).toBe(0);
    const out = readOutputs(s.tmp.dir, "passing");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(300);
    expect(out.summary.rate_limited).toBeGreaterThan(0);
    expect(sandbox.stats().creditsDebited).toBe(300);
  });
});
