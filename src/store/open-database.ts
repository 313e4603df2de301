import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { UserError } from "../user-error.js";
import { migrate, SCHEMA_VERSION } from "./schema.js";

/** How long a statement waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 15_000;

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
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
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
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UserError(`Cannot create the directory for the store ${file}; ${HINT}`, undefined, {
      cause: error,
    });
  }
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") {
      throw new UserError(`Cannot create the store ${file}; ${HINT}`, undefined, { cause: error });
    }
  }
}

function toUserError(error: unknown, file: string): unknown {
  if (error instanceof UserError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new UserError(`The store ${file} is not a SQLite database; ${HINT}`, undefined, { cause: error });
  }
  if (typeof code === "string" && /^SQLITE_(CANTOPEN|READONLY|PERM|IOERR)/u.test(code)) {
    return new UserError(`Cannot open the store ${file}; ${HINT}`, undefined, { cause: error });
  }
  return error;
}
