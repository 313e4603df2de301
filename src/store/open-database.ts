import { accessSync, closeSync, constants, openSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { ensureDirSync } from "../fs/ensure-dir.js";
import { ioFailure } from "../fs/io-errors.js";
import { UserError } from "../user-error.js";
import { migrate, SCHEMA_VERSION } from "./schema.js";

/**
 * How long a statement waits for another process's write lock before failing (exit 8).
 * FLUENCE_STORE_BUSY_TIMEOUT_MS overrides it (tests use it to see the failure without waiting 15 s).
 */
export const BUSY_TIMEOUT_MS = 15_000;

function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.FLUENCE_STORE_BUSY_TIMEOUT_MS);
  return env.FLUENCE_STORE_BUSY_TIMEOUT_MS && Number.isInteger(value) && value >= 0 ? value : BUSY_TIMEOUT_MS;
}

const HINT = "pass --store <file> to use another file or --no-store to run without one.";

/**
 * Opens (creating if needed) the SQLite file with private permissions, WAL and the current schema.
 * The file is created 0600 before SQLite touches it because SQLite gives -wal/-shm the db file's mode,
 * and the store holds personal data.
 */
export function openDatabase(file: string): Database.Database {
  if (file !== ":memory:") prepareFile(file);
  let db: Database.Database | undefined;
  try {
    const timeout = busyTimeoutMs();
    db = new Database(file, { timeout });
    db.pragma(`busy_timeout = ${timeout}`);
    // Only takes effect on a new, empty database, which is exactly when it must be set.
    db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    // Under WAL, NORMAL loses no committed transaction when the process is killed (only on power loss).
    db.pragma("synchronous = NORMAL");
    // Re-runs look people up in random fingerprint order; a larger page cache keeps more key pages hot.
    // 16 MB, not more: beyond it a 1M-row re-run got no faster, only bigger (peak RSS is a target).
    db.pragma("cache_size = -16384");
    const found = migrate(db);
    if (found > SCHEMA_VERSION) {
      throw new UserError(`The store ${file} was written by a newer fluence; upgrade fluence or ${HINT}`);
    }
    return db;
  } catch (error) {
    db?.close();
    throw toUserError(error, file);
  }
}

function prepareFile(file: string): void {
  try {
    ensureDirSync(path.dirname(file), 0o700);
  } catch (error) {
    throw (
      ioFailure(error, { file, role: "store" }) ??
      new UserError(`Cannot create the directory for the store ${file}; ${HINT}`, undefined, { cause: error })
    );
  }
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (isDirectory(file)) throw new UserError(`The store ${file} is a directory; ${HINT}`);
      return;
    }
    throw (
      ioFailure(error, { file, role: "store" }) ??
      new UserError(`Cannot create the store ${file}; ${HINT}`, undefined, { cause: error })
    );
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Not a database: a wrong file (exit 2). Cannot open, read-only, full, busy: the machine (exit 7 / 8). */
function toUserError(error: unknown, file: string): unknown {
  if (error instanceof UserError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new UserError(`The store ${file} is not a SQLite database; ${HINT}`, undefined, { cause: error });
  }
  const failure = ioFailure(error, { file, role: "store" });
  // SQLite says only "cannot open" when it cannot create the -wal/-shm beside the file: ask the OS why.
  if (failure?.trouble === "cantopen")
    return ioFailure(whyNotWritable(path.dirname(file)), { file, role: "store" }) ?? failure;
  return failure ?? error;
}

function whyNotWritable(dir: string): unknown {
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return error;
  }
}
