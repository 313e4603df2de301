import type pg from "pg";
import { UserError } from "../../user-error.js";

/** Where a PostgreSQL store lives, resolved from the URL and the PG* variables, safe to print. */
export interface PostgresTarget {
  /** `postgres://user@host:port/db`: never the password, never the query string. */
  location: string;
  user: string;
  host: string;
  port: number;
  database: string;
  /** Only to scrub it from messages; never printed. */
  secret: string | undefined;
}

const PREFIX = /^(postgres(?:ql)?):\/\//i;

/**
 * Refuses a spec that node-postgres could not parse, without repeating it (it may hold a password). What the
 * URL leaves out (host, port, user, password, database) node-postgres takes from PGHOST, PGPORT, PGUSER,
 * PGPASSWORD and PGDATABASE, then from its defaults (localhost, 5432, $USER, the user's name).
 */
export function checkPostgresUrl(spec: string): void {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw invalidPostgresUrl(spec);
  }
  if (!/^\d*$/u.test(url.port) || url.hash !== "") throw invalidPostgresUrl(spec);
}

/** The refusal of a spec that cannot be used, naming only its scheme (the rest may hold a password). */
export function invalidPostgresUrl(spec: string): UserError {
  const scheme = PREFIX.exec(spec)?.[1] ?? "postgres";
  return new UserError(
    `The store URL "${scheme}://…" is not a valid PostgreSQL URL; use postgres://user@host:port/db and give the password in PGPASSWORD or ~/.pgpass.`,
  );
}

/** The target a client connects to, with what node-postgres resolved from the URL and the environment. */
export function targetOf(client: pg.Client): PostgresTarget {
  const user = client.user ?? "";
  const host = client.host ?? "";
  const database = client.database ?? "";
  const port = client.port;
  const password = client.password;
  return {
    location: `postgres://${encodeURIComponent(user)}@${urlHost(host)}:${port}/${encodeURIComponent(database)}`,
    user,
    host,
    port,
    database,
    secret: typeof password === "string" && password !== "" ? password : undefined,
  };
}

function urlHost(host: string): string {
  if (host.startsWith("/")) return encodeURIComponent(host);
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Removes the password from a driver or server message before it goes into a UserError: neither is known
 * to repeat it, and this makes sure. Only that quoted part is scrubbed, so the sentence around it stays
 * readable even for a very short password.
 */
export function scrub(text: string, target: PostgresTarget): string {
  const secret = target.secret;
  return secret ? text.split(secret).join("***") : text;
}

/** libpq's variables for what the URL's query may also say; the URL wins, as in libpq. */
const LIBPQ_SSL_VARIABLES = [
  ["sslmode", "PGSSLMODE"],
  ["sslrootcert", "PGSSLROOTCERT"],
  ["sslcert", "PGSSLCERT"],
  ["sslkey", "PGSSLKEY"],
] as const;

/**
 * The URL with `sslmode` meaning what libpq (psql, every PostgreSQL tool) means by it. node-postgres reads
 * `require` and `verify-ca` as `verify-full`, so `sslmode=require` against a server with a self-signed
 * certificate fails where psql connects; its libpq-compatible parsing (`uselibpqcompat=true`) reads them
 * as libpq does: `require` encrypts without verifying (and checks the CA when `sslrootcert` is given),
 * `verify-ca` checks the CA, `verify-full` also the host name. PGSSLMODE and the other libpq variables are
 * moved into the URL when it does not say, so that they mean the same (node-postgres would read PGSSLMODE
 * its own way). A URL with no TLS setting anywhere is returned as it was.
 */
export function withLibpqSsl(spec: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = new URL(spec);
  const query = url.searchParams;
  let changed = false;
  for (const [param, variable] of LIBPQ_SSL_VARIABLES) {
    const value = env[variable];
    if (!query.has(param) && value) {
      query.set(param, value);
      changed = true;
    }
  }
  if (query.has("sslmode") && !query.has("uselibpqcompat")) {
    query.set("uselibpqcompat", "true");
    changed = true;
  }
  return changed ? url.toString() : spec;
}
