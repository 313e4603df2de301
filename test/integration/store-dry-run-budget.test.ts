import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { leadRows, readJson, writeCsv } from "../helpers/cli-harness.js";
import {
  batchRequests,
  bytes,
  csvObjects,
  enrich,
  type StoreWorld,
  sqliteFilesIn,
  storeWorld,
} from "./store-kit.js";

let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

/** 25 distinct people, then 3 duplicate rows and 2 invalid rows: 30 rows in all. */
function mixedRows(): string[][] {
  const rows = leadRows(25);
  rows.push(rows[1]!.slice(), rows[2]!.slice(), rows[3]!.slice());
  rows.push(["", "SemNome", "Empresa X", "x@example.com.br"], ["Sem", "", "Empresa Y", "y@example.com.br"]);
  return rows;
}

function outputsOf(w: StoreWorld, name: string): boolean[] {
  return ["enriched.csv", "errors.csv", "summary.json"].map((ext) => existsSync(w.file(`${name}.${ext}`)));
}

describe("--dry-run", () => {
  it("plans from the store and /creditos only: no batch, no charge, no output files (--json)", async () => {
    world = await storeWorld();
    // Enrich the first 10 people so the store already knows them.
    const known = writeCsv(world.file("known.csv"), leadRows(10));
    expect((await enrich(world, known)).code).toBe(0);
    const balance = world.sandbox.balance(world.sandbox.keys.enterprise);
    expect(balance).toBe(10_000 - 10);

    const input = writeCsv(world.file("people.csv"), mixedRows());
    world.sandbox.resetStats();
    const result = await enrich(world, input, ["--dry-run", "--json", "--batch-size", "4"]);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(plan).toMatchObject({
      dry_run: true,
      rows: 30,
      invalid: 2,
      duplicates: 3,
      from_store: 13, // 10 people known, 3 of them repeated
      profiles_to_send: 15,
      batches: 4,
      max_credits_cost: 15,
      credits_remaining: balance,
      exit_code: 0,
    });
    expect(typeof plan.plan).toBe("string");
    expect(plan.estimated_ms).toBeGreaterThan(0);

    const stats = world.sandbox.stats();
    expect(batchRequests(stats)).toBe(0);
    expect(stats.requests["GET /creditos"]).toBeGreaterThanOrEqual(1);
    expect(stats.creditsDebited).toBe(0);
    expect(world.sandbox.balance(world.sandbox.keys.enterprise)).toBe(balance);
    expect(outputsOf(world, "people")).toEqual([false, false, false]);

    // Outputs of an earlier real run are left exactly as they were.
    const earlier = ["enriched.csv", "errors.csv", "summary.json"].map((ext) =>
      bytes(world!.file(`known.${ext}`)),
    );
    const again = await enrich(world, known, ["--dry-run"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/To send: 0 people in 0 batches/);
    const later = ["enriched.csv", "errors.csv", "summary.json"].map((ext) =>
      bytes(world!.file(`known.${ext}`)),
    );
    expect(later.map((b, i) => b.equals(earlier[i]!))).toEqual([true, true, true]);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
  });

  it("prints the plan as text: rows, invalid, duplicates, from store, to send, batches, credits, balance, time", async () => {
    world = await storeWorld();
    const input = writeCsv(world.file("people.csv"), mixedRows());
    world.sandbox.setBalance(world.sandbox.keys.enterprise, 1234);
    const result = await enrich(world, input, ["--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text).toMatch(/Rows: 30 \(2 invalid, 3 duplicates, 0 from the store\)/);
    expect(text).toMatch(/To send: 25 people in 3 batches, costing at most 25 credits/);
    expect(text).toMatch(/Balance: 1,234/);
    expect(text).toMatch(/Estimated time: about \S+/);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(world.sandbox.stats().creditsDebited).toBe(0);
    expect(outputsOf(world, "people")).toEqual([false, false, false]);
  });

  it("estimates longer at a slower pace, caps by --max-credits, and exits 4 when the balance is short", async () => {
    world = await storeWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(50));
    const dry = async (extra: string[]) => {
      const r = await enrich(world!, input, ["--dry-run", "--json", ...extra]);
      return { code: r.code, plan: JSON.parse(r.stdout) as { batches: number; estimated_ms: number } };
    };
    const fast = await dry(["--batch-size", "5"]);
    const slow = await dry(["--batch-size", "5", "--rate", "6"]);
    expect(fast.plan.batches).toBe(10);
    expect(slow.plan.estimated_ms).toBeGreaterThan(fast.plan.estimated_ms);

    const capped = await dry(["--max-credits", "12", "--batch-size", "5"]);
    expect(capped.plan).toMatchObject({ profiles_to_send: 50, max_credits_cost: 12, batches: 3 });

    world.sandbox.setBalance(world.sandbox.keys.enterprise, 20);
    const short = await dry([]);
    expect(short.plan).toMatchObject({ credits_remaining: 20, max_credits_cost: 50, exit_code: 4 });
    expect(short.code).toBe(4);

    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(world.sandbox.stats().creditsDebited).toBe(0);
    expect(outputsOf(world, "people")).toEqual([false, false, false]);
  });

  it("honours --refresh and --no-store, and --no-store leaves no store file behind", async () => {
    world = await storeWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(8));
    expect((await enrich(world, input)).code).toBe(0);
    const planned = async (extra: string[]) =>
      JSON.parse((await enrich(world!, input, ["--dry-run", "--json", ...extra])).stdout);
    expect(await planned([])).toMatchObject({ from_store: 8, profiles_to_send: 0, max_credits_cost: 0 });
    expect(await planned(["--refresh"])).toMatchObject({
      from_store: 0,
      profiles_to_send: 8,
      max_credits_cost: 8,
    });
    const other = world.file("other.sqlite");
    expect(await planned(["--no-store"])).toMatchObject({ from_store: 0, profiles_to_send: 8 });
    expect(await planned(["--store", other])).toMatchObject({ from_store: 0, profiles_to_send: 8 });
    expect(sqliteFilesIn(world.file("tmp"))).toEqual([]);
    expect(world.sandbox.stats().profilesReceived).toBe(8);
  });
});

describe("--max-credits", () => {
  it("sends at most 15 of 40 people, parks the rest as retryable BUDGET_EXCEEDED and exits 4", async () => {
    world = await storeWorld();
    const rows = leadRows(40);
    const input = writeCsv(world.file("people.csv"), rows);
    const result = await enrich(world, input, ["--max-credits", "15"]);
    expect(result.code, result.stderr).toBe(4);

    const stats = world.sandbox.stats();
    expect(stats.profilesReceived).toBeLessThanOrEqual(15);
    expect(stats.profilesReceived).toBeGreaterThan(0);
    expect(stats.creditsDebited).toBeLessThanOrEqual(15);
    expect(Math.max(...stats.batchSizes)).toBeLessThanOrEqual(10);

    const enriched = csvObjects(world.file("people.enriched.csv"));
    const errors = csvObjects(world.file("people.errors.csv"));
    expect(enriched).toHaveLength(stats.profilesSucceeded);
    expect(enriched.length + errors.length).toBe(40);
    expect(
      errors.every((r) => r.fluence_error_code === "BUDGET_EXCEEDED" && r.fluence_retryable === "true"),
    ).toBe(true);
    const emails = new Set([...enriched, ...errors].map((r) => r.email));
    expect(emails.size).toBe(40);

    const summary = readJson(world.file("people.summary.json"));
    expect(summary).toMatchObject({
      rows: 40,
      enriched: enriched.length,
      stopped: "budget",
      exit_code: 4,
      retryable_failures: errors.length,
      errors_by_code: { BUDGET_EXCEEDED: errors.length },
      credits_used: stats.creditsDebited,
    });

    // BUDGET_EXCEEDED is not an outcome, and the budget applies to sends only: stored people stay free.
    world.sandbox.resetStats();
    const more = await enrich(world, input, ["--max-credits", "15"]);
    expect(more.code, more.stderr).toBe(4);
    const moreStats = world.sandbox.stats();
    expect(moreStats.profilesReceived).toBeLessThanOrEqual(15);
    expect(moreStats.profilesReceived).toBeGreaterThan(0);
    const stored = enriched.length + moreStats.profilesSucceeded;
    expect(readJson(world.file("people.summary.json"))).toMatchObject({
      from_store: enriched.length,
      enriched: stored,
      errors_by_code: { BUDGET_EXCEEDED: 40 - stored },
    });

    world.sandbox.resetStats();
    const rest = await enrich(world, input);
    expect(rest.code, rest.stderr).toBe(0);
    expect(world.sandbox.stats().profilesReceived).toBe(40 - stored);
    expect(readJson(world.file("people.summary.json"))).toMatchObject({ from_store: stored, enriched: 40 });
    expect(csvObjects(world.file("people.enriched.csv")).map((r) => r.email)).toEqual(
      rows.slice(1).map((r) => r[3]),
    );
  });

  it("--max-credits 0 sends nothing and parks every row", async () => {
    world = await storeWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(12));
    const result = await enrich(world, input, ["--max-credits", "0"]);
    expect(result.code, result.stderr).toBe(4);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(world.sandbox.stats().creditsDebited).toBe(0);
    const errors = csvObjects(world.file("people.errors.csv"));
    expect(errors).toHaveLength(12);
    expect(new Set(errors.map((r) => r.fluence_error_code))).toEqual(new Set(["BUDGET_EXCEEDED"]));
    expect(readJson(world.file("people.summary.json"))).toMatchObject({
      enriched: 0,
      stopped: "budget",
      exit_code: 4,
    });
  });
});
