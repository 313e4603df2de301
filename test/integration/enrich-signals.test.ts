import { describe, expect, it } from "vitest";
import { collect, leadRows, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import {
  errorsById,
  expectEveryRowOnce,
  FAST,
  idRows,
  readOutputs,
  until,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

describe("fluence enrich: interrupted", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "on %s waits for the batch in flight, writes every row and exits 130",
    async (signal) => {
      const s = setup();
      const { sandbox, env } = await s.sandbox({ latencyMs: 800 });
      const rows = idRows(leadRows(40));
      const input = writeCsv(s.tmp.file("sig.csv"), rows);
      const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "1"], { env });
      const done = collect(child, { timeoutMs: 30_000 });

      await until(() => (sandbox.stats().requests["POST /crm_basico_batch"] ?? 0) >= 1);
      child.kill(signal);
      const result = await done;
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/stopping/);

      const out = readOutputs(s.tmp.dir, "sig");
      expectEveryRowOnce(rows, out, expect);
      // The batch in flight was allowed to land: its ten people are enriched, and nobody else was sent.
      const stats = sandbox.stats();
      expect(stats.requests["POST /crm_basico_batch"]).toBe(1);
      expect(stats.profilesReceived).toBe(10);
      expect(stats.creditsDebited).toBe(10);
      expect(out.enriched.map((r) => r[0])).toEqual(rows.slice(1, 11).map((r) => r[0]));
      const errors = errorsById(out);
      expect(errors.size).toBe(30);
      for (const failure of errors.values())
        expect(failure).toMatchObject({ code: "INTERRUPTED", retryable: "true" });
      expect(out.summary).toMatchObject({
        exit_code: 130,
        stopped: "interrupted",
        enriched: 10,
        credits_used: 10,
        retryable_failures: 30,
        errors_by_code: { INTERRUPTED: 30 },
      });
    },
  );

  it("lets every batch already in flight land before writing, with several in flight", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 700 });
    const rows = idRows(leadRows(60));
    const input = writeCsv(s.tmp.file("many.csv"), rows);
    const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "4", "--batch-size", "5"], { env });
    const done = collect(child, { timeoutMs: 30_000 });
    await until(() => (sandbox.stats().requests["POST /crm_basico_batch"] ?? 0) >= 3);
    child.kill("SIGINT");
    const result = await done;
    expect(result.code).toBe(130);

    const sent = sandbox.stats().requests["POST /crm_basico_batch"] ?? 0;
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(sent).toBeLessThanOrEqual(4);
    const out = readOutputs(s.tmp.dir, "many");
    expectEveryRowOnce(rows, out, expect);
    // Every batch that reached the API was answered and charged, and its rows are enriched: none lost in doubt.
    expect(sandbox.stats().creditsDebited).toBe(sent * 5);
    expect(out.enriched).toHaveLength(sent * 5);
    expect(out.summary).toMatchObject({ in_doubt: 0, credits_used: sent * 5, stopped: "interrupted" });
    for (const failure of errorsById(out).values())
      expect(failure).toMatchObject({ code: "INTERRUPTED", retryable: "true" });
  });

  it("sends only the rows left over when run again after an interruption", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 400 });
    const rows = idRows(leadRows(30));
    const input = writeCsv(s.tmp.file("again.csv"), rows);
    const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "1"], { env });
    const done = collect(child, { timeoutMs: 30_000 });
    await until(() => (sandbox.stats().requests["POST /crm_basico_batch"] ?? 0) >= 1);
    child.kill("SIGINT");
    expect((await done).code).toBe(130);
    expect(sandbox.stats().creditsDebited).toBe(10);

    sandbox.resetStats();
    const second = await collect(spawnCli(["enrich", input, ...FAST], { env }), { timeoutMs: 30_000 });
    expect(second.code).toBe(0);
    const out = readOutputs(s.tmp.dir, "again");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(30);
    expect(sandbox.stats().profilesReceived).toBe(20);
    expect(sandbox.stats().creditsDebited).toBe(20);
    expect(out.summary).toMatchObject({ from_store: 10, profiles_sent: 20, credits_used: 20, exit_code: 0 });
  });
});
