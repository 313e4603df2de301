import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type OpenStoreOptions, PostgresStore } from "../../src/store/index.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";
import { elapse } from "../helpers/wait.js";

// PostgreSQL only: a claim is held while its lease, on the server's clock, has not expired; the run's
// heartbeat renews it. These tests use real, short leases.
const db = usePostgresDatabase("fluence_lease");
const opened: PostgresStore[] = [];

async function open(options: OpenStoreOptions = {}): Promise<PostgresStore> {
  const store = await PostgresStore.open(db.urlWithPassword, options);
  opened.push(store);
  return store;
}

async function leaseLeftMs(table: "runs" | "inflight", where: string, value: string): Promise<number> {
  const admin = await db.admin();
  const { rows } = await admin.query(
    `SELECT (extract(epoch FROM lease_until - now()) * 1000)::int AS ms FROM fluence.${table} WHERE ${where} = $1`,
    [value],
  );
  return rows[0].ms;
}

beforeEach(async () => {
  if (postgresServer) await db.reset();
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

describe.skipIf(postgresServer === null)("PostgreSQL leases", () => {
  it("a claim's lease runs staleAfterMs from the server's now, for the run and each claim", async () => {
    const store = await open({ staleAfterMs: 45_000, heartbeatMs: 60_000 });
    const { runId } = await store.beginRun();
    await store.claim(runId, "b1", "basic", ["x"], 0);
    for (const left of [await leaseLeftMs("runs", "id", runId), await leaseLeftMs("inflight", "fp", "x")]) {
      expect(left).toBeGreaterThan(44_000);
      expect(left).toBeLessThanOrEqual(45_000);
    }
  });

  it("the heartbeat keeps a live run's claims across several lease lengths; once it stops, they expire", async () => {
    // Short, but not so short that a loaded machine delaying one beat would break it.
    const lease = { staleAfterMs: 1_500, heartbeatMs: 100 };
    const live = await open(lease);
    const liveRun = (await live.beginRun()).runId;
    await live.claim(liveRun, "b1", "basic", ["a", "b"], 0);
    const other = await open(lease);
    const otherRun = (await other.beginRun()).runId;

    for (let i = 0; i < 4; i++) {
      await elapse(1_000);
      expect(await other.claim(otherRun, `b${i}`, "basic", ["a", "b"], 0)).toMatchObject({
        claimed: [],
        busy: ["a", "b"],
      });
    }
    expect(await other.peekStaleInflight()).toBe(0);

    // The live run dies: no endRun, no more heartbeats.
    await live.close();
    await elapse(2_000);
    expect(await other.peekStaleInflight()).toBe(2);
    const next = await open(lease);
    expect(await next.beginRun()).toMatchObject({ staleInflight: 2, staleRuns: 1 });
    expect(await other.claim(otherRun, "b9", "basic", ["a", "b"], 0)).toMatchObject({ claimed: ["a", "b"] });
  });

  it("client clocks do not matter: a run whose clock is hours ahead still sees a live lease as live", async () => {
    const ahead = await open({ now: () => Date.now() + 6 * 3_600_000 });
    const behind = await open({ now: () => Date.now() - 6 * 3_600_000 });
    const runBehind = (await behind.beginRun()).runId;
    await behind.claim(runBehind, "b1", "basic", ["x"], 0);
    const runAhead = (await ahead.beginRun()).runId;
    expect(await ahead.claim(runAhead, "a1", "basic", ["x"], 0)).toMatchObject({ busy: ["x"] });
    expect(await ahead.peekStaleInflight()).toBe(0);
  });

  it("a run that comes back after its lease lapsed is alive again: its new claims hold", async () => {
    const slow = await open({ heartbeatMs: 60_000 });
    const slowRun = (await slow.beginRun()).runId;
    await slow.claim(slowRun, "s1", "basic", ["x"], 0);
    // Its lease lapses (a long pause, a network partition) and another run clears it away as dead.
    const admin = await db.admin();
    await admin.query("UPDATE fluence.runs SET lease_until = now() - interval '1 ms'");
    await admin.query("UPDATE fluence.inflight SET lease_until = now() - interval '1 ms'");
    const other = await open();
    expect(await other.beginRun()).toMatchObject({ staleInflight: 1, staleRuns: 1 });
    // The slow run was only slow: it claims again, under a fresh lease, and holds.
    expect((await slow.claim(slowRun, "s2", "basic", ["y"], 0)).claimed).toEqual(["y"]);
    expect(await leaseLeftMs("runs", "id", slowRun)).toBeGreaterThan(25_000);
    const third = await open();
    expect(await third.beginRun()).toMatchObject({ staleInflight: 0, staleRuns: 0 });
    const otherRun = (await other.beginRun()).runId;
    expect(await other.claim(otherRun, "o1", "basic", ["y"], 0)).toMatchObject({ busy: ["y"] });
  });

  it("endRun waits for a renewal in flight, so an ended run is never renewed back to life", async () => {
    const store = await open({ heartbeatMs: 5 });
    for (let i = 0; i < 20; i++) {
      const { runId } = await store.beginRun();
      await elapse(i % 7);
      await store.endRun(runId);
    }
    await elapse(50);
    const admin = await db.admin();
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM fluence.runs WHERE ended_at IS NULL");
    expect(rows[0].n).toBe(0);
  });
});
