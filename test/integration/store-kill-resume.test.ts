import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { collect, leadRows, readJson, runCli, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import {
  BATCH_ROUTE,
  csvObjects,
  enrich,
  FAST,
  type StoreWorld,
  seeded,
  storeWorld,
  until,
} from "./store-kit.js";

const PEOPLE = 40;
const BATCH = 5;
const BATCHES = PEOPLE / BATCH;

let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface KillPoint {
  name: string;
  seed: number;
  /** Batch requests the sandbox must have seen arrive before the kill is armed. */
  afterRequests: number;
  /** Batch responses (200) the sandbox must have sent before the kill is armed. */
  afterResponses: number;
  /** The kill surely lands while the first batch is unanswered (its claims must be on record). */
  firstBatchUnanswered?: boolean;
}

// Each seed draws an extra 0..300 ms after the trigger, so the kill lands at a reproducible but
// arbitrary point of a 300 ms request: before, during or just after an answer.
const KILL_POINTS: KillPoint[] = [
  {
    name: "right after the first batch request arrives",
    seed: 11,
    afterRequests: 1,
    afterResponses: 0,
    firstBatchUnanswered: true,
  },
  { name: "mid-run, after a few answers", seed: 23, afterRequests: 0, afterResponses: 3 },
  { name: "late, after most answers", seed: 37, afterRequests: 0, afterResponses: BATCHES - 2 },
];

describe("SIGKILL at a random moment, then a re-run", () => {
  for (const point of KILL_POINTS) {
    it(`ends complete, nothing paid twice beyond the in-flight it names (${point.name})`, async () => {
      world = await storeWorld({ latencyMs: 300 });
      const rows = leadRows(PEOPLE);
      const input = writeCsv(world.file("people.csv"), rows);
      const args = ["enrich", input, ...FAST, "--batch-size", String(BATCH), "--concurrency", "2"];

      // Yesterday's outputs: a killed run must never leave them half-replaced.
      const previous = ["people.enriched.csv", "people.errors.csv"].map((name) => world!.file(name));
      for (const file of previous) writeFileSync(file, `previous ${file}\n`);

      const child = spawnCli(args, { env: world.env, cwd: world.dir });
      const done = collect(child, { timeoutMs: 30_000 });
      const sandbox = world.sandbox;
      await until(
        () =>
          (sandbox.stats().requests[BATCH_ROUTE] ?? 0) >= point.afterRequests &&
          (sandbox.stats().statuses["200"] ?? 0) >= point.afterResponses,
        20_000,
        `kill trigger (${point.name})`,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.floor(seeded(point.seed)() * 300)));
      child.kill("SIGKILL");
      const killed = await done;
      expect(killed.signal).toBe("SIGKILL");
      for (const file of previous) expect(readFileSync(file, "utf8")).toBe(`previous ${file}\n`);

      // What the dead run left claimed is what the next run must name as stale.
      const between = await runCli(["store", "stats", "--json"], { env: world.env, cwd: world.dir });
      expect(between.code, between.stderr).toBe(0);
      const leftInFlight = (JSON.parse(between.stdout) as { inflight: number; ok: number }).inflight;
      const storedBefore = (JSON.parse(between.stdout) as { ok: number }).ok;
      expect(storedBefore).toBeLessThan(PEOPLE);
      // Seed 11 draws 153 ms, well inside the 300 ms latency: the batch was claimed before it was sent.
      if (point.firstBatchUnanswered) expect(leftInFlight).toBeGreaterThanOrEqual(BATCH);

      const rerun = await enrich(world, input, ["--batch-size", String(BATCH), "--concurrency", "2"]);
      expect(rerun.code, rerun.stderr).toBe(0);
      const summary = readJson<{ stale_in_flight: number; from_store: number; profiles_sent: number }>(
        world.file("people.summary.json"),
      );
      expect(summary).toMatchObject({ rows: PEOPLE, enriched: PEOPLE, failed: 0, exit_code: 0 });
      expect(summary.stale_in_flight).toBe(leftInFlight);
      expect(summary.from_store).toBe(storedBefore);
      expect(summary.profiles_sent).toBe(PEOPLE - storedBefore);
      if (leftInFlight > 0)
        expect(rerun.stderr).toMatch(new RegExp(`${leftInFlight} profile\\(s\\) in flight`));

      // Complete outputs: every row exactly once, in input order, and nothing in the errors file.
      const enriched = csvObjects(world.file("people.enriched.csv"));
      expect(enriched.map((r) => r.email)).toEqual(rows.slice(1).map((r) => r[3]));
      expect(enriched.every((r) => r.fluence_cargo !== "")).toBe(true);
      expect(csvObjects(world.file("people.errors.csv"))).toEqual([]);

      // The dead run's requests are charged when their latency ends; they arrived before the re-run's
      // first request, which waited the same latency, so by now every charge has landed.
      const stats = sandbox.stats();
      expect(stats.creditsDebited).toBeGreaterThanOrEqual(PEOPLE);
      expect(stats.creditsDebited).toBeLessThanOrEqual(PEOPLE + summary.stale_in_flight);

      const final = await runCli(["store", "stats", "--json"], { env: world.env, cwd: world.dir });
      expect(JSON.parse(final.stdout)).toMatchObject({ outcomes: PEOPLE, ok: PEOPLE, inflight: 0 });
    });
  }
});

describe("SIGTERM mid-run, then a re-run", () => {
  it("waits for the batches in flight, releases every claim, and the re-run pays for no one twice", async () => {
    world = await storeWorld({ latencyMs: 300 });
    const rows = leadRows(PEOPLE);
    const input = writeCsv(world.file("people.csv"), rows);
    const args = ["enrich", input, ...FAST, "--batch-size", String(BATCH), "--concurrency", "2"];
    const child = spawnCli(args, { env: world.env, cwd: world.dir });
    const done = collect(child, { timeoutMs: 30_000 });
    const sandbox = world.sandbox;
    await until(() => (sandbox.stats().statuses["200"] ?? 0) >= 2, 20_000, "two answers");
    child.kill("SIGTERM");
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(130);

    const first = readJson<Record<string, unknown>>(world.file("people.summary.json"));
    expect(first).toMatchObject({ stopped: "interrupted", exit_code: 130, rows: PEOPLE });
    const parked = csvObjects(world.file("people.errors.csv"));
    expect(
      parked.every((r) => r.fluence_error_code === "INTERRUPTED" && r.fluence_retryable === "true"),
    ).toBe(true);
    const enrichedFirst = csvObjects(world.file("people.enriched.csv")).length;
    expect(enrichedFirst + parked.length).toBe(PEOPLE);
    // Everything that was answered was kept: what the sandbox charged is exactly what the run enriched.
    expect(sandbox.stats().creditsDebited).toBe(enrichedFirst);

    const between = await runCli(["store", "stats", "--json"], { env: world.env, cwd: world.dir });
    expect(JSON.parse(between.stdout)).toMatchObject({ outcomes: enrichedFirst, inflight: 0 });

    const rerun = await enrich(world, input, ["--batch-size", String(BATCH), "--concurrency", "2"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(readJson(world.file("people.summary.json"))).toMatchObject({
      stale_in_flight: 0,
      from_store: enrichedFirst,
      profiles_sent: PEOPLE - enrichedFirst,
      enriched: PEOPLE,
    });
    expect(rerun.stderr).not.toMatch(/in flight/);
    expect(sandbox.stats().creditsDebited).toBe(PEOPLE);
    expect(csvObjects(world.file("people.enriched.csv")).map((r) => r.email)).toEqual(
      rows.slice(1).map((r) => r[3]),
    );
  });
});
