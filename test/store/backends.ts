import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe } from "vitest";
import {
  type OpenStoreOptions,
  type OutcomeStore,
  PostgresStore,
  SqliteStore,
  type StoreBackend,
} from "../../src/store/index.js";
import { type PostgresDatabase, postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";
import { makeTempDir, manualClock } from "./temp-dir.js";

/** The lease (SQLite: heartbeat age) after which the kit's stores call a silent run dead. */
export const STALE_AFTER_MS = 30_000;

/**
 * One backend as the shared store suite sees it: a fresh, empty store per test, a manual clock for
 * outcomes, and the few things tests must do behind the store's back, each written for that backend.
 */
export interface BackendKit {
  readonly name: StoreBackend;
  readonly clock: ReturnType<typeof manualClock>;
  /** Where the test's store lives, as openStore would be given it. */
  readonly spec: string;
  /** Opens (again) the test's store: the kit's clock and lease unless overridden; closed after the test. */
  open(options?: OpenStoreOptions): Promise<OutcomeStore>;
  inflightCount(runId?: string): Promise<number>;
  batchOf(fp: string): Promise<string | undefined>;
  endedAt(runId: string): Promise<number | null>;
  runIds(): Promise<string[]>;
  /** Writes a run of another host holding `fps`, live or as one that died (its lease expired). */
  plantRun(id: string, state: "live" | "dead", fps: string[]): Promise<void>;
  /** Makes a run's lease lapse, as if its heartbeat had stopped staleAfterMs ago. */
  expireRun(runId: string): Promise<void>;
  schemaVersion(): Promise<number>;
  /** Marks the store as written by a newer fluence. */
  setSchemaVersion(version: number): Promise<void>;
}

const EP = "crm_basico_batch";

/**
 * Runs `body` once per backend: SQLite always; PostgreSQL against the run's server (each test file gets
 * its own database, each test an empty schema). Without a server outside CI, PostgreSQL's copy is skipped.
 */
export function describeBackends(title: string, body: (kit: BackendKit) => void): void {
  describe(`${title} [sqlite]`, () => body(sqliteKit()));
  describe.skipIf(postgresServer === null)(`${title} [postgres]`, () =>
    body(postgresKit(usePostgresDatabase("fluence_store"))),
  );
}

function sqliteKit(): BackendKit {
  let temp: ReturnType<typeof makeTempDir>;
  let file = "";
  let clock = manualClock();
  const opened: OutcomeStore[] = [];
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, "store.sqlite");
    clock = manualClock();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    temp.cleanup();
  });
  const raw = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(file, { timeout: 5_000 });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    name: "sqlite",
    get clock() {
      return clock;
    },
    get spec() {
      return file;
    },
    async open(options = {}) {
      const store = SqliteStore.open(file, { now: clock.now, staleAfterMs: STALE_AFTER_MS, ...options });
      opened.push(store);
      return store;
    },
    async inflightCount(runId) {
      return raw((db) =>
        runId === undefined
          ? (db.prepare("SELECT count(*) FROM inflight").pluck().get() as number)
          : (db.prepare("SELECT count(*) FROM inflight WHERE run_id = ?").pluck().get(runId) as number),
      );
    },
    async batchOf(fp) {
      return raw((db) => db.prepare("SELECT batch_id FROM inflight WHERE fp = ?").pluck().get(fp) as string);
    },
    async endedAt(runId) {
      return raw(
        (db) => db.prepare("SELECT ended_at FROM runs WHERE id = ?").pluck().get(runId) as number | null,
      );
    },
    async runIds() {
      return raw((db) => db.prepare("SELECT id FROM runs ORDER BY id").pluck().all() as string[]);
    },
    async plantRun(id, state, fps) {
      const beat = state === "live" ? clock.now() : clock.now() - STALE_AFTER_MS - 1;
      raw((db) => {
        db.prepare(
          "INSERT INTO runs (id, pid, host, started_at, heartbeat_at) VALUES (?, 1, 'other-host', ?, ?)",
        ).run(id, beat, beat);
        const claim = db.prepare(
          "INSERT INTO inflight (fp, endpoint, run_id, batch_id, started_at) VALUES (?, ?, ?, 'b', ?)",
        );
        for (const fp of fps) claim.run(fp, EP, id, beat);
      });
    },
    async expireRun(runId) {
      raw((db) =>
        db
          .prepare("UPDATE runs SET heartbeat_at = ? WHERE id = ?")
          .run(clock.now() - STALE_AFTER_MS - 1, runId),
      );
    },
    async schemaVersion() {
      return raw((db) => db.pragma("user_version", { simple: true }) as number);
    },
    async setSchemaVersion(version) {
      raw((db) => db.pragma(`user_version = ${version}`));
    },
  };
}

function postgresKit(database: PostgresDatabase): BackendKit {
  let clock = manualClock();
  const opened: OutcomeStore[] = [];
  beforeEach(async () => {
    clock = manualClock();
    await database.reset();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const sql = async <R extends object = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await (await database.admin()).query<R>(text, values)).rows;
  return {
    name: "postgres",
    get clock() {
      return clock;
    },
    get spec() {
      return database.urlWithPassword;
    },
    async open(options = {}) {
      const store = await PostgresStore.open(database.urlWithPassword, {
        now: clock.now,
        staleAfterMs: STALE_AFTER_MS,
        ...options,
      });
      opened.push(store);
      return store;
    },
    async inflightCount(runId) {
      const rows =
        runId === undefined
          ? await sql<{ n: number }>("SELECT count(*)::int AS n FROM fluence.inflight")
          : await sql<{ n: number }>("SELECT count(*)::int AS n FROM fluence.inflight WHERE run_id = $1", [
              runId,
            ]);
      return rows[0]!.n;
    },
    async batchOf(fp) {
      const rows = await sql<{ batch_id: string }>("SELECT batch_id FROM fluence.inflight WHERE fp = $1", [
        fp,
      ]);
      return rows[0]?.batch_id;
    },
    async endedAt(runId) {
      const rows = await sql<{ ended_at: string | null }>("SELECT ended_at FROM fluence.runs WHERE id = $1", [
        runId,
      ]);
      const ended = rows[0]?.ended_at;
      return ended === null || ended === undefined ? null : Number(ended);
    },
    async runIds() {
      return (await sql<{ id: string }>("SELECT id FROM fluence.runs ORDER BY id")).map((r) => r.id);
    },
    async plantRun(id, state, fps) {
      const lease = state === "live" ? "now() + interval '30 seconds'" : "now() - interval '1 second'";
      await sql(
        `INSERT INTO fluence.runs (id, host, pid, started_at, lease_until) VALUES ($1, 'other-host', 1, $2, ${lease})`,
        [id, clock.now()],
      );
      await sql(
        `INSERT INTO fluence.inflight (fp, endpoint, run_id, batch_id, claimed_at, lease_until)
         SELECT f, $2, $3, 'b', now(), ${lease} FROM unnest($1::text[]) AS f`,
        [fps, EP, id],
      );
    },
    async expireRun(runId) {
      await sql("UPDATE fluence.runs SET lease_until = now() - interval '1 ms' WHERE id = $1", [runId]);
      await sql("UPDATE fluence.inflight SET lease_until = now() - interval '1 ms' WHERE run_id = $1", [
        runId,
      ]);
    },
    async schemaVersion() {
      return (await sql<{ v: number }>("SELECT max(version)::int AS v FROM fluence.schema_version"))[0]!.v;
    },
    async setSchemaVersion(version) {
      await sql("INSERT INTO fluence.schema_version (version) VALUES ($1)", [version]);
    },
  };
}
