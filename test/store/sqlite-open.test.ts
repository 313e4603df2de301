import { statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/index.js";
import { UserError } from "../../src/user-error.js";
import { makeTempDir, manualClock } from "./temp-dir.js";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.cleanup());

const mode = (file: string) => statSync(file).mode & 0o777;

function openError(file: string): UserError {
  try {
    SqliteStore.open(file).close();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected SqliteStore.open to fail");
}

describe("SqliteStore.open", () => {
  it("creates missing directories 0700 and the file 0600, and the WAL inherits 0600", async () => {
    const file = path.join(temp.dir, "a", "b", "store.sqlite");
    const store = SqliteStore.open(file);
    await store.commitBatch("r", "complete", [{ fp: "x", kind: "error", code: "PROFILE_NOT_FOUND" }], ["x"]);
    expect(mode(path.join(temp.dir, "a"))).toBe(0o700);
    expect(mode(path.join(temp.dir, "a", "b"))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    await store.close();
  });

  it("runs in WAL mode with NORMAL sync, busy_timeout 15000 and incremental vacuum", async () => {
    const store = SqliteStore.open(path.join(temp.dir, "store.sqlite"));
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.db.pragma("synchronous", { simple: true })).toBe(1);
    expect(store.db.pragma("busy_timeout", { simple: true })).toBe(15_000);
    expect(store.db.pragma("auto_vacuum", { simple: true })).toBe(2);
    await store.close();
  });

  it("allows :memory:", async () => {
    const store = SqliteStore.open(":memory:");
    expect(store.location).toBe(":memory:");
    expect(await store.stats()).toMatchObject({ outcomes: 0, backend: "sqlite" });
    await store.close();
  });

  it("refuses a file that is not a SQLite database with one sentence naming it", () => {
    const file = path.join(temp.dir, "people.csv");
    writeFileSync(file, "primeiro_nome,ultimo_nome,empresa\nAna,Souza,Acme\n".repeat(20));
    const error = openError(file);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `The store ${file} is not a SQLite database; pass --store <file> to use another file or --no-store to run without one.`,
    );
  });

  it("refuses a path whose directory cannot be created", () => {
    const blocker = path.join(temp.dir, "blocker");
    writeFileSync(blocker, "");
    const file = path.join(blocker, "sub", "store.sqlite");
    const error = openError(file);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(file);
    expect(error.message).toContain("--no-store");
  });
});

describe("SQLite schema migration", () => {
  it("moves a version-1 store (outcomes keyed by fingerprint) to version 2 without losing an outcome", async () => {
    const file = path.join(temp.dir, "v1.sqlite");
    const raw = new Database(file);
    raw.exec(`
      CREATE TABLE outcomes (fp TEXT NOT NULL, endpoint TEXT NOT NULL, kind TEXT NOT NULL, analise TEXT, code TEXT,
        message TEXT, fetched_at INTEGER NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (fp, endpoint)) WITHOUT ROWID;
      CREATE INDEX outcomes_fetched_at ON outcomes (fetched_at);
      CREATE TABLE inflight (fp TEXT NOT NULL, endpoint TEXT NOT NULL, run_id TEXT NOT NULL, batch_id TEXT NOT NULL,
        started_at INTEGER NOT NULL, PRIMARY KEY (fp, endpoint)) WITHOUT ROWID;
      CREATE INDEX inflight_run ON inflight (run_id);
      CREATE TABLE runs (id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL, ended_at INTEGER) WITHOUT ROWID;
      INSERT INTO outcomes VALUES ('fp-ok', 'crm_basico_batch', 'ok', '{"cargo":"CEO"}', NULL, NULL, 1000, 'r1');
      INSERT INTO outcomes VALUES ('fp-err', 'crm_basico_batch', 'error', NULL, 'PROFILE_NOT_FOUND', 'nope', 2000, 'r1');
      PRAGMA user_version = 1;
    `);
    raw.close();
    const store = SqliteStore.open(file);
    try {
      expect(store.db.pragma("user_version", { simple: true })).toBe(3);
      const found = await store.lookup(["fp-ok", "fp-err", "missing"], "basic", 0);
      expect(found.get("fp-ok")).toMatchObject({ kind: "ok", analise: '{"cargo":"CEO"}', fetchedAt: 1000 });
      expect(found.get("fp-err")).toMatchObject({ kind: "error", code: "PROFILE_NOT_FOUND" });
      expect(found.has("missing")).toBe(false);
      const { runId } = await store.beginRun();
      await store.commitBatch(
        runId,
        "basic",
        [{ fp: "fp-ok", kind: "ok", analise: '{"cargo":"CFO"}' }],
        ["fp-ok"],
      );
      expect((await store.lookup(["fp-ok"], "basic", 0)).get("fp-ok")?.analise).toBe('{"cargo":"CFO"}');
      expect((await store.stats()).outcomes).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe("SQLite prune", () => {
  it("empties the WAL and gives pages back to the OS (incremental vacuum)", async () => {
    const clock = manualClock();
    const file = path.join(temp.dir, "store.sqlite");
    const store = SqliteStore.open(file, { now: clock.now });
    const big = "x".repeat(2_000);
    await store.commitBatch(
      "r",
      "basic",
      Array.from({ length: 2_000 }, (_, i) => ({ fp: `fp-${i}`, kind: "ok" as const, analise: big })),
      [],
    );
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    const before = statSync(file).size;
    clock.advance(1);
    expect(await store.prune(0)).toBe(2_000);
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(statSync(file).size).toBeLessThan(before / 4);
    await store.close();
  });
});
