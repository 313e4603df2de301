import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collect, leadRows, readJson, runCli, spawnCli, writeCsv } from "../helpers/cli-harness.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";
import {
  BATCH_ROUTE,
  batchRequests,
  csvObjects,
  enrich,
  FAST,
  type StoreWorld,
  seeded,
  storeWorld,
  until,
} from "./store-kit.js";

// The CLI with one PostgreSQL store shared by every run (`FLUENCE_STORE=postgres://…`, the password in
// PGPASSWORD), as a team or a CI fleet would use it. The runs are separate processes, as on separate hosts.
const db = usePostgresDatabase("fluence_cli");

let world: StoreWorld | undefined;
beforeEach(async () => {
  if (postgresServer) await db.reset();
});
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

async function pgWorld(options: Parameters<typeof storeWorld>[0] = {}): Promise<StoreWorld> {
  const w = await storeWorld(options);
  w.env.FLUENCE_STORE = db.url;
  w.env.PGPASSWORD = db.server.password;
  return w;
}

async function statsJson(w: StoreWorld, extra: string[] = []) {
  const result = await runCli(["store", "stats", "--json", ...extra], { env: w.env, cwd: w.dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown> & {
    outcomes: number;
    inflight: number;
    ok: number;
  };
}

/** Every file the runs wrote, and everything they printed: the password must be in none of it. */
function expectNoPassword(w: StoreWorld, printed: string[]): void {
  const secret = db.server.password;
  for (const text of printed) expect(text).not.toContain(secret);
  for (const name of readdirSync(w.dir, { recursive: true, encoding: "utf8" })) {
    const file = path.join(w.dir, name);
    if (/\.(csv|json|jsonl|log)$/u.test(name)) expect(readFileSync(file, "utf8")).not.toContain(secret);
  }
}

describe.skipIf(postgresServer === null)("enrich runs sharing one PostgreSQL store", () => {
  it("two concurrent runs over overlapping files charge every person once; a run over the union sends nothing", async () => {
    world = await pgWorld({ latencyMs: 300 });
    const first = leadRows(40, 0);
    const second = leadRows(40, 20);
    const inputs = [writeCsv(world.file("a.csv"), first), writeCsv(world.file("b.csv"), second)];
    const results = await Promise.all(
      inputs.map((input) =>
        collect(
          spawnCli(["enrich", input, ...FAST, "--batch-size", "5", "--concurrency", "2", "--json"], {
            env: world!.env,
            cwd: world!.dir,
          }),
          { timeoutMs: 60_000 },
        ),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const stats = world.sandbox.stats();
    expect(stats.creditsDebited).toBe(60);
    expect(stats.profilesReceived).toBe(60);
    expect(stats.peakConcurrency).toBeGreaterThanOrEqual(2);
    const summaries = ["a", "b"].map((n) =>
      readJson<{ profiles_sent: number; enriched: number; store: string }>(world!.file(`${n}.summary.json`)),
    );
    for (const s of summaries) expect(s).toMatchObject({ enriched: 40, failed: 0, store: db.url });
    expect(summaries[0]!.profiles_sent + summaries[1]!.profiles_sent).toBe(60);
    expect(csvObjects(world.file("b.enriched.csv")).map((r) => r.email)).toEqual(
      second.slice(1).map((r) => r[3]),
    );

    expect(await statsJson(world)).toMatchObject({
      backend: "postgres",
      path: db.url,
      outcomes: 60,
      ok: 60,
      inflight: 0,
    });

    world.sandbox.resetStats();
    const union = writeCsv(world.file("union.csv"), leadRows(60, 0));
    const third = await enrich(world, union, ["--json"]);
    expect(third.code, third.stderr).toBe(0);
    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(world.sandbox.stats().creditsDebited).toBe(0);
    expect(readJson(world.file("union.summary.json"))).toMatchObject({
      from_store: 60,
      profiles_sent: 0,
      enriched: 60,
    });
    expectNoPassword(world, [...results.flatMap((r) => [r.stdout, r.stderr]), third.stdout, third.stderr]);
  });

  it("a run killed with SIGKILL leaves claims that its lost session frees at once: the next run names them stale and resumes", async () => {
    world = await pgWorld({ latencyMs: 300 });
    const PEOPLE = 40;
    const rows = leadRows(PEOPLE);
    const input = writeCsv(world.file("people.csv"), rows);
    const args = ["enrich", input, ...FAST, "--batch-size", "5", "--concurrency", "2"];
    const child = spawnCli(args, { env: world.env, cwd: world.dir });
    const done = collect(child, { timeoutMs: 30_000 });
    const sandbox = world.sandbox;
    await until(() => (sandbox.stats().statuses["200"] ?? 0) >= 2, 20_000, "two answers");
    await until(() => (sandbox.stats().requests[BATCH_ROUTE] ?? 0) >= 4, 20_000, "batches in flight");
    await new Promise((resolve) => setTimeout(resolve, Math.floor(seeded(5)() * 100)));
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");

    const between = await statsJson(world);
    const leftInFlight = between.inflight;
    const storedBefore = between.ok;
    expect(leftInFlight).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(PEOPLE);

    // Its lease has not run out, but its session is gone with it (the server dropped its advisory lock):
    // a dry run already sees its people as stale, without waiting 30 s.
    const peek = await enrich(world, input, ["--dry-run", "--json"]);
    expect(JSON.parse(peek.stdout)).toMatchObject({ stale_in_flight: leftInFlight });

    const rerun = await enrich(world, input, ["--batch-size", "5", "--concurrency", "2"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`${leftInFlight} profile\\(s\\) in flight`));
    const summary = readJson<{ stale_in_flight: number; from_store: number; profiles_sent: number }>(
      world.file("people.summary.json"),
    );
    expect(summary).toMatchObject({ rows: PEOPLE, enriched: PEOPLE, failed: 0, exit_code: 0 });
    expect(summary.stale_in_flight).toBe(leftInFlight);
    expect(summary.from_store).toBe(storedBefore);
    expect(summary.profiles_sent).toBe(PEOPLE - storedBefore);
    expect(csvObjects(world.file("people.enriched.csv")).map((r) => r.email)).toEqual(
      rows.slice(1).map((r) => r[3]),
    );
    // Only what the dead run had in flight may have been charged twice.
    expect(sandbox.stats().creditsDebited).toBeGreaterThanOrEqual(PEOPLE);
    expect(sandbox.stats().creditsDebited).toBeLessThanOrEqual(PEOPLE + leftInFlight);
    expect(await statsJson(world)).toMatchObject({ outcomes: PEOPLE, ok: PEOPLE, inflight: 0 });

    sandbox.resetStats();
    const third = await enrich(world, input);
    expect(third.code, third.stderr).toBe(0);
    expect(batchRequests(sandbox.stats())).toBe(0);
  });
});

describe.skipIf(postgresServer === null)("fluence store stats and prune on PostgreSQL", () => {
  it("--store and FLUENCE_STORE agree; text names the store without its password; prune by age", async () => {
    world = await pgWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(12));
    expect((await enrich(world, input)).code).toBe(0);

    const viaEnv = await statsJson(world);
    expect(viaEnv).toMatchObject({ backend: "postgres", path: db.url, outcomes: 12, ok: 12, errors: 0 });
    expect(viaEnv.sizeBytes as number).toBeGreaterThan(0);
    const { FLUENCE_STORE: _, ...withoutStore } = world.env;
    const viaFlag = await runCli(["store", "stats", "--json", "--store", db.urlWithPassword], {
      env: withoutStore,
      cwd: world.dir,
    });
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect({ ...JSON.parse(viaFlag.stdout), sizeBytes: 0 }).toEqual({ ...viaEnv, sizeBytes: 0 });

    const text = await runCli(["store", "stats"], { env: world.env, cwd: world.dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Store:     ${db.url}\n`);
    expect(text.stdout).toMatch(/Outcomes:\s+12 \(12 ok, 0 errors\)/u);

    const admin = await db.admin();
    await admin.query(
      "UPDATE fluence.outcomes SET fetched_at = fetched_at - 40 * 86400000::bigint WHERE fp IN (SELECT fp FROM fluence.outcomes ORDER BY fp LIMIT 5)",
    );
    const pruned = await runCli(["store", "prune", "--older-than", "30d", "--store", db.urlWithPassword], {
      env: withoutStore,
      cwd: world.dir,
    });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toBe(`Deleted 5 outcomes from ${db.url}.\n`);
    expect((await statsJson(world)).outcomes).toBe(7);

    world.sandbox.resetStats();
    expect((await enrich(world, input, ["--batch-size", "10"])).code).toBe(0);
    expect(world.sandbox.stats().batchSizes).toEqual([5]);
    expectNoPassword(world, [viaFlag.stdout, viaFlag.stderr, text.stdout, pruned.stdout, pruned.stderr]);
  });
});

describe.skipIf(postgresServer === null)("a PostgreSQL store that cannot be used, through the CLI", () => {
  async function closedPort(): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
  }

  it("refused: one line, exit 7, before any request, no outputs, no password even with --debug", async () => {
    world = await pgWorld();
    const port = await closedPort();
    const input = writeCsv(world.file("people.csv"), leadRows(5));
    const url = `postgres://ana:Sup3r-Secret-PW@127.0.0.1:${port}/crm`;
    for (const extra of [[], ["--debug"]]) {
      const result = await enrich(world, input, ["--store", url, ...extra]);
      expect(result.code, result.stderr).toBe(7);
      const first = result.stderr.split("\n")[0];
      expect(first).toBe(
        `fluence: Cannot reach the PostgreSQL store at postgres://ana@127.0.0.1:${port}/crm: the connection was refused; check that the server is running and that the host and port (URL, PGHOST, PGPORT) are right.`,
      );
      if (extra.length === 0) expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stdout + result.stderr).not.toContain("Sup3r-Secret-PW");
    }
    expect(batchRequests(world.sandbox.stats())).toBe(0);
    expect(existsSync(world.file("people.enriched.csv"))).toBe(false);

    const stats = await runCli(["store", "stats", "--store", url], { env: world.env, cwd: world.dir });
    expect(stats.code).toBe(7);
    expect(stats.stderr).not.toContain("Sup3r-Secret-PW");
  });

  it("a malformed URL: one line, exit 2, never used as a file", async () => {
    world = await pgWorld();
    const input = writeCsv(world.file("people.csv"), leadRows(3));
    const result = await enrich(world, input, ["--store", "postgres://ana:Sup3r-Secret-PW@db:port/crm"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'fluence: The store URL "postgres://…" is not a valid PostgreSQL URL; use postgres://user@host:port/db and give the password in PGPASSWORD or ~/.pgpass.',
    );
    expect(readdirSync(world.dir).filter((n) => n.startsWith("postgres"))).toEqual([]);
  });

  it("dropped mid-run: one line, exit 7, and every batch committed before stays in the store", async () => {
    world = await pgWorld({ latencyMs: 300 });
    const input = writeCsv(world.file("people.csv"), leadRows(40));
    const child = spawnCli(["enrich", input, ...FAST, "--batch-size", "5", "--concurrency", "2"], {
      env: world.env,
      cwd: world.dir,
    });
    const done = collect(child, { timeoutMs: 30_000 });
    const sandbox = world.sandbox;
    await until(() => (sandbox.stats().statuses["200"] ?? 0) >= 2, 20_000, "two answers");
    const admin = await db.admin();
    const storedCount = async () =>
      (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM fluence.outcomes")).rows[0]!.n;
    const deadline = Date.now() + 20_000;
    while ((await storedCount()) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const committed = await storedCount();
    expect(committed).toBeGreaterThanOrEqual(5);
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'fluence'`,
    );
    const result = await done;
    expect(result.code, result.stderr).toBe(7);
    // The store's sentence, then what became of the answers that landed after it went (the journal).
    const first = readJson<{ journaled: number; stopped: string }>(world.file("people.summary.json"));
    expect(first.stopped).toBe("store");
    const kept =
      first.journaled > 0
        ? ` ${first.journaled} answered ${first.journaled === 1 ? "person was" : "people were"} kept in this machine's journal; the next run on this store stores them before sending anything, so nobody is paid for twice.`
        : "";
    expect(result.stderr.trim().split("\n").at(-1)).toBe(
      `fluence: The connection to the PostgreSQL store at ${db.url} was lost; what was already committed is kept; run again.${kept}`,
    );
    expect(result.stderr).not.toMatch(/internal error|Unhandled|at .*\.js:\d+/u);
    const stored = await statsJson(world);
    expect(stored.ok).toBeGreaterThanOrEqual(committed);

    // Its claims went with its session; the re-run stores the journal first, then sends only the rest.
    mkdirSync(world.file("again"));
    const rerun = await enrich(world, input, ["--out-dir", world.file("again")]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(readJson(world.file("again/people.summary.json"))).toMatchObject({
      enriched: 40,
      from_store: stored.ok + first.journaled,
      recovered: first.journaled,
    });
  });
});
