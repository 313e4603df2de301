import { mkdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { collect, leadRows, readJson, runCli, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import {
  batchRequests,
  bytes,
  csvObjects,
  enrich,
  FAST,
  type StoreWorld,
  storeWorld,
  until,
} from "./store-kit.js";

const PEOPLE = 30;

let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

describe("two enrich runs sharing one store at the same time", () => {
  it("both complete, the store stays sound, and no person is charged twice", async () => {
    world = await storeWorld({ latencyMs: 300 });
    const rows = leadRows(PEOPLE);
    // 3 duplicate rows on top: both runs must also agree on them.
    rows.push(rows[4]!.slice(), rows[17]!.slice(), rows[29]!.slice());
    const input = writeCsv(world.file("people.csv"), rows);
    const outDirs = [world.file("out-a"), world.file("out-b")];
    for (const dir of outDirs) mkdirSync(dir);

    const runs = outDirs.map((dir) =>
      collect(
        spawnCli(
          ["enrich", input, ...FAST, "--batch-size", "5", "--concurrency", "2", "--out-dir", dir, "--json"],
          {
            env: world!.env,
            cwd: world!.dir,
          },
        ),
        { timeoutMs: 40_000 },
      ),
    );
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const stats = world.sandbox.stats();
    expect(stats.creditsDebited).toBe(PEOPLE);
    expect(stats.profilesReceived).toBe(PEOPLE);
    expect(stats.peakConcurrency).toBeGreaterThanOrEqual(2);

    const summaries = outDirs.map((dir) => readJson<{ profiles_sent: number }>(`${dir}/people.summary.json`));
    for (const s of summaries) {
      expect(s).toMatchObject({
        rows: PEOPLE + 3,
        enriched: PEOPLE + 3,
        failed: 0,
        duplicates: 3,
        exit_code: 0,
      });
    }
    expect(summaries[0]!.profiles_sent + summaries[1]!.profiles_sent).toBe(PEOPLE);

    const expected = rows.slice(1).map((r) => r[3]);
    for (const dir of outDirs) {
      expect(csvObjects(`${dir}/people.enriched.csv`).map((r) => r.email)).toEqual(expected);
      expect(csvObjects(`${dir}/people.errors.csv`)).toEqual([]);
    }
    expect(
      bytes(`${outDirs[0]}/people.enriched.csv`).equals(bytes(`${outDirs[1]}/people.enriched.csv`)),
    ).toBe(true);

    const check = await runCli(["store", "stats", "--json"], { env: world.env, cwd: world.dir });
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ outcomes: PEOPLE, ok: PEOPLE, errors: 0, inflight: 0 });

    world.sandbox.resetStats();
    const third = await enrich(world, input, ["--out-dir", outDirs[0]!]);
    expect(third.code, third.stderr).toBe(0);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(world.sandbox.stats().creditsDebited).toBe(0);
    expect(readJson(`${outDirs[0]}/people.summary.json`)).toMatchObject({
      from_store: PEOPLE + 3,
      profiles_sent: 0,
    });
  });

  it("when one of them is killed, the other takes over its claims and finishes; nothing is lost", async () => {
    world = await storeWorld({ latencyMs: 300 });
    const rows = leadRows(PEOPLE);
    const input = writeCsv(world.file("people.csv"), rows);
    const outDirs = [world.file("out-a"), world.file("out-b")];
    for (const dir of outDirs) mkdirSync(dir);
    const spawnRun = (dir: string) =>
      spawnCli(["enrich", input, ...FAST, "--batch-size", "5", "--concurrency", "2", "--out-dir", dir], {
        env: world!.env,
        cwd: world!.dir,
      });
    const victim = spawnRun(outDirs[0]!);
    const victimDone = collect(victim, { timeoutMs: 40_000 });
    const survivor = collect(spawnRun(outDirs[1]!), { timeoutMs: 40_000 });
    const sandbox = world.sandbox;
    await until(() => (sandbox.stats().statuses["200"] ?? 0) >= 2, 20_000, "two answers");
    victim.kill("SIGKILL");
    expect((await victimDone).signal).toBe("SIGKILL");

    const started = Date.now();
    const result = await survivor;
    expect(result.code, result.stderr).toBe(0);
    // Taking over a dead run's claims must not wait for its heartbeat to go stale (30 s).
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(csvObjects(`${outDirs[1]}/people.enriched.csv`).map((r) => r.email)).toEqual(
      rows.slice(1).map((r) => r[3]),
    );
    expect(readJson(`${outDirs[1]}/people.summary.json`)).toMatchObject({ enriched: PEOPLE, failed: 0 });

    const check = await runCli(["store", "stats", "--json"], { env: world.env, cwd: world.dir });
    expect(check.code, check.stderr).toBe(0);
    const stats = JSON.parse(check.stdout) as { outcomes: number; inflight: number };
    expect(stats.outcomes).toBe(PEOPLE);
    expect(stats.inflight).toBe(0);

    // Only profiles the victim had in flight at its death may have been paid twice (at most 2 batches of 5).
    const debited = sandbox.stats().creditsDebited;
    expect(debited).toBeGreaterThanOrEqual(PEOPLE);
    expect(debited).toBeLessThanOrEqual(PEOPLE + 10);

    sandbox.resetStats();
    const third = await enrich(world, input, ["--out-dir", outDirs[0]!]);
    expect(third.code, third.stderr).toBe(0);
    expect(batchRequests(sandbox.stats())).toBe(0);
  });
});
