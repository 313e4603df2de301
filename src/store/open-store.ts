import { EXIT } from "../exit-codes.js";
import { UserError } from "../user-error.js";
import type { OpenStoreOptions, OutcomeStore } from "./types.js";

// Anything shaped like "scheme://" is a URL; a file name with a colon ("C:\..." or "a:b") is not.
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const POSTGRES = /^postgres(ql)?:\/\//i;

/** True when `spec` names a PostgreSQL store rather than a file. */
export function isPostgresSpec(spec: string): boolean {
  return POSTGRES.test(spec.trim());
}

/**
 * Opens the store a spec names: `postgres://` or `postgresql://` for a shared PostgreSQL store (what the
 * URL leaves out comes from the PG* variables), anything else is a SQLite file path. A URL of any other
 * scheme is refused rather than used as a file name.
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<OutcomeStore> {
  const trimmed = spec.trim();
  // Each backend's driver (pg, better-sqlite3) loads only when a store of its kind is opened.
  if (isPostgresSpec(trimmed)) {
    const { PostgresStore } = await import("./postgres/postgres-store.js");
    return PostgresStore.open(trimmed, options);
  }
  if (URL_LIKE.test(trimmed)) {
    const scheme = trimmed.slice(0, trimmed.indexOf(":"));
    throw new UserError(
      `The store "${scheme}://…" is not a known kind of store: use a file path for SQLite or postgres://user@host:port/db for PostgreSQL.`,
      EXIT.usage,
    );
  }
  const { SqliteStore } = await import("./sqlite-store.js");
  return SqliteStore.open(spec, options);
}
