import pg from "pg";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PostgresStore } from "../../src/store/index.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";

// PostgreSQL only: each store call is a fixed number of statements, each statement one round trip.
// Counted at the driver: every client.query call of the store's connection.
const db = usePostgresDatabase("fluence_trips");
let store: PostgresStore | undefined;

beforeEach(async () => {
  if (postgresServer) await db.reset();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store?.close();
  store = undefined;
});

/** Statements sent by `fn`, and their text. */
async function trips(fn: () => Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(pg.Client.prototype, "query");
  try {
    await fn();
    return spy.mock.calls.map(([config]) =>
      typeof config === "string" ? config : (config as { text: string }).text,
    );
  } finally {
    spy.mockRestore();
  }
}

const people = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `fp-${from + i}`);

describe.skipIf(postgresServer === null)("PostgreSQL round trips", () => {
  it("one statement per claim, per commit, per release, per run start and end", async () => {
    // No heartbeat may slip into the counts.
    store = await PostgresStore.open(db.urlWithPassword, { heartbeatMs: 3_600_000 });
    const s = store;
    let runId = "";
    expect(
      await trips(async () => {
        runId = (await s.beginRun()).runId;
      }),
    ).toHaveLength(1);
    const batch = people(10);
    const claim = await trips(() => s.claim(runId, "b1", "basic", batch, 0));
    expect(claim).toHaveLength(1);
    expect(claim[0]).toMatch(/fluence\.claim_paced\(/u);
    // The key's next start rides on the claim: still one statement.
    const slot = {
      keyId: "k",
      targetPerMinute: 99,
      floorPerMinute: 9.9,
      recoveryPerMinute: 0.99,
      healthy: 0,
      minGapMs: 0,
    };
    let paced: Awaited<ReturnType<typeof s.claim>> | undefined;
    expect(
      await trips(async () => {
        paced = await s.claim(runId, "b0", "basic", people(2, 500), 0, slot);
      }),
    ).toHaveLength(1);
    expect(paced?.slot).toMatchObject({ waitMs: 0, ratePerMinute: 99, quotaAt: null });
    const outcomes = batch.slice(0, 8).map((fp) => ({ fp, kind: "ok" as const, analise: "{}" }));
    expect(await trips(() => s.commitBatch(runId, "basic", outcomes, batch))).toHaveLength(1);
    await s.claim(runId, "b2", "basic", people(10, 100), 0);
    expect(await trips(() => s.release(runId, "basic", people(10, 100)))).toHaveLength(1);
    expect(await trips(() => s.endRun(runId))).toHaveLength(1);
    expect(await trips(() => s.peekStaleInflight())).toHaveLength(1);
    expect(await trips(() => s.stats())).toHaveLength(1);
    expect(await trips(() => s.prune(0))).toHaveLength(1);
  });

  it("one lookup statement per chunk: 1,000 fps in one, 12,000 in three (= ANY of 5,000)", async () => {
    store = await PostgresStore.open(db.urlWithPassword, { heartbeatMs: 3_600_000 });
    const s = store;
    const fps = people(12_000);
    await s.commitBatch(
      "seed",
      "basic",
      fps.map((fp) => ({ fp, kind: "ok" as const, analise: "{}" })),
      [],
    );
    let found = 0;
    const one = await trips(async () => {
      found = (await s.lookup(fps.slice(0, 1_000), "basic", 0)).size;
    });
    expect(one).toHaveLength(1);
    expect(one[0]).toMatch(/= ANY \(\$1::text\[\]\)/u);
    expect(found).toBe(1_000);
    expect(await trips(() => s.lookup(fps, "basic", 0))).toHaveLength(3);
    expect(await trips(() => s.lookup([], "basic", 0))).toHaveLength(0);
  });

  it("opening an up-to-date store costs one statement after connecting", async () => {
    await (await PostgresStore.open(db.urlWithPassword)).close();
    const sent = await trips(async () => {
      store = await PostgresStore.open(db.urlWithPassword);
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/schema_version/u);
  });
});
