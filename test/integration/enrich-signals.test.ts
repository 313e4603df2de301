import { mkdirSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { collect, leadRows, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { strayFiles } from "./csv-kit.js";
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
  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
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

describe("fluence enrich: the terminal gone, a second signal", () => {
  it("after SIGHUP with stdout and stderr closed (the terminal is gone): still exit 130, every row written", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 600 });
    const rows = idRows(leadRows(30));
    const input = writeCsv(s.tmp.file("hup.csv"), rows);
    const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "1", "--json"], { env });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    await until(() => (sandbox.stats().requests["POST /crm_basico_batch"] ?? 0) >= 1);
    // Every later write to stdout or stderr (the "stopping" notice, the summary, --json) meets EPIPE.
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.kill("SIGHUP");
    expect(await exited).toEqual({ code: 130, signal: null });

    const out = readOutputs(s.tmp.dir, "hup");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched).toHaveLength(10);
    for (const failure of errorsById(out).values())
      expect(failure).toMatchObject({ code: "INTERRUPTED", retryable: "true" });
    expect(out.summary).toMatchObject({ exit_code: 130, stopped: "interrupted", enriched: 10 });
  });

  it("a second signal quits at once: no output, lock or temp file left; the store keeps what landed, and the next run pays only for the rest", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 700 });
    const rows = idRows(leadRows(40));
    const input = writeCsv(s.tmp.file("twice.csv"), rows);
    const outDir = s.tmp.file("out");
    const tmp = s.tmp.file("tmp");
    mkdirSync(tmp);
    const childEnv = { ...env, TMPDIR: tmp };
    const child = spawnCli(["enrich", input, ...FAST, "--concurrency", "1", "--out-dir", outDir], {
      env: childEnv,
    });
    const done = collect(child, { timeoutMs: 30_000 });
    let stderrSoFar = "";
    child.stderr?.on("data", (d: Buffer | string) => {
      stderrSoFar += String(d);
    });
    // The first batch has landed (and was committed) once the second reaches the API.
    await until(() => (sandbox.stats().requests["POST /crm_basico_batch"] ?? 0) >= 2);
    child.kill("SIGTERM");
    await until(() => /stopping/.test(stderrSoFar));
    const second = Date.now();
    child.kill("SIGTERM");
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    // At once: the batch in flight (700 ms) was not waited for.
    expect(Date.now() - second).toBeLessThan(600);
    expect(result.stderr).toMatch(/quitting at once: every batch that landed is kept in the store/);
    expect(strayFiles(outDir, [])).toEqual([]);
    expect(strayFiles(tmp, [])).toEqual([]);

    const db = new Database(env.FLUENCE_STORE!, { readonly: true });
    const stored = (db.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n;
    const inflight = (db.prepare("SELECT COUNT(*) AS n FROM inflight").get() as { n: number }).n;
    db.close();
    expect(stored).toBe(10);
    expect(inflight).toBe(10);

    // The abandoned batch still reaches the sandbox, which charges it when it answers into the void.
    await until(() => sandbox.stats().creditsDebited >= 20);
    sandbox.resetStats();
    const next = await collect(spawnCli(["enrich", input, ...FAST, "--out-dir", outDir], { env: childEnv }), {
      timeoutMs: 30_000,
    });
    expect(next.code, next.stderr).toBe(0);
    expect(sandbox.stats().profilesReceived).toBe(30);
    const out = readOutputs(outDir, "twice");
    expectEveryRowOnce(rows, out, expect);
    expect(out.summary).toMatchObject({ from_store: 10, stale_in_flight: 10, enriched: 40 });
  });
});
