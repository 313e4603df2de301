import { copyFileSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FIXTURES, leadRows, readJson, runCli, writeCsv } from "../helpers/cli-harness.js";
import {
  backdate,
  batchRequests,
  enrich,
  leadFingerprints,
  type StoreWorld,
  storeWorld,
} from "./store-kit.js";

const DAY = 86_400_000;

let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

function store(w: StoreWorld, args: string[], env: Record<string, string | undefined> = {}) {
  return runCli(["store", ...args], { env: { ...w.env, ...env }, cwd: w.dir });
}

interface Stats {
  path: string;
  sizeBytes: number;
  outcomes: number;
  ok: number;
  errors: number;
  inflight: number;
  runs: number;
  oldest?: number;
  newest?: number;
}

async function statsJson(w: StoreWorld, args: string[] = []): Promise<Stats> {
  const result = await store(w, ["stats", "--json", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Stats;
}

describe("fluence store stats", () => {
  it("reports an absent store without creating it (text and --json)", async () => {
    world = await storeWorld();
    const text = await store(world, ["stats"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`No store at ${world.storeFile}`);
    expect(await statsJson(world)).toMatchObject({
      path: world.storeFile,
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
    });
    expect(existsSync(world.storeFile)).toBe(false);
  });

  it("counts outcomes, ok/errors, dates and size after a run (FLUENCE_STORE and --store agree)", async () => {
    world = await storeWorld();
    const input = world.file("leads.csv");
    copyFileSync(path.join(FIXTURES, "leads.csv"), input);
    const before = Date.now();
    const run = await enrich(world, input);
    expect(run.code, run.stderr).toBe(0);
    const after = Date.now();
    expect(world.sandbox.stats().profilesReceived).toBe(37);

    const viaEnv = await statsJson(world);
    expect(viaEnv).toMatchObject({ path: world.storeFile, outcomes: 37, ok: 34, errors: 3, inflight: 0 });
    expect(viaEnv.oldest).toBeGreaterThanOrEqual(before);
    expect(viaEnv.newest).toBeLessThanOrEqual(after);
    expect(viaEnv.oldest!).toBeLessThanOrEqual(viaEnv.newest!);
    expect(viaEnv.runs).toBeGreaterThanOrEqual(1);
    expect(viaEnv.sizeBytes).toBeGreaterThanOrEqual(statSync(world.storeFile).size);

    const viaFlag = await statsJson(world, ["--store", world.storeFile]);
    expect({ ...viaFlag, sizeBytes: 0 }).toEqual({ ...viaEnv, sizeBytes: 0 });

    const text = await store(world, ["stats"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(world.storeFile);
    expect(text.stdout).toMatch(/Outcomes:\s+37 \(34 ok, 3 errors\)/);
    expect(text.stdout).toMatch(/In flight:\s+0/);
    expect(text.stdout).toContain(new Date(viaEnv.oldest!).toISOString());
    expect(text.stdout).toContain(new Date(viaEnv.newest!).toISOString());
    expect(text.stdout).toMatch(/Size:\s+[\d.]+ (KB|MB)/);
  });
});

describe("fluence store prune", () => {
  it("--older-than 30d keeps fresh outcomes; 0s deletes them all and the next run pays again", async () => {
    world = await storeWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(20));
    expect((await enrich(world, input)).code).toBe(0);

    const keep = await store(world, ["prune", "--older-than", "30d", "--json"]);
    expect(keep.code, keep.stderr).toBe(0);
    expect(JSON.parse(keep.stdout)).toEqual({ deleted: 0 });
    expect((await statsJson(world)).outcomes).toBe(20);
    world.sandbox.resetStats();
    expect((await enrich(world, input)).code).toBe(0);
    expect(batchRequests(world.sandbox.stats())).toBe(0);

    // Outcomes are stamped in ms: make sure "now" is strictly later than every stamp.
    backdate(world.storeFile, "all", 1_000);
    const all = await store(world, ["prune", "--older-than", "0s"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/Deleted 20 outcomes from /);
    expect(await statsJson(world)).toMatchObject({ outcomes: 0, ok: 0, errors: 0 });

    world.sandbox.resetStats();
    const again = await enrich(world, input);
    expect(again.code, again.stderr).toBe(0);
    expect(world.sandbox.stats().profilesReceived).toBe(20);
    expect(world.sandbox.stats().creditsDebited).toBe(20);
    expect(readJson(world.file("people.summary.json")).from_store).toBe(0);
  });

  it("deletes exactly the outcomes older than the age; enrich then re-sends only those", async () => {
    world = await storeWorld();
    const rows = leadRows(20);
    const input = writeCsv(world.file("people.csv"), rows);
    expect((await enrich(world, input)).code).toBe(0);
    expect(backdate(world.storeFile, leadFingerprints(rows).slice(5, 12), 40 * DAY)).toBe(7);

    const pruned = await store(world, ["prune", "--older-than", "30d", "--json"]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({ deleted: 7 });
    expect((await statsJson(world)).outcomes).toBe(13);

    world.sandbox.resetStats();
    const run = await enrich(world, input, ["--batch-size", "10"]);
    expect(run.code, run.stderr).toBe(0);
    expect(world.sandbox.stats().batchSizes).toEqual([7]);
    expect(readJson(world.file("people.summary.json"))).toMatchObject({
      from_store: 13,
      profiles_sent: 7,
      enriched: 20,
    });
  });

  it("on a missing store deletes nothing and creates nothing; a bad age is a usage error", async () => {
    world = await storeWorld();
    const none = await store(world, ["prune", "--older-than", "1d", "--json"]);
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual({ deleted: 0 });
    expect(existsSync(world.storeFile)).toBe(false);

    const bad = await store(world, ["prune", "--older-than", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/soon/);

    const missing = await store(world, ["prune"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--older-than/);
  });
});
