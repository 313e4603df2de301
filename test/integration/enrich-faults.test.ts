import { describe, expect, it } from "vitest";
import type { SandboxFaults } from "../../src/sandbox/index.js";
import { leadRows, writeCsv } from "../helpers/cli-harness.js";
import {
  enrich,
  errorsById,
  expectEveryRowOnce,
  idRows,
  readOutputs,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

describe("fluence enrich: surviving a hostile API", () => {
  it("rides out a 429 storm from a tight rate limit and loses nothing", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ rateLimit: 3, rateWindowMs: 1000, latencyMs: 20 });
    const proxy = await s.proxy(sandbox.url);
    const rows = idRows(leadRows(40));
    const input = writeCsv(s.tmp.file("storm.csv"), rows);
    const result = await enrich(input, ["--batch-size", "5"], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(0);

    const out = readOutputs(s.tmp.dir, "storm");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(40);
    const stats = sandbox.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    // The summary counts the batch requests refused; the free /creditos reads may be refused too.
    const batch429 = proxy.exchanges.filter((e) => e.route === "POST /crm_basico_batch" && e.status === 429);
    expect(batch429.length).toBeGreaterThan(0);
    expect(out.summary.rate_limited).toBe(batch429.length);
    expect(proxy.exchanges.filter((e) => e.status === 429)).toHaveLength(stats.rateLimited);
    expect(stats.profilesReceived).toBe(40);
    expect(stats.creditsDebited).toBe(40);
    expect(out.summary.credits_used).toBe(40);
    expect(out.summary.billing_check.ok).toBe(true);
  });

  it("never causes a 429 by itself when --rate is within the server's limit", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ rateLimit: 20, rateWindowMs: 1000, latencyMs: 20 });
    const rows = idRows(leadRows(300));
    const input = writeCsv(s.tmp.file("paced.csv"), rows);
    // The server allows 20 requests per second; --rate 1100/min is 18.3/s, a margin that absorbs the
    // scheduling jitter of a loaded test machine without hiding a client that ignores --rate.
    const result = await enrich(input, ["--rate", "1100"], env);
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "paced");
    expectEveryRowOnce(rows, out, expect);
    const stats = sandbox.stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.statuses["429"]).toBeUndefined();
    expect(stats.requests["POST /crm_basico_batch"]).toBe(30);
    expect(out.summary).toMatchObject({ rate_limited: 0, retries: 0, enriched: 300 });
  });

  it("keeps at most --concurrency batches in flight, and more than 10 on auto when rate x latency needs it", async () => {
    const s = setup();
    const fixed = await s.sandbox({ latencyMs: 150, latencyPerProfileMs: 5 });
    const rows = idRows(leadRows(95));
    const input = writeCsv(s.tmp.file("conc.csv"), rows);
    expect((await enrich(input, ["--concurrency", "3", "--batch-size", "5"], fixed.env)).code).toBe(0);
    expect(fixed.sandbox.stats().peakConcurrency).toBe(3);
    expectEveryRowOnce(rows, readOutputs(s.tmp.dir, "conc"), expect);

    // 6000 requests a minute at 300 ms need ~33 in flight (Little's law): all 15 batches go out together.
    const auto = await s.sandbox({ latencyMs: 300 });
    const rows2 = idRows(leadRows(150, 1000));
    const input2 = writeCsv(s.tmp.file("auto.csv"), rows2);
    expect((await enrich(input2, [], auto.env)).code).toBe(0);
    const peak = auto.sandbox.stats().peakConcurrency;
    expect(peak).toBe(15);
    expect(readOutputs(s.tmp.dir, "auto").summary.max_in_flight).toBe(15);
    expectEveryRowOnce(rows2, readOutputs(s.tmp.dir, "auto"), expect);
    expect(auto.sandbox.stats().creditsDebited).toBe(150);
  });

  it.each([
    ["429", { error429: 0.3 }, "error429"],
    ["500", { error500: 0.3 }, "error500"],
  ] as const)(
    "survives injected %s answers (p = 0.3) with every row enriched and charged once",
    async (_label, faults, kind) => {
      const s = setup();
      const { sandbox, env } = await s.sandbox({ faults, seed: 7, latencyMs: 5 });
      const rows = idRows(leadRows(60));
      const input = writeCsv(s.tmp.file("f.csv"), rows);
      const result = await enrich(input, [], env);
      expect(result.code).toBe(0);

      const out = readOutputs(s.tmp.dir, "f");
      expectEveryRowOnce(rows, out, expect);
      expect(out.enriched).toHaveLength(60);
      const stats = sandbox.stats();
      expect(stats.faultsInjected[kind]).toBeGreaterThan(0);
      expect(out.summary.retries).toBeGreaterThanOrEqual(stats.faultsInjected[kind]);
      if (kind === "error429") expect(out.summary.rate_limited).toBe(stats.faultsInjected.error429);
      // 429 and 500 are never charged, so a retry costs nothing extra and the books balance exactly.
      expect(stats.creditsDebited).toBe(60);
      expect(out.summary.in_doubt).toBe(0);
      expect(out.summary.billing_check).toMatchObject({ ok: true, balance_drop: 60 });
    },
  );

  it.each([
    ["dropped connections", { drop: 0.3 }, "drop"],
    ["malformed JSON", { malformed: 0.3 }, "malformed"],
  ] as const)(
    "survives %s (p = 0.3), counting the lost answers as in doubt",
    async (_label, faults, kind) => {
      const s = setup();
      const { sandbox, env } = await s.sandbox({ faults, seed: 5, latencyMs: 5 });
      const rows = idRows(leadRows(60));
      const input = writeCsv(s.tmp.file("f.csv"), rows);
      const result = await enrich(input, [], env);
      expect(result.code).toBe(0);

      const out = readOutputs(s.tmp.dir, "f");
      expectEveryRowOnce(rows, out, expect);
      expect(out.enriched).toHaveLength(60);
      const stats = sandbox.stats();
      const lost = stats.faultsInjected[kind];
      expect(lost).toBeGreaterThan(0);
      // Every batch holds 10 people, and the sandbox charged each lost batch in full before losing its answer.
      expect(out.summary.in_doubt).toBe(lost * 10);
      expect(stats.creditsDebited).toBe(60 + lost * 10);
      expect(out.summary.credits_used).toBe(60);
      expect(out.summary.billing_check.ok).toBe(false);
      expect(out.summary.billing_check.balance_drop).toBe(stats.creditsDebited);
      expect(out.summary.billing_check.mismatch).toMatch(/in doubt/);
      expect(out.summary.credits_remaining).toBe(sandbox.balance(sandbox.keys.enterprise));
    },
  );

  it.each([
    ["error500", "SERVER_ERROR", 0],
    ["drop", "NETWORK_ERROR", 24],
    ["malformed", "PROTOCOL_ERROR", 24],
  ] as const)(
    "with %s at p = 1 and --retries 1 every row ends retryable as %s, exit 5",
    async (kind, code, charged) => {
      const s = setup();
      const faults: SandboxFaults = { [kind]: 1 };
      const { sandbox, env } = await s.sandbox({ faults, latencyMs: 5 });
      const rows = idRows(leadRows(12));
      rows.push(["r13", "Sem", "", "Vale", "x@y.br"]);
      const input = writeCsv(s.tmp.file("p1.csv"), rows);
      const result = await enrich(input, ["--retries", "1"], env);
      expect(result.code).toBe(5);

      const out = readOutputs(s.tmp.dir, "p1");
      expectEveryRowOnce(rows, out, expect);
      expect(out.enriched).toHaveLength(0);
      const errors = errorsById(out);
      for (let i = 1; i <= 12; i++) {
        expect(errors.get(`r${i}`)).toMatchObject({ code, retryable: "true" });
        expect(errors.get(`r${i}`)?.message).toMatch(/2 attempts/);
      }
      expect(errors.get("r13")).toMatchObject({ code: "INVALID_ROW", retryable: "false" });
      const stats = sandbox.stats();
      // Two batches (10 + 2), each tried twice.
      expect(stats.requests["POST /crm_basico_batch"]).toBe(4);
      expect(stats.faultsInjected[kind]).toBe(4);
      expect(stats.creditsDebited).toBe(charged);
      expect(out.summary).toMatchObject({
        exit_code: 5,
        enriched: 0,
        retryable_failures: 12,
        errors_by_code: { [code]: 12, INVALID_ROW: 1 },
        credits_used: 0,
        retries: 2,
      });
      if (charged > 0) expect(out.summary.in_doubt).toBe(charged);
    },
  );

  it("gives duplicates of a person who kept failing the same retryable outcome, sending them once", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ faults: { error500: 1 } });
    const proxy = await s.proxy(sandbox.url);
    const rows = idRows([
      ["primeiro_nome", "ultimo_nome", "empresa"],
      ["Ana", "Souza", "Natura"],
      ["Rui", "Maia", "Vale"],
      ["ana", " SOUZA", "natura "],
    ]);
    const input = writeCsv(s.tmp.file("dup500.csv"), rows);
    const result = await enrich(input, ["--retries", "0"], { ...env, FLUENCE_BASE_URL: proxy.url });
    expect(result.code).toBe(5);
    const out = readOutputs(s.tmp.dir, "dup500");
    expectEveryRowOnce(rows, out, expect);
    const errors = errorsById(out);
    expect(errors.get("r1")).toMatchObject({ code: "SERVER_ERROR", retryable: "true", row: "1" });
    expect(errors.get("r3")).toMatchObject({ code: "SERVER_ERROR", retryable: "true", row: "3" });
    expect(errors.get("r3")?.message).toBe(errors.get("r1")?.message);
    expect(proxy.batches.map((b) => b.profiles.map((p) => p.primeiro_nome))).toEqual([["Ana", "Rui"]]);
    expect(sandbox.stats().faultsInjected.error500).toBe(1);
    expect(out.summary).toMatchObject({
      duplicates: 1,
      retryable_failures: 3,
      errors_by_code: { SERVER_ERROR: 3 },
    });
  });

  it("treats a timeout as in doubt and, when retries run out, as a retryable TIMEOUT (exit 5)", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 600 });
    const rows = idRows(leadRows(12));
    const input = writeCsv(s.tmp.file("slow.csv"), rows);
    const result = await enrich(input, ["--timeout", "200", "--retries", "1"], env);
    expect(result.code).toBe(5);
    const out = readOutputs(s.tmp.dir, "slow");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(0);
    for (const failure of errorsById(out).values())
      expect(failure).toMatchObject({ code: "TIMEOUT", retryable: "true" });
    // Each of the two batches was sent twice and never answered in time: all 24 sends are in doubt.
    expect(sandbox.stats().requests["POST /crm_basico_batch"]).toBe(4);
    expect(out.summary).toMatchObject({ in_doubt: 24, credits_used: 0, retryable_failures: 12 });
  });

  it("isolates one over-long company so the nine others in its batch are still enriched", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = idRows(leadRows(10));
    rows[4]![3] = `Empresa ${"X".repeat(242)}`;
    expect(rows[4]![3]).toHaveLength(250);
    const input = writeCsv(s.tmp.file("long.csv"), rows);
    const result = await enrich(input, ["--concurrency", "1"], env);
    expect(result.code).toBe(0);

    const out = readOutputs(s.tmp.dir, "long");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(9);
    expect([...errorsById(out).entries()]).toEqual([
      ["r4", expect.objectContaining({ code: "BAD_REQUEST", retryable: "false", row: "4" })],
    ]);
    const stats = sandbox.stats();
    expect(stats.batchSizes[0]).toBe(10);
    expect(stats.batchSizes.length).toBeGreaterThan(1);
    expect(stats.batchSizes).toContain(1);
    expect(stats.statuses["400"]).toBeGreaterThanOrEqual(2);
    expect(stats.profilesReceived).toBe(9);
    expect(stats.creditsDebited).toBe(9);
    expect(out.summary).toMatchObject({
      enriched: 9,
      failed: 1,
      credits_used: 9,
      errors_by_code: { BAD_REQUEST: 1 },
    });
  });

  it("isolates two poisoned rows (over-long, control character) in different batches", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = idRows(leadRows(20));
    rows[3]![1] = "Bell\u0007Ringer";
    rows[17]![2] = "S".repeat(201);
    const input = writeCsv(s.tmp.file("poison.csv"), rows);
    const result = await enrich(input, [], env);
    expect(result.code).toBe(0);

    const out = readOutputs(s.tmp.dir, "poison");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(18);
    const errors = errorsById(out);
    expect([...errors.keys()]).toEqual(["r3", "r17"]);
    expect(errors.get("r3")?.code).toBe("BAD_REQUEST");
    expect(errors.get("r17")?.code).toBe("BAD_REQUEST");
    expect(sandbox.stats().profilesReceived).toBe(18);
    expect(sandbox.stats().creditsDebited).toBe(18);
  });
});
