import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { collect, leadRows, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { BATCH_ROUTE, CSV_FIXTURES, CsvWorld, readTable, strayFiles } from "./csv-kit.js";
import { FAST, until } from "./enrich-helpers.js";

let world: CsvWorld | undefined;
afterEach(async () => {
  await world?.release();
  world = undefined;
});

const FINALS = ["leads.enriched.csv", "leads.errors.csv", "leads.summary.json"];
// A SIGKILLed run cannot remove its output locks; the next run takes them over (output-locks.test.ts).
const LOCKS = FINALS.map((name) => `.${name}.lock`);

/** Starts `fluence enrich` in the background; resolves once `ready` holds, then SIGKILLs it. */
async function killWhen(w: CsvWorld, input: string, args: string[], ready: () => boolean): Promise<void> {
  const child = spawnCli(["enrich", input, ...FAST, "--out-dir", w.outDir, ...args], { env: w.env });
  const done = collect(child, { timeoutMs: 90_000 });
  try {
    await until(ready, 60_000);
  } finally {
    child.kill("SIGKILL");
  }
  const result = await done;
  expect(result.signal, result.stderr).toBe("SIGKILL");
}

function batchRequestsSeen(w: CsvWorld): number {
  return w.sandbox.stats().requests[BATCH_ROUTE] ?? 0;
}

describe("atomic outputs under SIGKILL", () => {
  it("killed while batches are in flight: no enriched/errors/summary file, no temp file left in the output dir", async () => {
    world = await CsvWorld.start({ latencyMs: 5_000 });
    const w = world;
    const input = writeCsv(w.file("leads.csv"), leadRows(20));

    await killWhen(w, input, ["--batch-size", "5", "--concurrency", "1"], () => batchRequestsSeen(w) >= 1);

    for (const name of FINALS) expect(existsSync(w.out(name)), name).toBe(false);
    // Outputs are opened only after sending, so nothing but the locks (not even a temp file) is expected here.
    expect(strayFiles(w.outDir, []).sort()).toEqual([...LOCKS].sort());
    expect(w.sandbox.stats().profilesSucceeded).toBe(0);
  }, 90_000);

  it("killed mid-run over a previous run's outputs: those stay byte-identical", async () => {
    world = await CsvWorld.start({ latencyMs: 0 });
    const w = world;
    const input = writeCsv(w.file("leads.csv"), leadRows(20));
    const first = await w.run(input);
    expect(first.code, first.stderr).toBe(0);
    const before = new Map(FINALS.map((name) => [name, readFileSync(w.out(name))]));
    expect(readTable(w.out("leads.enriched.csv")).rows).toHaveLength(20);

    // The second run asks again for everyone; the sandbox is now slow, so it dies with batches in flight.
    const slow = await CsvWorld.start({ latencyMs: 5_000 });
    try {
      const env = { ...w.env, FLUENCE_BASE_URL: slow.sandbox.url };
      const child = spawnCli(
        ["enrich", input, ...FAST, "--out-dir", w.outDir, "--refresh", "--batch-size", "5"],
        { env },
      );
      const done = collect(child, { timeoutMs: 90_000 });
      await until(() => (slow.sandbox.stats().requests[BATCH_ROUTE] ?? 0) >= 1, 60_000).finally(() =>
        child.kill("SIGKILL"),
      );
      expect((await done).signal).toBe("SIGKILL");
    } finally {
      await slow.release();
    }

    for (const [name, bytes] of before) expect(readFileSync(w.out(name)).equals(bytes), name).toBe(true);
    expect(strayFiles(w.outDir, FINALS).sort()).toEqual([...LOCKS].sort());
  }, 90_000);

  it("killed while the output is being written: the final path is absent or complete, never partial", async () => {
    world = await CsvWorld.start();
    const w = world;
    // 40,000 rows of one person: one profile to send, then a long write pass to be killed in.
    const rows = [["id", "primeiro_nome", "ultimo_nome", "empresa"]];
    for (let i = 1; i <= 40_000; i++) rows.push([String(i), "Ana", "Souza", "Acme"]);
    const input = writeCsv(w.file("leads.csv"), rows);
    // Once the one answer is in, a temp file in the output dir belongs to the final write pass.
    const writing = () =>
      w.sandbox.stats().profilesSucceeded >= 1 &&
      readdirSyncSafe(w.outDir).some((name) => name.endsWith(".tmp"));

    await killWhen(w, input, [], writing);

    const enriched = w.out("leads.enriched.csv");
    if (existsSync(enriched)) {
      // The rename happened before the kill: then the file must be whole.
      expect(readTable(enriched).rows).toHaveLength(40_000);
    }
    expect(existsSync(w.out("leads.summary.json"))).toBe(false);
    // A temp file from a SIGKILLed process may remain: it is never at a final path and never named like one.
    for (const name of strayFiles(w.outDir, [...FINALS, ...LOCKS]))
      expect(name).toMatch(/^\.leads\.(enriched|errors)\.csv\..+\.tmp$/);
    expect(w.sandbox.stats().profilesReceived).toBe(1);
  }, 120_000);
});

describe("atomic outputs without a kill", () => {
  it("a re-run replaces every output by rename, summary.json included (a reader never sees it half-written)", async () => {
    world = await CsvWorld.start();
    const w = world;
    const input = writeCsv(w.file("leads.csv"), leadRows(3));
    const first = await w.run(input);
    expect(first.code, first.stderr).toBe(0);
    const inodes = new Map(FINALS.map((name) => [name, statSync(w.out(name)).ino]));

    const second = await w.run(input);
    expect(second.code, second.stderr).toBe(0);
    for (const [name, ino] of inodes)
      expect(statSync(w.out(name)).ino, `${name} was rewritten in place`).not.toBe(ino);
    expect(w.sandbox.stats().profilesSucceeded).toBe(3);
  });

  it("an unclosed quote on line 3: exit 2 naming the line, nothing sent, no output and no temp file left", async () => {
    world = await CsvWorld.start();
    const input = world.file("leads.csv");
    copyFileSync(path.join(CSV_FIXTURES, "unclosed-quote.csv"), input);

    const result = await world.run(input);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the record starting on line 3 opens a quote that is never closed/);
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(world.sandbox.stats().requests[BATCH_ROUTE] ?? 0).toBe(0);
    // The process exited on its own: it had every chance to remove the temp files it created.
    expect(strayFiles(world.outDir, [])).toEqual([]);
  });
});

function readdirSyncSafe(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
