import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { leadRows, readJson, runCli, writeCsv } from "../helpers/cli-harness.js";
import { batchRequests, csvObjects, enrich, type StoreWorld, storeWorld } from "./store-kit.js";

let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

describe("what the store keeps when things fail", () => {
  it("keeps no retryable failure as an outcome: the next run sends exactly those people", async () => {
    world = await storeWorld({ faults: { error500: 0.5 }, seed: 7 });
    const rows = leadRows(30);
    const input = writeCsv(world.file("people.csv"), rows);
    const flaky = await enrich(world, input, ["--retries", "0", "--batch-size", "5"]);
    expect(flaky.code, flaky.stderr).toBe(5);
    const faulty = world.sandbox.stats();
    expect(faulty.faultsInjected.error500).toBeGreaterThan(0);

    const failed = csvObjects(world.file("people.errors.csv"));
    const enriched = csvObjects(world.file("people.enriched.csv"));
    expect(failed.length).toBe(faulty.faultsInjected.error500 * 5);
    expect(failed.every((r) => r.fluence_retryable === "true")).toBe(true);
    expect(enriched.length).toBe(faulty.creditsDebited);

    const between = await runCli(["store", "stats", "--json"], { env: world.env, cwd: world.dir });
    expect(JSON.parse(between.stdout)).toMatchObject({ outcomes: enriched.length, errors: 0, inflight: 0 });

    // The same store against a healthy API: only the failed people are asked for.
    const healthy = await startSandbox({ port: 0 });
    try {
      const rerun = await enrich(world, input, [], { FLUENCE_BASE_URL: healthy.url });
      expect(rerun.code, rerun.stderr).toBe(0);
      const stats = healthy.stats();
      expect(stats.profilesReceived).toBe(failed.length);
      expect(stats.creditsDebited).toBe(failed.length);
    } finally {
      await healthy.close();
    }
    expect(readJson(world.file("people.summary.json"))).toMatchObject({
      rows: 30,
      enriched: 30,
      from_store: enriched.length,
      exit_code: 0,
    });
    expect(csvObjects(world.file("people.enriched.csv")).map((r) => r.email)).toEqual(
      rows.slice(1).map((r) => r[3]),
    );
  });
});

describe("a store that cannot be used", () => {
  async function refused(w: StoreWorld, storeFile: string, pattern: RegExp): Promise<void> {
    const input = writeCsv(w.file("people.csv"), leadRows(5));
    const result = await enrich(w, input, ["--store", storeFile]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).toMatch(/--no-store/);
    expect(result.stderr).not.toMatch(/internal error/i);
    expect(batchRequests(w.sandbox.stats())).toBe(0);
    expect(w.sandbox.stats().creditsDebited).toBe(0);
    expect(existsSync(w.file("people.enriched.csv"))).toBe(false);
  }

  it("refuses a file that is not a SQLite database, before any request, and leaves it untouched", async () => {
    world = await storeWorld();
    const junk = world.file("junk.sqlite");
    writeFileSync(junk, "this is not a database\n".repeat(200));
    await refused(world, junk, /not a SQLite database/);
    expect(readFileSync(junk, "utf8")).toBe("this is not a database\n".repeat(200));

    const stats = await runCli(["store", "stats", "--store", junk], { env: world.env, cwd: world.dir });
    expect(stats.code).toBe(2);
    expect(stats.stderr).toMatch(/not a SQLite database/);
  });

  it("refuses a store written by a newer fluence", async () => {
    world = await storeWorld();
    const newer = world.file("newer.sqlite");
    const db = new Database(newer);
    db.pragma("user_version = 999");
    db.close();
    await refused(world, newer, /newer fluence/);
  });

  it("refuses a store path that is a directory", async () => {
    world = await storeWorld();
    const dir = world.file("a-directory.sqlite");
    mkdirSync(dir);
    await refused(world, dir, /store/);
  });
});
