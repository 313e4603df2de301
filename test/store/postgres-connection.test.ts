import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type OutcomeStore, openStore, PostgresStore } from "../../src/store/index.js";
import { UserError } from "../../src/user-error.js";
import { startPostgres } from "../helpers/postgres-server.mjs";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";

// PostgreSQL only: the URL and the PG* variables, the redacted location, and each way a connection fails,
// as one sentence with its exit code and never the password.
const db = usePostgresDatabase("fluence_conn");
const opened: OutcomeStore[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const store of opened.splice(0)) await store.close();
});

const PG_VARS = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE", "PGAPPNAME"];
function cleanPgEnv(): void {
  for (const name of PG_VARS) vi.stubEnv(name, undefined);
}

async function failure(spec: string, options = {}): Promise<UserError> {
  const error = await PostgresStore.open(spec, { connectTimeoutMs: 5_000, ...options }).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  if (error instanceof UserError) return error;
  throw new Error(`expected a UserError, got ${String(error)}`);
}

/** A sentence, with nothing of the password in it or in its cause. */
function expectOneSentence(error: UserError, exitCode: number, secret: string): void {
  expect(error.exitCode).toBe(exitCode);
  expect(error.message).toMatch(/^[A-Z].*\.$/u);
  expect(error.message).not.toMatch(/\n/u);
  expect(error.message).not.toContain(secret);
  const cause = error.cause as Error | undefined;
  if (cause) expect(`${cause.message} ${cause.stack ?? ""}`).not.toContain(secret);
}

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(postgresServer === null)("PostgreSQL connection settings", () => {
  it("locates the store by the URL without its password, query string or scheme variant", async () => {
    cleanPgEnv();
    const url = `${db.urlWithPassword.replace(/^postgres:/u, "postgresql:")}?application_name=crm-nightly`;
    const store = await PostgresStore.open(url);
    opened.push(store);
    expect(store.location).toBe(db.url);
    expect((await store.stats()).path).toBe(db.url);
  });

  it("takes what the URL leaves out from PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE", async () => {
    const s = db.server;
    cleanPgEnv();
    vi.stubEnv("PGHOST", "127.0.0.1");
    vi.stubEnv("PGPORT", String(s.port));
    vi.stubEnv("PGUSER", s.user);
    vi.stubEnv("PGPASSWORD", s.password);
    vi.stubEnv("PGDATABASE", db.name);
    const store = await openStore("postgres://");
    opened.push(store);
    expect(store.location).toBe(`postgres://${s.user}@127.0.0.1:${s.port}/${db.name}`);
    await store.commitBatch("r", "basic", [{ fp: "x", kind: "ok", analise: "{}" }], []);
    expect((await store.stats()).outcomes).toBe(1);
  });

  it("lets the URL win over the PG* variables", async () => {
    const s = db.server;
    cleanPgEnv();
    vi.stubEnv("PGHOST", "no-such-host.invalid");
    vi.stubEnv("PGPORT", "1");
    vi.stubEnv("PGDATABASE", "no_such_db");
    vi.stubEnv("PGPASSWORD", s.password);
    const store = await openStore(db.url);
    opened.push(store);
    expect(store.location).toBe(db.url);
  });
});

describe.skipIf(postgresServer === null)("PostgreSQL connections that cannot be made", () => {
  it("connection refused: exit 7, naming host:port/db and what to check", async () => {
    cleanPgEnv();
    const port = await closedPort();
    const error = await failure(`postgres://ana:s3cret-refused@127.0.0.1:${port}/crm`);
    expectOneSentence(error, 7, "s3cret-refused");
    expect(error.message).toBe(
      `Cannot reach the PostgreSQL store at postgres://ana@127.0.0.1:${port}/crm: the connection was refused; check that the server is running and that the host and port (URL, PGHOST, PGPORT) are right.`,
    );
  });

  it("unknown host: exit 7, naming the host", async () => {
    cleanPgEnv();
    const error = await failure("postgres://ana:s3cret-host@no-such-host.invalid:5432/crm");
    expectOneSentence(error, 7, "s3cret-host");
    expect(error.message).toBe(
      'Cannot reach the PostgreSQL store at postgres://ana@no-such-host.invalid:5432/crm: the host "no-such-host.invalid" is unknown; check the host name in the URL or PGHOST.',
    );
  });

  it("a server that never answers: exit 7 after the connect timeout", async () => {
    cleanPgEnv();
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const error = await failure(`postgres://ana:s3cret-silent@127.0.0.1:${port}/crm`, {
        connectTimeoutMs: 300,
      });
      expectOneSentence(error, 7, "s3cret-silent");
      expect(error.message).toContain(`postgres://ana@127.0.0.1:${port}/crm: no answer within 0.3 s`);
    } finally {
      silent.close();
    }
  });

  it("wrong password, from the URL or PGPASSWORD: exit 7, and the password is in no message", async () => {
    const s = db.server;
    cleanPgEnv();
    const viaUrl = await failure(`postgres://${s.user}:Wr0ng-Passw0rd@127.0.0.1:${s.port}/${db.name}`);
    expectOneSentence(viaUrl, 7, "Wr0ng-Passw0rd");
    expect(viaUrl.message).toBe(
      `The server refused user "${s.user}" for the PostgreSQL store at ${db.url} (wrong password); check the user and the password (in PGPASSWORD, ~/.pgpass or the URL).`,
    );
    vi.stubEnv("PGPASSWORD", "Wr0ng-Env-Passw0rd");
    const viaEnv = await failure(db.url);
    expectOneSentence(viaEnv, 7, "Wr0ng-Env-Passw0rd");
    expect(viaEnv.message).toBe(viaUrl.message);
  });

  it("no password at all where the server asks for one: exit 7", async () => {
    cleanPgEnv();
    vi.stubEnv("HOME", "/nonexistent");
    const error = await failure(db.url);
    expectOneSentence(error, 7, db.server.password);
    expect(error.message).toContain("it asked for a password and none was given");
  });

  it("a database that does not exist: exit 7, naming it", async () => {
    const s = db.server;
    cleanPgEnv();
    vi.stubEnv("PGPASSWORD", s.password);
    const error = await failure(`postgres://${s.user}@127.0.0.1:${s.port}/no_such_db`);
    expectOneSentence(error, 7, s.password);
    expect(error.message).toBe(
      `Cannot open the PostgreSQL store at postgres://${s.user}@127.0.0.1:${s.port}/no_such_db: the database "no_such_db" does not exist; create it (createdb no_such_db) or fix the database name in the URL or PGDATABASE.`,
    );
  });

  it("a user who may not create the schema: exit 7, saying what the owner must run", async () => {
    const s = db.server;
    const admin = await db.admin();
    await db.reset();
    await admin.query("DROP ROLE IF EXISTS fluence_limited");
    await admin.query("CREATE ROLE fluence_limited LOGIN PASSWORD 'L1mited-pass'");
    const url = `postgres://fluence_limited:L1mited-pass@127.0.0.1:${s.port}/${db.name}`;
    try {
      const error = await failure(url);
      expectOneSentence(error, 7, "L1mited-pass");
      expect(error.message).toContain('user "fluence_limited" may not create the schema "fluence"');
      expect(error.message).toContain("CREATE SCHEMA fluence AUTHORIZATION");
      // What the sentence says works: a schema the owner made for that user is enough.
      await admin.query("CREATE SCHEMA fluence AUTHORIZATION fluence_limited");
      const store = await PostgresStore.open(url);
      opened.push(store);
      expect((await store.stats()).outcomes).toBe(0);
    } finally {
      for (const store of opened.splice(0)) await store.close();
      await db.reset();
      await admin.query("DROP OWNED BY fluence_limited");
      await admin.query("DROP ROLE fluence_limited");
    }
  });
});

describe.skipIf(postgresServer === null)("PostgreSQL connections that drop mid-run", () => {
  const LOST = (location: string) =>
    `The connection to the PostgreSQL store at ${location} was lost; what was already committed is kept; run again.`;

  async function terminateStoreSessions(): Promise<number> {
    const admin = await db.admin();
    const { rows } = await admin.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'fluence'`,
    );
    return rows[0].n;
  }

  it("terminated while idle: the next call fails with one sentence, exit 7; what was committed stays", async () => {
    await db.reset();
    const store = await PostgresStore.open(db.urlWithPassword);
    opened.push(store);
    const { runId } = await store.beginRun();
    await store.claim(runId, "b1", "basic", ["a", "b"], 0);
    await store.commitBatch(runId, "basic", [{ fp: "a", kind: "ok", analise: "{}" }], ["a", "b"]);
    expect(await terminateStoreSessions()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const error = await store.claim(runId, "b2", "basic", ["c"], 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expectOneSentence(error as UserError, 7, db.server.password);
    expect((error as UserError).message).toBe(LOST(db.url));
    await expect(store.lookup(["a"], "basic", 0)).rejects.toThrow(LOST(db.url));
    await store.close();

    const again = await PostgresStore.open(db.urlWithPassword);
    opened.push(again);
    expect((await again.lookup(["a"], "basic", 0)).has("a")).toBe(true);
  });

  it("terminated during a statement: that call fails with the same sentence", async () => {
    await db.reset();
    const store = await PostgresStore.open(db.urlWithPassword);
    opened.push(store);
    const { runId } = await store.beginRun();
    const admin = await db.admin();
    await admin.query("BEGIN");
    await admin.query("LOCK TABLE fluence.inflight IN ACCESS EXCLUSIVE MODE");
    const pending = store.claim(runId, "b1", "basic", ["x"], 0).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await terminateStoreSessions();
    await admin.query("ROLLBACK");
    const error = await pending;
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(LOST(db.url));
    expect((error as UserError).exitCode).toBe(7);
  });

  it("the server goes away: the next call fails with the same sentence instead of crashing", async () => {
    const own = await startPostgres();
    try {
      const url = `postgres://${own.user}:${encodeURIComponent(own.password)}@127.0.0.1:${own.port}/postgres`;
      const store = await PostgresStore.open(url, { heartbeatMs: 20 });
      opened.push(store);
      const { runId } = await store.beginRun();
      await store.claim(runId, "b1", "basic", ["x"], 0);
      await own.stop();
      // Heartbeats keep failing meanwhile; none may surface as an unhandled error.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const error = await store.commitBatch(runId, "basic", [], ["x"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expectOneSentence(error as UserError, 7, own.password);
      expect((error as UserError).message).toBe(
        LOST(`postgres://${own.user}@127.0.0.1:${own.port}/postgres`),
      );
      await store.close();
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});
