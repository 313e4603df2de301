import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { SandboxStats } from "../../src/sandbox/index.js";
import { FIXTURES, leadRows, readJson, runCli, writeCsv } from "../helpers/cli-harness.js";
import {
  backdate,
  batchRequests,
  bytes,
  csvObjects,
  enrich,
  FAST,
  leadFingerprints,
  type StoreWorld,
  sqliteFilesIn,
  storeWorld,
} from "./store-kit.js";

const HOUR = 3_600_000;

// fixtures/leads.csv: 40 rows, 1 invalid, 2 duplicates, 37 distinct people of whom 34 succeed and 3 are
// terminal per-profile errors (fantasma, homonimos, sigilosa).
const LEADS = { rows: 40, invalid: 1, duplicates: 2, distinct: 37, ok: 34, terminal: 3 };

let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

function copyLeads(w: StoreWorld): string {
  const file = w.file("leads.csv");
  copyFileSync(path.join(FIXTURES, "leads.csv"), file);
  return file;
}

describe("re-running a file against the store", () => {
  it("makes zero batch requests, charges nothing and rebuilds byte-identical outputs", async () => {
    world = await storeWorld();
    const input = copyLeads(world);
    const first = await enrich(world, input);
    expect(first.code, first.stderr).toBe(0);
    const s1 = world.sandbox.stats();
    expect(s1.profilesReceived).toBe(LEADS.distinct);
    expect(s1.creditsDebited).toBe(LEADS.ok);
    const enriched1 = bytes(world.file("leads.enriched.csv"));
    const errors1 = bytes(world.file("leads.errors.csv"));
    const balance = world.sandbox.balance(world.sandbox.keys.enterprise);

    world.sandbox.resetStats();
    const second = await enrich(world, input);
    expect(second.code, second.stderr).toBe(0);
    const s2 = world.sandbox.stats();
    expect(batchRequests(s2)).toBe(0);
    expect(s2.profilesReceived).toBe(0);
    expect(s2.creditsDebited).toBe(0);
    expect(world.sandbox.balance(world.sandbox.keys.enterprise)).toBe(balance);

    expect(bytes(world.file("leads.enriched.csv")).equals(enriched1)).toBe(true);
    expect(bytes(world.file("leads.errors.csv")).equals(errors1)).toBe(true);

    const summary = readJson(world.file("leads.summary.json"));
    expect(summary).toMatchObject({
      rows: LEADS.rows,
      enriched: LEADS.ok + LEADS.duplicates,
      invalid: LEADS.invalid,
      duplicates: LEADS.duplicates,
      from_store: LEADS.rows - LEADS.invalid,
      batches: 0,
      profiles_sent: 0,
      credits_used: 0,
      exit_code: 0,
      store: world.storeFile,
    });
    expect(summary.credits_saved).toBeGreaterThan(0);
    expect(summary.credits_saved).toBeLessThanOrEqual(LEADS.ok);
  });

  it("creates the store file owner-only (0600) even under a permissive umask", async () => {
    world = await storeWorld();
    const storeFile = path.join(world.dir, "nested", "deeper", "store.sqlite");
    const input = writeCsv(world.file("people.csv"), leadRows(12));
    const previous = process.umask(0);
    try {
      const result = await enrich(world, input, ["--store", storeFile]);
      expect(result.code, result.stderr).toBe(0);
    } finally {
      process.umask(previous);
    }
    expect(statSync(storeFile).mode & 0o777).toBe(0o600);
    for (const side of [`${storeFile}-wal`, `${storeFile}-shm`]) {
      if (existsSync(side)) expect(statSync(side).mode & 0o777).toBe(0o600);
    }
    expect(existsSync(world.storeFile)).toBe(false);
    expect(world.sandbox.stats().creditsDebited).toBe(12);
  });

  it("--no-store sends everything every time, ignores an existing store and leaves no store file", async () => {
    world = await storeWorld();
    const input = copyLeads(world);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      world.sandbox.resetStats();
      const result = await enrich(world, input, ["--no-store"]);
      expect(result.code, result.stderr).toBe(0);
      const stats = world.sandbox.stats();
      expect(stats.profilesReceived).toBe(LEADS.distinct);
      expect(stats.creditsDebited).toBe(LEADS.ok);
      const summary = readJson(world.file("leads.summary.json"));
      expect(summary).toMatchObject({
        from_store: 0,
        credits_saved: 0,
        profiles_sent: LEADS.distinct,
        store: null,
      });
      runs.push(bytes(world.file("leads.enriched.csv")));
    }
    expect(runs[1]!.equals(runs[0]!)).toBe(true);
    expect(existsSync(world.storeFile)).toBe(false);
    expect(sqliteFilesIn(world.dir)).toEqual([]);

    // With a store present, --no-store must neither read nor write it.
    const stored = await enrich(world, input);
    expect(stored.code, stored.stderr).toBe(0);
    const before = await storeStatsJson(world);
    world.sandbox.resetStats();
    const bypass = await enrich(world, input, ["--no-store"]);
    expect(bypass.code, bypass.stderr).toBe(0);
    expect(world.sandbox.stats().profilesReceived).toBe(LEADS.distinct);
    expect(readJson(world.file("leads.summary.json")).from_store).toBe(0);
    const after = await storeStatsJson(world);
    expect(after).toMatchObject({ outcomes: before.outcomes, newest: before.newest, oldest: before.oldest });
  });

  it("--refresh re-sends everyone, refreshes the store, and the next plain run is free again", async () => {
    world = await storeWorld();
    const input = copyLeads(world);
    expect((await enrich(world, input)).code).toBe(0);
    const enriched1 = bytes(world.file("leads.enriched.csv"));
    const before = await storeStatsJson(world);

    world.sandbox.resetStats();
    const refresh = await enrich(world, input, ["--refresh"]);
    expect(refresh.code, refresh.stderr).toBe(0);
    const stats = world.sandbox.stats();
    expect(stats.profilesReceived).toBe(LEADS.distinct);
    expect(stats.creditsDebited).toBe(LEADS.ok);
    expect(readJson(world.file("leads.summary.json"))).toMatchObject({
      from_store: 0,
      credits_saved: 0,
      profiles_sent: LEADS.distinct,
    });
    expect(bytes(world.file("leads.enriched.csv")).equals(enriched1)).toBe(true);
    const after = await storeStatsJson(world);
    expect(after.outcomes).toBe(before.outcomes);
    expect(after.oldest as number).toBeGreaterThan(before.newest as number);

    world.sandbox.resetStats();
    expect((await enrich(world, input)).code).toBe(0);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
  });

  it("--max-age re-sends exactly the outcomes older than the age, and 0 re-sends everyone", async () => {
    world = await storeWorld();
    const rows = leadRows(30);
    const input = writeCsv(world.file("people.csv"), rows);
    expect((await enrich(world, input)).code).toBe(0);
    expect(world.sandbox.stats().profilesReceived).toBe(30);

    // People 0..9 were fetched "3 hours ago"; the other 20 just now.
    const old = leadFingerprints(rows).slice(0, 10);
    expect(backdate(world.storeFile, old, 3 * HOUR)).toBe(10);

    world.sandbox.resetStats();
    const lenient = await enrich(world, input, ["--max-age", "30d"]);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(readJson(world.file("people.summary.json")).from_store).toBe(30);

    world.sandbox.resetStats();
    const strict = await enrich(world, input, ["--max-age", "2h", "--batch-size", "10"]);
    expect(strict.code, strict.stderr).toBe(0);
    const stats = world.sandbox.stats();
    expect(stats.batchSizes).toEqual([10]);
    expect(stats.creditsDebited).toBe(10);
    expect(readJson(world.file("people.summary.json"))).toMatchObject({
      from_store: 20,
      profiles_sent: 10,
      enriched: 30,
    });
    const emails = csvObjects(world.file("people.enriched.csv")).map((r) => r.email);
    expect(emails).toEqual(rows.slice(1).map((r) => r[3]));

    // The re-sent ten are fresh again: the same strict age now finds everyone.
    world.sandbox.resetStats();
    expect((await enrich(world, input, ["--max-age", "2h"])).code).toBe(0);
    expect(batchRequests(world.sandbox.stats())).toBe(0);

    world.sandbox.resetStats();
    const zero = await enrich(world, input, ["--max-age", "0"]);
    expect(zero.code, zero.stderr).toBe(0);
    expect(world.sandbox.stats().profilesReceived).toBe(30);
    expect(readJson(world.file("people.summary.json")).from_store).toBe(0);
  });

  it("recognises a person by normalized input: case, spacing and NFC/NFD do not cost a new request", async () => {
    world = await storeWorld();
    const header = ["primeiro_nome", "ultimo_nome", "empresa", "contexto_adicional", "email"];
    const first = writeCsv(world.file("first.csv"), [
      header,
      ["José", "Conceição", "Açúcar Ltda", "", "a@x.com.br"],
      ["Ana", "Souza", "Natura", "Diretora", "b@x.com.br"],
      ["Bruno", "Lima", "Vale", "", "c@x.com.br"],
    ]);
    expect((await enrich(world, first)).code).toBe(0);
    expect(world.sandbox.stats().profilesReceived).toBe(3);

    const second = writeCsv(world.file("second.csv"), [
      header,
      ["  JOSÉ ".normalize("NFD"), "conceição".normalize("NFD"), "AÇÚCAR   LTDA", "", "a2@x.com.br"],
      ["ana", "SOUZA", " natura ", "  diretora ", "b2@x.com.br"],
      ["Bruno", "Lima", "Vale", "São Paulo", "c2@x.com.br"], // new context: another lookup
      ["Jose", "Conceicao", "Acucar Ltda", "", "d2@x.com.br"], // accents are kept: another person
    ]);
    world.sandbox.resetStats();
    const result = await enrich(world, second);
    expect(result.code, result.stderr).toBe(0);
    const stats = world.sandbox.stats();
    expect(stats.batchSizes).toEqual([2]);
    expect(stats.creditsDebited).toBe(2);
    expect(readJson(world.file("second.summary.json"))).toMatchObject({
      rows: 4,
      from_store: 2,
      profiles_sent: 2,
      enriched: 4,
    });
    const enriched = csvObjects(world.file("second.enriched.csv"));
    expect(enriched.map((r) => r.email)).toEqual([
      "a2@x.com.br",
      "b2@x.com.br",
      "c2@x.com.br",
      "d2@x.com.br",
    ]);
    // A stored row carries the analysis fetched for the first file's spelling of the same person.
    const firstAnalise = csvObjects(world.file("first.enriched.csv")).map((r) => r.fluence_analise);
    expect(enriched.slice(0, 2).map((r) => r.fluence_analise)).toEqual(firstAnalise.slice(0, 2));
  });

  it("a re-run from stdin is free too", async () => {
    world = await storeWorld();
    const text = leadRows(15)
      .map((r) => r.join(","))
      .join("\n");
    const runs: Array<{ summary: { outputs: { enriched: string } }; stats: SandboxStats }> = [];
    for (const dir of ["one", "two"]) {
      mkdirSync(world.file(dir));
      world.sandbox.resetStats();
      const r = await runCli(["enrich", "-", ...FAST, "--json", "--out-dir", world.file(dir)], {
        env: world.env,
        cwd: world.dir,
        stdin: `${text}\n`,
      });
      expect(r.code, r.stderr).toBe(0);
      runs.push({ summary: JSON.parse(r.stdout), stats: world.sandbox.stats() });
    }
    expect(runs[0]!.stats.profilesReceived).toBe(15);
    expect(batchRequests(runs[1]!.stats)).toBe(0);
    expect(runs[1]!.summary).toMatchObject({ rows: 15, from_store: 15, enriched: 15, credits_used: 0 });
    const [one, two] = runs.map((run) => bytes(run.summary.outputs.enriched));
    expect(two!.equals(one!)).toBe(true);
  });

  it("rejects a malformed --max-age as a usage error before any request", async () => {
    world = await storeWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(3));
    const result = await enrich(world, input, ["--max-age", "yesterday"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/yesterday/);
    expect(world.sandbox.stats().requests).toEqual({});
    expect(existsSync(world.file("people.enriched.csv"))).toBe(false);
  });
});

async function storeStatsJson(w: StoreWorld): Promise<Record<string, unknown>> {
  const result = await runCli(["store", "stats", "--json"], { env: w.env, cwd: w.dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
