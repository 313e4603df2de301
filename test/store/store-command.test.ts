import { existsSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  formatStoreStats,
  registerStoreCommand,
  storePrune,
  storeStatsReport,
} from "../../src/cli/store-command.js";
import { OutcomeStore } from "../../src/store/index.js";
import { UserError } from "../../src/user-error.js";
import { makeTempDir } from "./temp-dir.js";

const EP = "crm_basico_batch";
let temp: ReturnType<typeof makeTempDir>;
let file: string;

beforeEach(() => {
  temp = makeTempDir();
  file = path.join(temp.dir, "store.sqlite");
});
afterEach(() => {
  vi.restoreAllMocks();
  temp.cleanup();
});

function seed(fetchedAt: number[]): void {
  fetchedAt.forEach((at, i) => {
    const store = OutcomeStore.open(file, { now: () => at });
    store.commitBatch(
      "r",
      EP,
      [{ fp: `fp-${i}`, kind: i % 2 ? "error" : "ok", analise: "{}", code: "X" }],
      [],
    );
    store.close();
  });
}

async function run(...args: string[]): Promise<string> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const program = new Command().exitOverride();
  registerStoreCommand(program);
  await program.parseAsync(["store", ...args], { from: "user" });
  vi.mocked(process.stdout.write).mockRestore();
  return out;
}

describe("store command functions", () => {
  it("storeStatsReport reads the store", () => {
    seed([Date.UTC(2024, 0, 1), Date.UTC(2024, 5, 1)]);
    expect(storeStatsReport(file)).toMatchObject({ path: file, outcomes: 2, ok: 1, errors: 1 });
  });

  it("storeStatsReport on a missing store is all zeros and creates nothing", () => {
    expect(storeStatsReport(file)).toEqual({
      path: file,
      sizeBytes: 0,
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
    });
    expect(existsSync(file)).toBe(false);
  });

  it("storePrune deletes by age, rejects bad ages, and leaves a missing store alone", () => {
    seed([Date.now() - 40 * 86_400_000, Date.now()]);
    expect(storePrune(file, "30d")).toEqual({ deleted: 1 });
    expect(() => storePrune(file, "30 days")).toThrow(UserError);
    const missing = path.join(temp.dir, "none.sqlite");
    expect(storePrune(missing, "0")).toEqual({ deleted: 0 });
    expect(existsSync(missing)).toBe(false);
  });

  it("formatStoreStats prints counts, size, ISO dates and claims", () => {
    const text = formatStoreStats({
      path: "/s.sqlite",
      sizeBytes: 3 * 1024 * 1024 + 512 * 1024,
      outcomes: 12_345,
      ok: 12_000,
      errors: 345,
      oldest: Date.UTC(2024, 0, 2, 3, 4, 5),
      newest: Date.UTC(2024, 6, 1),
      inflight: 7,
      runs: 2,
    });
    expect(text).toBe(
      [
        "Store:     /s.sqlite",
        "Size:      3.5 MB",
        "Outcomes:  12,345 (12,000 ok, 345 errors)",
        "Oldest:    2024-01-02T03:04:05.000Z",
        "Newest:    2024-07-01T00:00:00.000Z",
        "In flight: 7 (runs recorded: 2)",
      ].join("\n"),
    );
    const empty = formatStoreStats({
      path: "/s",
      sizeBytes: 2048,
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
    });
    expect(empty).toContain("Size:      2.0 KB");
    expect(empty).toContain("Oldest:    -");
  });
});

describe("fluence store (commander)", () => {
  it("stats prints the sentence for a missing store, or zeros with --json", async () => {
    expect(await run("stats", "--store", file)).toBe(
      `No store at ${file} yet; it is created by the first enrich run.\n`,
    );
    expect(JSON.parse(await run("stats", "--store", file, "--json"))).toMatchObject({
      outcomes: 0,
      sizeBytes: 0,
    });
  });

  it("stats prints text or JSON for an existing store", async () => {
    seed([Date.UTC(2024, 0, 1)]);
    expect(await run("stats", "--store", file)).toContain("Outcomes:  1 (1 ok, 0 errors)");
    expect(JSON.parse(await run("stats", "--store", file, "--json"))).toMatchObject({ outcomes: 1, ok: 1 });
  });

  it("prune reports what it deleted", async () => {
    seed([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)]);
    expect(await run("prune", "--older-than", "1d", "--store", file)).toBe(
      `Deleted 2 outcomes from ${file}.\n`,
    );
    expect(JSON.parse(await run("prune", "--older-than", "0", "--store", file, "--json"))).toEqual({
      deleted: 0,
    });
  });

  it("stats defaults to FLUENCE_STORE", async () => {
    vi.stubEnv("FLUENCE_STORE", file);
    try {
      expect(await run("stats")).toContain(file);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
