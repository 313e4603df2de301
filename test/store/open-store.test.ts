import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPostgresSpec, openStore, PostgresStore, SqliteStore } from "../../src/store/index.js";
import { UserError } from "../../src/user-error.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";
import { makeTempDir } from "./temp-dir.js";

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.cleanup());

async function refusal(spec: string): Promise<UserError> {
  const error = await openStore(spec).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  if (error instanceof UserError) return error;
  throw new Error(`expected a UserError for ${spec}, got ${String(error)}`);
}

describe("openStore", () => {
  it("tells PostgreSQL URLs from file names", () => {
    expect(isPostgresSpec("postgres://u@h:5432/db")).toBe(true);
    expect(isPostgresSpec("  POSTGRESQL://u@h/db")).toBe(true);
    expect(isPostgresSpec("postgres:/not-a-url")).toBe(false);
    expect(isPostgresSpec("C:\\Users\\ana\\store.sqlite")).toBe(false);
    expect(isPostgresSpec("/srv/postgres://odd/store.sqlite")).toBe(false);
  });

  it("opens a SQLite file for anything that is not a URL, colons included", async () => {
    const file = path.join(temp.dir, "a:b.sqlite");
    const store = await openStore(file);
    expect(store).toBeInstanceOf(SqliteStore);
    expect(store.location).toBe(file);
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  it.each([
    ["mysql://ana:s3cret-pw@db.example.com/crm", "mysql"],
    ["https://ana:s3cret-pw@example.com/store", "https"],
    ["sqlite://ana:s3cret-pw@/tmp/store.sqlite", "sqlite"],
  ])("refuses %s as an unknown kind of store (exit 2), never as a file name", async (spec, scheme) => {
    const error = await refusal(spec);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `The store "${scheme}://…" is not a known kind of store: use a file path for SQLite or postgres://user@host:port/db for PostgreSQL.`,
    );
    expect(error.message).not.toContain("s3cret-pw");
    expect(existsSync(path.join(process.cwd(), `${scheme}:`))).toBe(false);
  });

  it.each([
    "postgres://ana:s3cret-pw@db.example.com:port/crm",
    "postgres://ana:s3cret-pw@[::1/crm",
    "postgresql://ana:s3cret-pw@db.example.com:99999/crm",
    "postgres://ana:s3cret-pw@db.example.com/crm#fragment",
  ])("refuses the malformed PostgreSQL URL %s (exit 2) without repeating it", async (spec) => {
    const error = await refusal(spec);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(
      /^The store URL "postgres(ql)?:\/\/…" is not a valid PostgreSQL URL; use postgres:\/\//,
    );
    expect(error.message).not.toContain("s3cret-pw");
    expect(error.message).not.toContain("db.example.com");
  });
});

describe.skipIf(postgresServer === null)("openStore with a PostgreSQL URL", () => {
  const db = usePostgresDatabase("fluence_open");

  it("opens a PostgresStore for postgres:// and postgresql:// alike, located without the password", async () => {
    for (const url of [db.urlWithPassword, db.urlWithPassword.replace(/^postgres:/, "postgresql:")]) {
      const store = await openStore(url);
      expect(store).toBeInstanceOf(PostgresStore);
      expect(store.backend).toBe("postgres");
      expect(store.location).toBe(db.url);
      expect(store.location).not.toContain(db.server.password);
      await store.close();
    }
  });
});
