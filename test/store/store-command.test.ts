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
import { journalDir } from "../../src/store/journal.js";
import { UserError } from "../../src/user-error.js";
import { postgresServer } from "../helpers/postgres-test.js";
import { type BackendKit, describeBackends } from "./backends.js";
import { makeTempDir } from "./temp-dir.js";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function seed(kit: BackendKit, fetchedAt: number[]): Promise<string> {
  let location = "";
  for (const [i, at] of fetchedAt.entries()) {
    const store = await kit.open({ now: () => at });
    location = store.location;
    await store.commitBatch(
      "r",
      "basic",
      [{ fp: `fp-${i}`, kind: i % 2 ? "error" : "ok", analise: "{}", code: "X" }],
      [],
    );
    await store.close();
  }
  return location;
}

async function run(...args: string[]): Promise<string> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const program = new Command().exitOverride();
  registerStoreCommand(program);
  try {
    await program.parseAsync(["store", ...args], { from: "user" });
  } finally {
    vi.mocked(process.stdout.write).mockRestore();
  }
  return out;
}

describeBackends("store command", (kit) => {
  const secret = () => postgresServer?.password ?? "no-password-in-sqlite";

  it("storeStatsReport reads the store and names it safely", async () => {
    const location = await seed(kit, [Date.UTC(2024, 0, 1), Date.UTC(2024, 5, 1)]);
    const stats = await storeStatsReport(kit.spec);
    expect(stats).toMatchObject({ path: location, backend: kit.name, outcomes: 2, ok: 1, errors: 1 });
    expect(JSON.stringify(stats)).not.toContain(secret());
  });

  it("storePrune deletes by age and rejects bad ages", async () => {
    const location = await seed(kit, [Date.now() - 40 * 86_400_000, Date.now()]);
    expect(await storePrune(kit.spec, "30d")).toEqual({ deleted: 1, location });
    await expect(storePrune(kit.spec, "30 days")).rejects.toThrow(UserError);
  });

  it("stats prints text or JSON; neither shows a password", async () => {
    const location = await seed(kit, [Date.UTC(2024, 0, 1)]);
    const text = await run("stats", "--store", kit.spec);
    expect(text).toContain(`Store:     ${location}\n`);
    expect(text).toContain("Outcomes:  1 (1 ok, 0 errors)");
    expect(text).toMatch(/Size:\s+[\d.]+ (KB|MB)/);
    const json = await run("stats", "--store", kit.spec, "--json");
    expect(JSON.parse(json)).toMatchObject({ outcomes: 1, ok: 1, backend: kit.name, path: location });
    expect(text + json).not.toContain(secret());
  });

  it("prune reports what it deleted, from where", async () => {
    const location = await seed(kit, [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)]);
    const text = await run("prune", "--older-than", "1d", "--store", kit.spec);
    expect(text).toBe(`Deleted 2 outcomes from ${location}.\n`);
    expect(JSON.parse(await run("prune", "--older-than", "0", "--store", kit.spec, "--json"))).toEqual({
      deleted: 0,
    });
  });

  it("stats and prune default to FLUENCE_STORE", async () => {
    const location = await seed(kit, [Date.UTC(2024, 0, 1)]);
    vi.stubEnv("FLUENCE_STORE", kit.spec);
    expect(await run("stats")).toContain(`Store:     ${location}\n`);
    expect(await run("prune", "--older-than", "1d")).toBe(`Deleted 1 outcome from ${location}.\n`);
  });
});

describe("store command on a SQLite file that does not exist yet", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, "store.sqlite");
  });
  afterEach(() => temp.cleanup());

  it("storeStatsReport is all zeros and creates nothing", async () => {
    expect(await storeStatsReport(file)).toEqual({
      path: file,
      backend: "sqlite",
      sizeBytes: 0,
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
      activeRuns: [],
      journal: { files: 0, outcomes: 0, dir: journalDir(file) },
    });
    expect(existsSync(file)).toBe(false);
  });

  it("storePrune deletes nothing and creates nothing", async () => {
    expect(await storePrune(file, "0")).toEqual({ deleted: 0, location: file });
    expect(existsSync(file)).toBe(false);
  });

  it("stats prints the sentence for a missing store, or zeros with --json", async () => {
    expect(await run("stats", "--store", file)).toBe(
      `No store at ${file} yet; it is created by the first enrich run.\n`,
    );
    expect(JSON.parse(await run("stats", "--store", file, "--json"))).toMatchObject({
      outcomes: 0,
      sizeBytes: 0,
    });
  });
});

describe("formatStoreStats", () => {
  it("prints counts, size, ISO dates and claims", () => {
    const text = formatStoreStats({
      path: "postgres://fluence@db.internal:5432/crm",
      backend: "postgres",
      sizeBytes: 3 * 1024 * 1024 + 512 * 1024,
      outcomes: 12_345,
      ok: 12_000,
      errors: 345,
      oldest: Date.UTC(2024, 0, 2, 3, 4, 5),
      newest: Date.UTC(2024, 6, 1),
      inflight: 7,
      runs: 2,
      activeRuns: [],
    });
    expect(text).toBe(
      [
        "Store:     postgres://fluence@db.internal:5432/crm",
        "Size:      3.5 MB",
        "Outcomes:  12,345 (12,000 ok, 345 errors)",
        "Oldest:    2024-01-02T03:04:05.000Z",
        "Newest:    2024-07-01T00:00:00.000Z",
        "In flight: 7 (runs recorded: 2)",
        "Active:    no run",
      ].join("\n"),
    );
    const idle = {
      path: "/s",
      backend: "sqlite" as const,
      sizeBytes: 2048,
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
      activeRuns: [],
    };
    const empty = formatStoreStats(idle);
    expect(empty).toContain("Size:      2.0 KB");
    expect(empty).toContain("Oldest:    -");
    expect(empty).not.toContain("Journal");
    const busy = formatStoreStats({
      ...idle,
      runs: 2,
      activeRuns: [
        { runId: "r", host: "ci-7", pid: 42, startedAt: Date.UTC(2026, 11, 6), keyId: "0123456789abcdef" },
      ],
      journal: { files: 1, outcomes: 30, dir: "/cache/fluence/journal/x" },
    });
    expect(busy).toContain(
      "Active:    1 run(s)\n  ci-7 pid 42, since 2026-12-06T00:00:00.000Z, key 01234567",
    );
    expect(busy).toContain(
      "Journal:   30 paid outcome(s) a run on this machine could not store (/cache/fluence/journal/x); the next run on this store stores them first",
    );
  });
});
