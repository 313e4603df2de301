import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EnrichSummary } from "../../src/pipeline/enrich-types.js";
import { fingerprint, PostgresStore } from "../../src/store/index.js";
import { journalDir, OutcomeJournal } from "../../src/store/journal.js";
import {
  type CliResult,
  collect,
  leadRows,
  readJson,
  runCli,
  sandboxEnv,
  spawnCli,
  tempDir,
  writeCsv,
} from "../helpers/cli-harness.js";
import {
  dirOn,
  fillDisk,
  mountTinyDisk,
  SKIP_MOUNT_TESTS,
  type TinyDisk,
} from "../helpers/machine-failures.js";
import { createDatabase, startPostgres } from "../helpers/postgres-server.mjs";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";
import { csvObjects, storedOutcomes, until } from "./store-kit.js";

// Paid means kept: answers that reached fluence survive the store going away mid-run (a PostgreSQL server
// stopped hard, a full disk under SQLite) through this machine's journal, and the next run stores them
// before planning, so it pays only for people whose answers never arrived.

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A temp dir, a sandbox answering in `latencyMs`, and the env of a run whose cache (journal) is in it. */
async function world(latencyMs: number) {
  const t = tempDir("fluence-it-journal-");
  const { sandbox, env } = await sandboxEnv({ latencyMs });
  closers.push(
    () => t.cleanup(),
    () => sandbox.close(),
  );
  return { t, sandbox, env: { ...env, XDG_CACHE_HOME: t.file("cache") } };
}

const FLAGS = ["--rate", "6000", "--delay", "0", "--concurrency", "4", "--json"];

/** The run's summary (the CLI prints it with --json even when it stops for the store). */
function summaryOf(result: CliResult): EnrichSummary {
  return JSON.parse(result.stdout) as EnrichSummary;
}

function journalFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * What the first run's outputs must hold: every person the API answered (all enriched here: the
 * sandbox finds everyone in leadRows), the rest retryable as STORE_UNAVAILABLE, each row once.
 */
function expectAnsweredRowsKept(
  outDir: string,
  name: string,
  summary: EnrichSummary,
  answered: number,
  rows: number,
) {
  const enriched = csvObjects(path.join(outDir, `${name}.enriched.csv`));
  const errors = csvObjects(path.join(outDir, `${name}.errors.csv`));
  expect(enriched).toHaveLength(answered);
  expect(summary.enriched).toBe(answered);
  expect(enriched.length + errors.length).toBe(rows);
  for (const row of errors) {
    expect(row.fluence_error_code).toBe("STORE_UNAVAILABLE");
    expect(row.fluence_retryable).toBe("true");
  }
}

describe.skipIf(postgresServer === null)("the PostgreSQL store stopped hard mid-run", () => {
  it("exit 7, every answered row in the outputs, the rest retryable; the re-run pays only for people never answered", async () => {
    const { t, sandbox, env } = await world(300);
    // Durable, as production servers are: a commit it acknowledged survives its stopping hard.
    const server = await startPostgres({ durable: true });
    closers.push(() => server.stop());
    const database = await createDatabase(server, "journal");
    const storeEnv = { ...env, FLUENCE_STORE: server.url(database), PGPASSWORD: server.password };
    const PEOPLE = 300;
    const input = writeCsv(t.file("leads.csv"), leadRows(PEOPLE));
    const child = spawnCli(["enrich", input, ...FLAGS], { env: storeEnv, cwd: t.dir });
    const done = collect(child, { timeoutMs: 60_000 });
    // Batches answered (and so stored) and batches in flight: then the server goes, as in a failover.
    await until(() => sandbox.stats().profilesSucceeded >= 40, 30_000, "four batches answered");
    await server.crash();
    const first = await done;
    expect(first.code, first.stderr).toBe(7);
    const summary = summaryOf(first);
    const answered = sandbox.stats().profilesReceived;
    expect(answered).toBeLessThan(PEOPLE);
    expect(summary).toMatchObject({ stopped: "store", exit_code: 7, recovered: 0 });
    expectAnsweredRowsKept(t.dir, "leads", summary, answered, PEOPLE);
    // What landed after the store went (at least the batches in flight) is in this machine's journal.
    expect(summary.journaled).toBeGreaterThan(0);
    expect(first.stderr).toMatch(
      new RegExp(
        `${summary.journaled} answered people were kept in this machine's journal; the next run on this store stores them before sending anything`,
        "u",
      ),
    );
    expect(first.stderr).not.toMatch(/\n\s+at /u);
    const dir = journalDir(server.url(database), storeEnv);
    expect(journalFiles(dir)).toHaveLength(1);

    await server.restart();
    const stats = await runCli(["store", "stats", "--json"], { env: storeEnv, cwd: t.dir });
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ journal: { files: 1, outcomes: summary.journaled } });

    sandbox.resetStats();
    const rerun = await runCli(["enrich", input, ...FLAGS], { env: storeEnv, cwd: t.dir, timeoutMs: 60_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(summaryOf(rerun)).toMatchObject({ rows: PEOPLE, enriched: PEOPLE, recovered: summary.journaled });
    expect(rerun.stderr).toMatch(new RegExp(`Stored ${summary.journaled} paid outcome\\(s\\)`, "u"));
    // Only the people whose answer never arrived are sent, and paid for, again.
    expect(sandbox.stats().profilesReceived).toBe(PEOPLE - answered);
    expect(journalFiles(dir)).toEqual([]);
  });
});

describe("a SQLite store whose disk fills mid-run", () => {
  let disks: TinyDisk[] = [];
  afterEach(() => {
    for (const disk of disks) disk.release();
    disks = [];
  });

  /**
   * Starts a run on a store on a tiny disk and fills the disk once the first 2 of its 30 batches are
   * stored. Its pace (a start every 100 ms, 400 ms answers) keeps ~4 batches in flight for 3 s: the disk
   * fills with most of the run still to come and batches in flight, however late this process looks.
   */
  async function runUntilFull(env: Record<string, string>, input: string, cwd: string) {
    const disk = mountTinyDisk(2048);
    disks.push(disk);
    const store = path.join(disk.dir, "store.sqlite");
    const paced = ["--rate", "600", "--delay", "0", "--concurrency", "4", "--json"];
    const child = spawnCli(["enrich", input, ...paced, "--store", store], { env, cwd });
    const done = collect(child, { timeoutMs: 60_000 });
    await until(() => storedOutcomes(store) >= 20, 30_000, "the first batches stored");
    expect(fillDisk(disk.dir)).toBe(0);
    return { disk, store, result: await done };
  }

  it.skipIf(SKIP_MOUNT_TESTS)(
    "exit 7 with the outputs and the journal; once there is room the re-run stores the journal and pays only for the rest",
    async () => {
      const { t, sandbox, env } = await world(400);
      const PEOPLE = 300;
      const input = writeCsv(t.file("leads.csv"), leadRows(PEOPLE));
      const { disk, store, result } = await runUntilFull(env, input, t.dir);
      expect(result.code, result.stderr).toBe(7);
      const summary = summaryOf(result);
      const answered = sandbox.stats().profilesReceived;
      expect(summary).toMatchObject({ stopped: "store", exit_code: 7 });
      expectAnsweredRowsKept(t.dir, "leads", summary, answered, PEOPLE);
      expect(summary.journaled, JSON.stringify(summary)).toBeGreaterThan(0);
      expect(summary.store_failure).toMatch(
        /^No space left on the device holding the store .+ kept in this machine's journal/u,
      );
      const dir = journalDir(store, env);
      expect(journalFiles(dir)).toHaveLength(1);

      disk.resize(16_384);
      sandbox.resetStats();
      const rerun = await runCli(["enrich", input, ...FLAGS, "--store", store], { env, cwd: t.dir });
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(summaryOf(rerun)).toMatchObject({ enriched: PEOPLE, recovered: summary.journaled });
      expect(sandbox.stats().profilesReceived).toBe(PEOPLE - answered);
      expect(journalFiles(dir)).toEqual([]);
    },
  );

  it.skipIf(SKIP_MOUNT_TESTS)(
    "with the journal's directory read-only too: the outputs are still written, and the run says what could not be kept",
    async () => {
      const { t, sandbox, env } = await world(400);
      const cacheDisk = mountTinyDisk(256);
      disks.push(cacheDisk);
      dirOn(cacheDisk, "fluence");
      cacheDisk.readOnly();
      const PEOPLE = 300;
      const input = writeCsv(t.file("leads.csv"), leadRows(PEOPLE));
      const { result } = await runUntilFull({ ...env, XDG_CACHE_HOME: cacheDisk.dir }, input, t.dir);
      expect(result.code, result.stderr).toBe(7);
      expect(result.stderr).toMatch(
        /The journal of paid outcomes cannot be written \(.+\/fluence\/journal\/[0-9a-f]+: a read-only filesystem\); going on/u,
      );
      const summary = summaryOf(result);
      const answered = sandbox.stats().profilesReceived;
      expectAnsweredRowsKept(t.dir, "leads", summary, answered, PEOPLE);
      expect(summary.journaled).toBe(0);
      expect(summary.store_failure).toMatch(
        /answered (person|people) could not be kept for the next run \(the journal could not be written either\): they are in this run's outputs, and a re-run pays for them again\.$/u,
      );
    },
  );
});

describe.skipIf(postgresServer === null)("a replay killed midway", () => {
  const db = usePostgresDatabase("fluence_journal");

  it("kill -9 during the replay: the next run finishes it, stores everyone once, and pays for nobody", async () => {
    await db.reset();
    const { t, sandbox, env } = await world(50);
    const storeEnv = { ...env, FLUENCE_STORE: db.url, PGPASSWORD: db.server.password };
    const location = await (async () => {
      const store = await PostgresStore.open(db.urlWithPassword);
      try {
        return store.location;
      } finally {
        await store.close();
      }
    })();
    const dir = journalDir(location, storeEnv);
    // A journal a run left: 3,000 batches of 10 people, the first 20 of them the people of the input.
    const rows = leadRows(30_000);
    const outcomes = rows.slice(1).map(([primeiro_nome, ultimo_nome, empresa]) => ({
      fp: fingerprint({ primeiro_nome: primeiro_nome!, ultimo_nome: ultimo_nome!, empresa: empresa! }),
      kind: "ok" as const,
      analise: `{"cargo":"Gerente"}`,
    }));
    const journal = await OutcomeJournal.create(dir, "left-behind");
    for (let i = 0; i < outcomes.length; i += 10)
      await journal.record("basic", "left-behind", outcomes.slice(i, i + 10));
    await journal.close();
    const dead = spawnCli(["--version"], {});
    await collect(dead);
    const orphan = path.join(dir, path.basename(journal.file).replace(/^\d+-/u, `${dead.pid}-`));
    mkdirSync(dir, { recursive: true });
    (await import("node:fs")).renameSync(journal.file, orphan);

    const input = writeCsv(t.file("leads.csv"), rows.slice(0, 21));
    const replaying = spawnCli(["enrich", input, ...FLAGS], { env: storeEnv, cwd: t.dir });
    const killed = collect(replaying, { timeoutMs: 60_000 });
    // Killed once the replay has stored (and marked) a few batches, well before the end.
    const marks = () => {
      const file = journalFiles(dir).find((name) => name.startsWith(`${replaying.pid}-replay-`));
      return file ? (readFileSync(path.join(dir, file), "utf8").match(/\{"c":/gu) ?? []).length : 0;
    };
    await until(() => marks() >= 5, 30_000, "the replay under way");
    replaying.kill("SIGKILL");
    expect((await killed).signal).toBe("SIGKILL");
    const markedBeforeKill = marks();
    expect(markedBeforeKill).toBeLessThan(3_000);

    const rerun = await runCli(["enrich", input, ...FLAGS], { env: storeEnv, cwd: t.dir, timeoutMs: 90_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = summaryOf(rerun);
    // Each person counted once, by the run that finished the replay; the input all from the store.
    expect(summary.recovered).toBe(30_000 - markedBeforeKill * 10);
    expect(summary).toMatchObject({ rows: 20, from_store: 20, profiles_sent: 0 });
    expect(sandbox.stats().profilesReceived).toBe(0);
    expect(journalFiles(dir)).toEqual([]);
    const stats = await runCli(["store", "stats", "--json"], { env: storeEnv, cwd: t.dir });
    expect(JSON.parse(stats.stdout)).toMatchObject({ outcomes: 30_000, journal: { outcomes: 0 } });
    expect(readJson<EnrichSummary>(t.file("leads.summary.json")).recovered).toBe(summary.recovered);
  });
});
