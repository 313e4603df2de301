import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collect, leadRows, runCli, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";
import { batches, type FleetSummary, loggedWorld, mostInWindow, readJson, runFleet } from "./fleet-kit.js";
import { BATCH_ROUTE, csvObjects, type StoreWorld, storeWorld, until } from "./store-kit.js";

// Machines of a team on one API key and one PostgreSQL store, as separate processes: the key's rate, its
// throttling and its quota are shared through the store, and a machine killed with SIGKILL frees its
// people at once.
const db = usePostgresDatabase("fluence_fleet");

const worlds: StoreWorld[] = [];
beforeEach(async () => {
  if (postgresServer) await db.reset();
});
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.cleanup();
});

function onPostgres(w: StoreWorld): StoreWorld {
  w.env.FLUENCE_STORE = db.url;
  w.env.PGPASSWORD = db.server.password;
  worlds.push(w);
  return w;
}

/** 600 requests a minute, counted as API Gateway does (a token bucket of 10 refilled 20 per 2 s). */
const KEY_600 = {
  gateway: true,
  rateLimit: 20,
  rateWindowMs: 2_000,
  latencyMs: 200,
  latencyJitterMs: 200,
} as const;

describe.skipIf(postgresServer === null)("machines sharing one API key through a PostgreSQL store", () => {
  it("three machines each told the key's whole --rate start at most that rate together: no throttling, every person paid once", async () => {
    const { world, requests } = await loggedWorld(KEY_600);
    onPostgres(world);
    const inputs = [0, 1, 2].map((m) => writeCsv(world.file(`m${m}.csv`), leadRows(150, m * 150)));
    const runs = await runFleet(world, inputs, ["--rate", "600", "--delay", "0"]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.summary).toMatchObject({ rows: 150, enriched: 150, failed: 0, fleet: { runs: 3 } });
      // A third of the key each, give or take who started first.
      expect(run.summary.fleet.rate_per_minute).toBeGreaterThan(120);
      expect(run.summary.fleet.rate_per_minute).toBeLessThan(330);
    }
    const stats = world.sandbox.stats();
    expect(stats.rateLimited).toBe(0);
    expect(batches(requests).filter((r) => r.status === 429)).toHaveLength(0);
    expect(stats.creditsDebited).toBe(450);
    // 594 a minute less the margin: 19.8 in any 2 s, plus the start that opens the window.
    expect(mostInWindow(requests, 2_000)).toBeLessThanOrEqual(21);
    expect(mostInWindow(requests, 6_000)).toBeLessThanOrEqual(61);
  });

  it("three machines on the same file share the work: each person sent once, every machine's outputs complete", async () => {
    const { world, requests } = await loggedWorld(KEY_600);
    onPostgres(world);
    const rows = leadRows(300);
    const input = writeCsv(world.file("same.csv"), rows);
    const runs = await runFleet(world, [input, input, input], ["--rate", "600", "--delay", "0"]);
    let sent = 0;
    for (const [i, run] of runs.entries()) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.summary).toMatchObject({ rows: 300, enriched: 300, failed: 0, fleet: { runs: 3 } });
      sent += run.summary.profiles_sent;
      const enriched = csvObjects(world.file(`out-${i}/same.enriched.csv`));
      expect(enriched.map((r) => r.email)).toEqual(rows.slice(1).map((r) => r[3]));
    }
    expect(sent).toBe(300);
    expect(batches(requests)).toHaveLength(30);
    expect(world.sandbox.stats()).toMatchObject({ creditsDebited: 300, rateLimited: 0 });
  });

  it("a Retry-After one machine gets pauses the others", async () => {
    // The service's own limiter: 4 requests per 10 s, then 429 with a Retry-After of the seconds left.
    const { world, requests } = await loggedWorld({ rateLimit: 4, rateWindowMs: 10_000, latencyMs: 100 });
    onPostgres(world);
    const inputs = [0, 1].map((m) => writeCsv(world.file(`m${m}.csv`), leadRows(30, m * 30)));
    // One start a second for the pair; the limit is far lower, so one of them meets a 429 within seconds.
    const fleet = runFleet(world, inputs, ["--rate", "60", "--delay", "0", "--retries", "8"], 90_000);
    await until(() => batches(requests).some((r) => r.status === 429), 30_000, "the first 429");
    const first = batches(requests).find((r) => r.status === 429)!;
    const runs = await fleet;
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    // The pair alternates, so the other machine is waiting ~1 s for its slot when the 429 comes; it reads
    // the schedule again before sending and holds until the Retry-After (at least 5 s here) has passed.
    // Alone, it would have gone on at a start a second, and met a 429 of its own.
    const during = batches(requests).filter(
      (r) => r.arrivedAt > first.answeredAt && r.arrivedAt < first.answeredAt + 5_000,
    );
    expect(during).toEqual([]);
  });

  it("a spent quota one machine meets stops the others at their next start, each with exit 4", async () => {
    // API Gateway's quota: 4 requests (the two preflights and two batches), then 429 Limit Exceeded.
    const { world, requests } = await loggedWorld({ gateway: { quota: 4 }, latencyMs: 200 });
    onPostgres(world);
    const inputs = [0, 1].map((m) => writeCsv(world.file(`m${m}.csv`), leadRows(50, m * 50)));
    // A start every 3 s for the pair: the machine that did not meet the quota is waiting for its slot when
    // the other's refusal is recorded, and reads it before sending.
    const runs = await runFleet(world, inputs, ["--rate", "20", "--delay", "0"], 90_000);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(4);
      expect(run.summary.stopped).toBe("quota");
    }
    const refused = batches(requests).filter((r) => r.status === 429);
    expect(refused).toHaveLength(1);
    expect(batches(requests)).toHaveLength(3);
  });

  it("a machine killed with SIGKILL frees its people at once: another takes them over within seconds, not the 30 s lease", async () => {
    // The killed machine's API answers in 60 s, so its people are surely in flight when it dies.
    const slow = onPostgres(await storeWorld({ latencyMs: 60_000 }));
    const fast = onPostgres(await storeWorld({ latencyMs: 50 }));
    const rows = leadRows(20);
    const input = writeCsv(slow.file("people.csv"), rows);
    const child = spawnCli(["enrich", input, "--rate", "6000", "--delay", "0", "--batch-size", "5"], {
      env: slow.env,
      cwd: slow.dir,
    });
    const done = collect(child, { timeoutMs: 60_000 });
    await until(
      () => (slow.sandbox.stats().requests[BATCH_ROUTE] ?? 0) >= 4,
      20_000,
      "four batches in flight",
    );

    // While it lives: the store lists it, and a dry run on its key expects half of --rate.
    const stats = await runCli(["store", "stats", "--json"], { env: slow.env, cwd: slow.dir });
    expect(stats.code, stats.stderr).toBe(0);
    expect((JSON.parse(stats.stdout) as { activeRuns: unknown[] }).activeRuns).toHaveLength(1);
    const dry = await runCli(["enrich", input, "--rate", "600", "--dry-run", "--json"], {
      env: slow.env,
      cwd: slow.dir,
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ fleet: { runs: 2, rate_per_minute: 300 } });
    const dryText = await runCli(["enrich", input, "--rate", "600", "--dry-run"], {
      env: slow.env,
      cwd: slow.dir,
    });
    expect(dryText.stdout + dryText.stderr).toMatch(
      /1 other run\(s\) on the API key now: 300 of --rate a minute/u,
    );

    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    const started = Date.now();
    const takeover = await runCli(
      ["enrich", input, "--out-dir", fast.file("out"), "--rate", "6000", "--delay", "0", "--json"],
      { env: fast.env, cwd: fast.dir, timeoutMs: 60_000 },
    );
    const tookMs = Date.now() - started;
    expect(takeover.code, takeover.stderr).toBe(0);
    const summary = JSON.parse(takeover.stdout) as FleetSummary;
    expect(summary).toMatchObject({ rows: 20, enriched: 20, stale_in_flight: 20, profiles_sent: 20 });
    expect(takeover.stderr).toMatch(/20 profile\(s\) in flight/u);
    expect(tookMs).toBeLessThan(15_000);
    expect(readJson<FleetSummary>(fast.file("out/people.summary.json")).enriched).toBe(20);
  });
});
