import type { TestProject } from "vitest/node";
import { findPostgresBinaries, type PostgresServerInfo, startPostgres } from "./helpers/postgres-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    /** The suite's PostgreSQL server, or null when none could be started outside CI (its tests skip). */
    postgres: PostgresServerInfo | null;
  }
}

const MISSING =
  "No PostgreSQL server binaries (initdb, postgres) in PATH or /usr/lib/postgresql/*/bin: install Debian's postgresql package (apt-get install postgresql)";

/**
 * Starts one PostgreSQL server for the whole test run (test files each create their own database in it)
 * and stops it, removing its directory, at the end. In CI a missing server fails the run; elsewhere the
 * PostgreSQL tests skip, loudly.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!findPostgresBinaries()) {
    if (process.env.CI) throw new Error(`${MISSING}; CI must run the PostgreSQL tests.`);
    const bar = "!".repeat(100);
    process.stderr.write(`\n${bar}\n${MISSING}.\nSKIPPING EVERY POSTGRESQL TEST.\n${bar}\n\n`);
    project.provide("postgres", null);
    return undefined;
  }
  const server = await startPostgres();
  const { host, port, user, password, socketDir, version } = server;
  project.provide("postgres", { host, port, user, password, socketDir, version });
  return () => server.stop();
}
