import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/store/index.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "../../src/store/postgres/migrate.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";

// PostgreSQL only: the store keeps to its own schema, and migrations run once, in order, whoever races.
const db = usePostgresDatabase("fluence_schema");
const opened: PostgresStore[] = [];

beforeEach(async () => {
  if (!postgresServer) return;
  await db.reset();
  await (await db.admin()).query("DROP TABLE IF EXISTS public.outcomes");
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.urlWithPassword });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

describe.skipIf(postgresServer === null)("PostgreSQL schema", () => {
  it("keeps every table in the schema fluence, next to a team's own tables of the same names", async () => {
    const admin = await db.admin();
    await admin.query("CREATE TABLE public.outcomes (id int PRIMARY KEY, note text)");
    await admin.query("INSERT INTO public.outcomes VALUES (1, 'the team''s own data')");
    const store = await PostgresStore.open(db.urlWithPassword);
    opened.push(store);
    await store.commitBatch("r", "basic", [{ fp: "x", kind: "ok", analise: "{}" }], []);

    const { rows } = await admin.query(
      `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
        WHERE table_schema IN ('fluence', 'public') ORDER BY 1`,
    );
    expect(rows.map((r) => r.t)).toEqual([
      "fluence.inflight",
      "fluence.key_rate",
      "fluence.outcomes",
      "fluence.runs",
      "fluence.schema_version",
      "public.outcomes",
    ]);
    expect((await admin.query("SELECT note FROM public.outcomes")).rows).toEqual([
      { note: "the team's own data" },
    ]);
    const fn = await admin.query(
      "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE proname = 'claim'",
    );
    expect(fn.rows).toEqual([{ nspname: "fluence" }]);
  });

  it("many processes opening a new database at once migrate it exactly once", async () => {
    const stores = await Promise.all(Array.from({ length: 8 }, () => PostgresStore.open(db.urlWithPassword)));
    opened.push(...stores);
    const admin = await db.admin();
    const { rows } = await admin.query("SELECT version FROM fluence.schema_version ORDER BY version");
    expect(rows).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })));
    const { runId } = await stores[3]!.beginRun();
    expect((await stores[5]!.claim(runId, "b", "basic", ["x"], 0)).claimed).toEqual(["x"]);
  });

  it("runs the migrations a newer fluence adds, in order, once, keeping the data", async () => {
    const store = await PostgresStore.open(db.urlWithPassword);
    await store.commitBatch("r", "basic", [{ fp: "x", kind: "ok", analise: '{"kept":true}' }], []);
    await store.close();
    const later = [
      ...MIGRATIONS,
      "ALTER TABLE fluence.outcomes ADD COLUMN note text",
      "UPDATE fluence.outcomes SET note = 'v' || (SELECT max(version) FROM fluence.schema_version)",
    ];
    const [a, b] = [await client(), await client()];
    try {
      const found = await Promise.all([migrate(a, later), migrate(b, later)]);
      expect(found.sort()).toEqual([SCHEMA_VERSION, SCHEMA_VERSION + 2]);
      expect(await migrate(a, later)).toBe(SCHEMA_VERSION + 2);
      const { rows } = await a.query("SELECT analise, note FROM fluence.outcomes");
      // The second migration ran after the first was recorded, and neither ran twice.
      expect(rows).toEqual([{ analise: '{"kept":true}', note: `v${SCHEMA_VERSION + 1}` }]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("a failing migration changes nothing: no half-made schema, no version recorded", async () => {
    const c = await client();
    try {
      await expect(migrate(c, [...MIGRATIONS, "SELECT no_such_function()"])).rejects.toThrow(
        /no_such_function/u,
      );
      const admin = await db.admin();
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'fluence'",
      );
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await c.end();
    }
  });
});
