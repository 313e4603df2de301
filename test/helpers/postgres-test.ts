import type pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { adminClient, createDatabase, dropDatabase, type PostgresServerInfo } from "./postgres-server.mjs";

/** The run's PostgreSQL server (see test/global-postgres.ts), or null when its tests must skip. */
export const postgresServer: PostgresServerInfo | null = inject("postgres");

export interface PostgresDatabase {
  readonly server: PostgresServerInfo;
  /** The database's name. */
  readonly name: string;
  /** postgres://fluence@127.0.0.1:port/name, no password (give it through PGPASSWORD). */
  readonly url: string;
  /** The same URL with the password in it. */
  readonly urlWithPassword: string;
  /** A superuser connection to the database, opened on first use and closed after the file. */
  admin(): Promise<pg.Client>;
  /** Drops the store's schema: the next open starts from an empty database. */
  reset(): Promise<void>;
}

/**
 * A database of its own for the calling test file, created before its tests and dropped after them, so
 * test files can run in parallel against the one server. Call at the top level or in a describe block.
 */
export function usePostgresDatabase(prefix = "fluence_test"): PostgresDatabase {
  let name = "";
  let admin: pg.Client | undefined;
  const server = () => {
    if (!postgresServer) throw new Error("no PostgreSQL server in this test run");
    return postgresServer;
  };
  beforeAll(async () => {
    if (postgresServer) name = await createDatabase(postgresServer, prefix);
  });
  afterAll(async () => {
    await admin?.end();
    admin = undefined;
    if (postgresServer && name) await dropDatabase(postgresServer, name);
  });
  const db: PostgresDatabase = {
    get server() {
      return server();
    },
    get name() {
      return name;
    },
    get url() {
      const s = server();
      return `postgres://${s.user}@127.0.0.1:${s.port}/${name}`;
    },
    get urlWithPassword() {
      const s = server();
      return `postgres://${s.user}:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}/${name}`;
    },
    async admin() {
      admin ??= await adminClient(server(), name);
      return admin;
    },
    async reset() {
      const client = await db.admin();
      await client.query("DROP SCHEMA IF EXISTS fluence CASCADE");
    },
  };
  return db;
}
