import type pg from "pg";
import { SCHEMA_V1 } from "./schema-v1.js";
import { SCHEMA_V2 } from "./schema-v2.js";

/** The schema every table of the store lives in. */
export const SCHEMA = "fluence";

/** Each entry moves the schema from version i to i+1; fluence.schema_version records each one applied. */
export const MIGRATIONS: readonly string[] = [SCHEMA_V1, SCHEMA_V2];

export const SCHEMA_VERSION = MIGRATIONS.length;

// Any fixed key: it only has to be the same in every fluence process ("fluence" in ASCII).
const MIGRATION_LOCK = "28821622003491685";

const VERSION_QUERY = "SELECT coalesce(max(version), 0)::int AS version FROM fluence.schema_version";

/**
 * Brings the schema to the newest of `migrations` and returns the version found before. The common case,
 * an up-to-date store, is one read and takes no lock. Otherwise the migrations run in one transaction
 * under an advisory lock, and the version is read again under it, so two processes opening a new database
 * at once cannot both migrate; the second finds the work done. A version above what this fluence knows
 * is returned as found, without touching anything, for the caller to refuse.
 */
export async function migrate(
  client: pg.Client,
  migrations: readonly string[] = MIGRATIONS,
): Promise<number> {
  const found = await readVersion(client);
  if (found >= migrations.length) return found;
  await client.query("BEGIN");
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    // CREATE SCHEMA IF NOT EXISTS still needs the right to create schemas; a schema a DBA made for us is enough.
    const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [SCHEMA]);
    if (schema.rowCount === 0) await client.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_version (
         version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = (await client.query<{ version: number }>(VERSION_QUERY)).rows[0]!.version;
    for (let version = current; version < migrations.length; version++) {
      await client.query(migrations[version]!);
      await client.query(`INSERT INTO ${SCHEMA}.schema_version (version) VALUES ($1)`, [version + 1]);
    }
    await client.query("COMMIT");
    return current;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

async function readVersion(client: pg.Client): Promise<number> {
  try {
    return (await client.query<{ version: number }>(VERSION_QUERY)).rows[0]!.version;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // No schema or no table yet: a new store.
    if (code === "42P01" || code === "3F000") return 0;
    throw error;
  }
}
