import type { Database } from "better-sqlite3";

/** Each entry moves the schema from version i to i+1; user_version records how many ran. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE outcomes (
    fp TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ok', 'error')),
    analise TEXT,
    code TEXT,
    message TEXT,
    fetched_at INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (fp, endpoint),
    CHECK ((kind = 'ok' AND analise IS NOT NULL) OR (kind = 'error' AND code IS NOT NULL))
  ) WITHOUT ROWID;
  CREATE INDEX outcomes_fetched_at ON outcomes (fetched_at);
  CREATE TABLE inflight (
    fp TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    run_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (fp, endpoint)
  ) WITHOUT ROWID;
  CREATE INDEX inflight_run ON inflight (run_id);
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    ended_at INTEGER
  ) WITHOUT ROWID;
  `,
  // v2: outcomes in a rowid table with a unique (fp, endpoint) index. Keyed by the fingerprint itself,
  // rows of ~800 bytes were clustered by a random hash, so re-running a million-row file read the whole
  // store in random order (1.4 GB, one random page per row). Now the index is small enough to stay cached
  // and the analyses lie in the order they were fetched, which is the input's order for the nightly
  // re-run of the same export: nearly sequential reads.
  `
  CREATE TABLE outcomes_v2 (
    id INTEGER PRIMARY KEY,
    fp TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ok', 'error')),
    analise TEXT,
    code TEXT,
    message TEXT,
    fetched_at INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    UNIQUE (fp, endpoint),
    CHECK ((kind = 'ok' AND analise IS NOT NULL) OR (kind = 'error' AND code IS NOT NULL))
  );
  INSERT INTO outcomes_v2 (fp, endpoint, kind, analise, code, message, fetched_at, run_id)
    SELECT fp, endpoint, kind, analise, code, message, fetched_at, run_id FROM outcomes ORDER BY fetched_at;
  DROP TABLE outcomes;
  ALTER TABLE outcomes_v2 RENAME TO outcomes;
  CREATE INDEX outcomes_fetched_at ON outcomes (fetched_at);
  `,
  // v3: the key's shared schedule (key-schedule.ts), so that runs on this host share one key's rate, and
  // which key each run paces. Times are ms epoch on this host's clock.
  `
  CREATE TABLE key_rate (
    key_id TEXT PRIMARY KEY,
    tat REAL NOT NULL,
    rate REAL NOT NULL,
    pause_until REAL NOT NULL,
    last_decrease REAL NOT NULL,
    quota_at REAL
  ) WITHOUT ROWID;
  ALTER TABLE runs ADD COLUMN key_id TEXT;
  CREATE INDEX runs_key ON runs (key_id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema to SCHEMA_VERSION. Runs in an IMMEDIATE transaction so two processes opening a new
 * store at once cannot both migrate. Returns the version found, so the caller can refuse newer stores.
 */
export function migrate(db: Database): number {
  return db
    .transaction(() => {
      const found = db.pragma("user_version", { simple: true }) as number;
      for (let version = found; version < SCHEMA_VERSION; version++) {
        db.exec(MIGRATIONS[version]!);
      }
      if (found < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return found;
    })
    .immediate();
}
