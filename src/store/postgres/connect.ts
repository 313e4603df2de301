import pg from "pg";
import { EXIT } from "../../exit-codes.js";
import { UserError } from "../../user-error.js";
import { connectFailure, lostConnection, statementFailure } from "./errors.js";
import { migrate, SCHEMA, SCHEMA_VERSION } from "./migrate.js";
import {
  checkPostgresUrl,
  invalidPostgresUrl,
  type PostgresTarget,
  targetOf,
  withLibpqSsl,
} from "./target.js";

/** A connected, migrated session, and what happened to it. */
export interface Session {
  client: pg.Client;
  target: PostgresTarget;
  /** Set once the connection dropped: every later call fails with the same sentence. */
  lost: Error | undefined;
}

/**
 * Connects (URL first, then the PG* variables), brings the schema up to date and refuses a database a newer
 * fluence wrote. Every failure is a UserError of one sentence that names the redacted target.
 */
export async function connect(url: string, connectTimeoutMs: number): Promise<Session> {
  checkPostgresUrl(url);
  let client: pg.Client;
  try {
    client = new pg.Client({
      connectionString: withLibpqSsl(url),
      connectionTimeoutMillis: connectTimeoutMs,
      keepAlive: true,
      application_name: "fluence",
      // A migration is the only multi-statement transaction; a client that dies inside it must not keep
      // the advisory lock (and every other fluence waiting on it) for as long as TCP takes to notice.
      idle_in_transaction_session_timeout: 60_000,
    });
  } catch (error) {
    // sslrootcert, sslcert and sslkey are read as the URL is parsed.
    const file = (error as { path?: unknown }).path;
    if (typeof file === "string") {
      throw new UserError(
        `Cannot read ${file}, the certificate or key file the store URL (or PGSSLROOTCERT, PGSSLCERT, PGSSLKEY) names; check the path and that this user can read it.`,
        EXIT.io,
        { cause: error },
      );
    }
    // The driver's own parser refused what URL accepted; its message is not repeated, it may quote the URL.
    throw invalidPostgresUrl(url);
  }
  const target = targetOf(client);
  const session: Session = { client, target, lost: undefined };
  // Without a listener, an idle connection that drops would crash the process with an 'error' event.
  client.on("error", (error) => {
    session.lost ??= error;
  });
  client.on("end", () => {
    session.lost ??= new Error("Connection ended");
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectFailure(target, error, connectTimeoutMs);
  }
  try {
    const found = await migrate(client);
    if (found > SCHEMA_VERSION) {
      throw new UserError(
        `The PostgreSQL store at ${target.location} was written by a newer fluence (schema version ${found}, this one knows ${SCHEMA_VERSION}); upgrade fluence or point --store at another database.`,
      );
    }
  } catch (error) {
    const failure = setupFailure(session, error);
    await client.end().catch(() => undefined);
    throw failure;
  }
  return session;
}

function setupFailure(session: Session, error: unknown): unknown {
  if (error instanceof UserError) return error;
  const { target } = session;
  if (session.lost) return lostConnection(target, error);
  if ((error as { code?: string }).code === "42501") {
    return new UserError(
      `The PostgreSQL store at ${target.location} cannot be set up: user "${target.user}" may not create the schema "${SCHEMA}" or its tables; ask the database owner to run CREATE SCHEMA ${SCHEMA} AUTHORIZATION "${target.user}".`,
      EXIT.io,
      { cause: error },
    );
  }
  return statementFailure(target, error);
}
