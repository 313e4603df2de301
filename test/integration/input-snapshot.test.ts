import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  utimesSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { SandboxHandle } from "../../src/sandbox/index.js";
import { type CliResult, collect, leadRows, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { BATCH_ROUTE, strayFiles } from "./csv-kit.js";
import {
  enrich,
  expectEveryRowOnce,
  FAST,
  idRows,
  readOutputs,
  until,
  useScenarios,
} from "./enrich-helpers.js";

const setup = useScenarios();

const FINALS = ["leads.enriched.csv", "leads.errors.csv", "leads.summary.json"];
const CHANGED =
  /leads\.csv changed while it was being enriched; nothing was lost, the results already paid for are in the store: run again once the file is complete\./;

function batchRequests(sandbox: SandboxHandle): number {
  return sandbox.stats().requests[BATCH_ROUTE] ?? 0;
}

/** Starts a run that sends in two slow batches; resolves once the first is at the API (the plan pass is over). */
async function startSlowRun(
  input: string,
  outDir: string,
  env: Record<string, string>,
  sandbox: SandboxHandle,
): Promise<{ done: Promise<CliResult> }> {
  const child = spawnCli(["enrich", input, ...FAST, "--out-dir", outDir, "--concurrency", "1"], { env });
  const done = collect(child, { timeoutMs: 30_000 });
  await until(() => batchRequests(sandbox) >= 1);
  // Wrapped: an async function returning the promise itself would wait for the whole run.
  return { done };
}

describe("one input per run", () => {
  it("a new export renamed over the input mid-run: the outputs hold only the original rows, in order, with a notice", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 300 });
    const rows = idRows(leadRows(30));
    const input = writeCsv(s.tmp.file("leads.csv"), rows);
    const outDir = s.tmp.file("out");
    const { done } = await startSlowRun(input, outDir, env, sandbox);

    // What an export job does: write the new file under a temp name, rename it over the old one.
    const next = idRows(leadRows(45, 500)).map((row, i) => (i === 0 ? row : [`n${i}`, ...row.slice(1)]));
    const part = writeCsv(s.tmp.file("leads.csv.part"), next);
    renameSync(part, input);

    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /leads\.csv was replaced by another file during the run; the outputs are from the file as it was when the run started\./,
    );
    const out = readOutputs(outDir, "leads");
    expectEveryRowOnce(rows, out, expect);
    expect(out.enriched.map((r) => r[0])).toEqual(rows.slice(1).map((r) => r[0]));
    expect(out.summary).toMatchObject({ rows: 30, enriched: 30 });
    expect(sandbox.stats().profilesReceived).toBe(30);
  });

  it("rows appended in place between the passes: exit 2, one sentence, the previous outputs untouched; a re-run pays only for the new people", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 300 });
    const outDir = s.tmp.file("out");
    const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(20)));
    const first = await enrich(input, ["--out-dir", outDir], env);
    expect(first.code, first.stderr).toBe(0);
    const before = new Map(FINALS.map((name) => [name, readFileSync(path.join(outDir, name))]));

    // The next export has 20 more people; while they are being sent, the exporter appends to the file.
    writeCsv(input, idRows(leadRows(40)));
    sandbox.resetStats();
    const { done } = await startSlowRun(input, outDir, env, sandbox);
    appendFileSync(input, "r41,Tardia,Silva,Empresa Nova,t@example.com.br\n");
    const result = await done;

    expect(result.code, result.stderr).toBe(2);
    // One sentence, after the progress line, and no stack or "bug".
    expect(result.stderr.trim().split("\n").at(-1)).toMatch(new RegExp(`^fluence: \\S*${CHANGED.source}$`));
    expect(result.stderr).not.toMatch(/internal error|bug|\n\s+at /);
    for (const [name, bytes] of before)
      expect(readFileSync(path.join(outDir, name)).equals(bytes), name).toBe(true);
    expect(strayFiles(outDir, FINALS)).toEqual([]);
    // The batches in flight landed and were kept: both were paid for once.
    expect(sandbox.stats().creditsDebited).toBe(20);

    sandbox.resetStats();
    const rerun = await enrich(input, ["--out-dir", outDir], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(sandbox.stats().profilesReceived).toBe(1);
    expect(readOutputs(outDir, "leads").summary).toMatchObject({ rows: 41, enriched: 41, from_store: 40 });
  });

  it("rewritten in place with the same size and mtime: only the digest can tell, and it does (exit 2, no output, no temp file)", async () => {
    const s = setup();
    const { sandbox, env } = await s.sandbox({ latencyMs: 300 });
    const outDir = s.tmp.file("out");
    const input = writeCsv(s.tmp.file("leads.csv"), idRows(leadRows(20)));
    const pinned = 1_700_000_000; // whole seconds: utimes can put exactly this back
    utimesSync(input, pinned, pinned);
    const { done } = await startSlowRun(input, outDir, env, sandbox);

    const text = readFileSync(input, "utf8");
    const fd = openSync(input, "r+");
    writeSync(fd, "Pessoz4,", Buffer.byteLength(text.slice(0, text.indexOf("Pessoa4,"))));
    closeSync(fd);
    utimesSync(input, pinned, pinned);
    const result = await done;

    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(CHANGED);
    expect(strayFiles(outDir, [])).toEqual([]);

    sandbox.resetStats();
    const rerun = await enrich(input, ["--out-dir", outDir], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    // Only the person the rewrite made up is new; the twenty paid for are served from the store.
    expect(sandbox.stats().profilesReceived).toBe(1);
    expect(readOutputs(outDir, "leads").summary).toMatchObject({ rows: 20, from_store: 19 });
  });
});
