import { afterEach, describe, expect, it } from "vitest";
import { leadRows, runCli, writeCsv } from "../helpers/cli-harness.js";
import { batches, loggedWorld, mostInWindow, runFleet } from "./fleet-kit.js";
import type { StoreWorld } from "./store-kit.js";

// Two cron jobs on one box: two processes on one API key and the default SQLite store file share the key's
// rate through it, as machines do through PostgreSQL.
let world: StoreWorld | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

describe("processes on one host sharing the key through one SQLite store", () => {
  it("two processes each told the key's whole --rate start at most that rate together: no throttling", async () => {
    const logged = await loggedWorld({
      gateway: true,
      rateLimit: 20,
      rateWindowMs: 2_000,
      latencyMs: 200,
      latencyJitterMs: 200,
    });
    world = logged.world;
    const inputs = [0, 1].map((m) => writeCsv(logged.world.file(`m${m}.csv`), leadRows(200, m * 200)));
    const runs = await runFleet(logged.world, inputs, ["--rate", "600", "--delay", "0"]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.summary).toMatchObject({ rows: 200, enriched: 200, failed: 0, fleet: { runs: 2 } });
    }
    expect(logged.world.sandbox.stats()).toMatchObject({ rateLimited: 0, creditsDebited: 400 });
    expect(batches(logged.requests).filter((r) => r.status === 429)).toHaveLength(0);
    expect(mostInWindow(logged.requests, 2_000)).toBeLessThanOrEqual(21);
  });

  it("says in the summary's words that the key was shared", async () => {
    const logged = await loggedWorld({ latencyMs: 500 });
    world = logged.world;
    const inputs = [0, 1].map((m) => writeCsv(logged.world.file(`m${m}.csv`), leadRows(100, m * 100)));
    const runs = await Promise.all(
      inputs.map((input, i) =>
        runCli(["enrich", input, "--out-dir", logged.world.file(`t${i}`), "--rate", "600", "--delay", "0"], {
          env: logged.world.env,
          cwd: logged.world.dir,
        }),
      ),
    );
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout + run.stderr).toMatch(
        /Fleet: 2 runs shared the API key's rate through the store; this one got \d+ starts a minute\./u,
      );
    }
  });
});
