import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { leadRows, runCli, writeCsv } from "../helpers/cli-harness.js";
import { enrich, expectEveryRowOnce, FAST, idRows, readOutputs, useScenarios } from "./enrich-helpers.js";

const setup = useScenarios();

describe("fluence enrich: batches, flags and output safety", () => {
  it("honours --batch-size", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = idRows(leadRows(23));
    const input = writeCsv(s.tmp.file("b.csv"), rows);
    const result = await enrich(input, ["--batch-size", "4", "--concurrency", "1"], env);
    expect(result.code).toBe(0);
    expect(sandbox.stats().batchSizes).toEqual([4, 4, 4, 4, 4, 3]);
    const out = readOutputs(s.tmp.dir, "b");
    expectEveryRowOnce(rows, out, expect);
    expect(out.summary).toMatchObject({ batches: 6, profiles_sent: 23, enriched: 23 });
  });

  it("sends batches of 10 by default", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("d.csv"), idRows(leadRows(23)));
    expect((await enrich(input, [], env)).code).toBe(0);
    expect([...sandbox.stats().batchSizes].sort((a, b) => b - a)).toEqual([10, 10, 3]);
  });

  it.each([
    [["--batch-size", "11"], /batch-size/],
    [["--batch-size", "0"], /batch-size/],
    [["--concurrency", "-1"], /concurrency/],
    [["--concurrency", "fast"], /concurrency/],
    [["--retries", "-2"], /retries/],
    [["--delay", "soon"], /delay/],
    [["--format", "xml"], /format/],
  ])("refuses %j with exit 2 and one sentence, before any request", async (flags, flagName) => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("f.csv"), leadRows(3));
    const result = await enrich(input, flags, env);
    expect(result.code).toBe(2);
    const message = result.stderr.split("\n").filter((l) => l.trim() !== "" && !/--help/.test(l));
    expect(message).toHaveLength(1);
    expect(message[0]).toMatch(flagName);
    expect(sandbox.stats().requests).toEqual({});
    expect(() => readFileSync(s.tmp.file("f.enriched.csv"))).toThrow();
  });

  it.each(["--enriched", "--errors", "--summary"])(
    "refuses to write %s over the input (exit 2)",
    async (flag) => {
      const s = setup();
      const { sandbox, env } = await s.sandbox();
      const input = writeCsv(s.tmp.file("in.csv"), leadRows(3));
      const before = readFileSync(input);
      const result = await enrich(input, [flag, s.tmp.file("in.csv")], env);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/input/);
      expect(readFileSync(input)).toEqual(before);
      expect(sandbox.stats().requests["POST /crm_basico_batch"]).toBeUndefined();
    },
  );

  it('reads stdin for input "-" and creates a missing --out-dir', async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const rows = idRows(leadRows(7));
    const text = readFileSync(writeCsv(s.tmp.file("src.csv"), rows), "utf8");
    const result = await runCli(["enrich", "-", ...FAST, "--out-dir", "out/sub"], {
      env,
      cwd: s.tmp.dir,
      stdin: text,
    });
    expect(result.code).toBe(0);
    const out = readOutputs(s.tmp.file("out/sub"), "stdin");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(7);
    expect(sandbox.stats().creditsDebited).toBe(7);
  });

  it("prints the summary as JSON on stdout with --json and the human text on stderr", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox();
    const input = writeCsv(s.tmp.file("j.csv"), leadRows(12));
    const result = await enrich(input, ["--json"], env);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    const summary = readOutputs(s.tmp.dir, "j").summary;
    expect(printed).toEqual(summary);
    expect(result.stderr).toMatch(/12/);
    expect(result.stderr).toMatch(/j\.enriched\.csv/);
    expect(summary.outputs).toEqual({
      enriched: s.tmp.file("j.enriched.csv"),
      errors: s.tmp.file("j.errors.csv"),
      summary: s.tmp.file("j.summary.json"),
    });
    expect(sandbox.stats().profilesReceived).toBe(12);
  });

  it("balances the books in a clean run: credits used = debited = enriched people = balance drop", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ credits: 500 });
    const rows = idRows(leadRows(27));
    rows.push(
      ["r28", "Ana", "Paz", "Empresa Fantasma", "x@y.br"],
      ["r29", "Rui", "Sá", "Sigilosa", "z@y.br"],
    );
    const input = writeCsv(s.tmp.file("bill.csv"), rows);
    const result = await enrich(input, [], env);
    expect(result.code).toBe(0);
    const { summary } = readOutputs(s.tmp.dir, "bill");
    const stats = sandbox.stats();
    expect(stats.creditsDebited).toBe(27);
    expect(summary.credits_used).toBe(27);
    expect(summary.enriched).toBe(27);
    expect(summary.credits_remaining).toBe(473);
    expect(sandbox.balance(sandbox.keys.enterprise)).toBe(473);
    expect(summary.plan).toBe("enterprise_crm");
    expect(summary.billing_check).toMatchObject({
      ok: true,
      balance_drop: 27,
      credits_reported: 27,
      mismatch: null,
    });
  });
});
