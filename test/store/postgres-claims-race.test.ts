import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/sandbox/sandbox-faults.js";
import { PostgresStore } from "../../src/store/index.js";
import { postgresServer, usePostgresDatabase } from "../helpers/postgres-test.js";

// PostgreSQL only: claims made by different connections (different hosts, as far as the store can tell)
// under READ COMMITTED, raced for real. Every run here "sends" what it claimed and commits an outcome;
// a person must be held by at most one run at a time, and sent exactly once.
const db = usePostgresDatabase("fluence_race");
const opened: PostgresStore[] = [];

async function open(): Promise<PostgresStore> {
  const store = await PostgresStore.open(db.urlWithPassword, { heartbeatMs: 60_000 });
  opened.push(store);
  return store;
}

beforeEach(async () => {
  if (postgresServer) await db.reset();
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

interface Tally {
  sent: Map<string, number>;
  holder: Map<string, string>;
  overlaps: string[];
  done: number;
  busy: number;
}

/** One run on one store: `workers` concurrent loops claim batches of its queue until it is empty. */
async function runOn(store: PostgresStore, queue: string[], workers: number, tally: Tally, seed: number) {
  const random = mulberry32(seed);
  const { runId } = await store.beginRun();
  let batchSeq = 0;
  const worker = async () => {
    for (;;) {
      const batch = queue.splice(0, 1 + Math.floor(random() * 10));
      if (batch.length === 0) return;
      const claim = await store.claim(runId, `${runId}:${++batchSeq}`, "basic", batch, 0);
      tally.done += claim.done.size;
      tally.busy += claim.busy.length;
      for (const fp of claim.claimed) {
        const other = tally.holder.get(fp);
        if (other !== undefined && other !== runId) tally.overlaps.push(fp);
        tally.holder.set(fp, runId);
        tally.sent.set(fp, (tally.sent.get(fp) ?? 0) + 1);
      }
      // Held people go back to the end of the queue: the holder will have committed by then.
      queue.push(...claim.busy);
      if (claim.claimed.length === 0) {
        if (claim.busy.length > 0) await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
      for (const fp of claim.claimed) tally.holder.delete(fp);
      await store.commitBatch(
        runId,
        "basic",
        claim.claimed.map((fp) => ({ fp, kind: "ok" as const, analise: `{"by":"${runId}"}` })),
        claim.claimed,
      );
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  await store.endRun(runId);
}

function shuffled(items: string[], seed: number): string[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe.skipIf(postgresServer === null)("PostgreSQL claims raced by concurrent runs", () => {
  it.each([
    { stores: 2, workers: 8, people: 1_500 },
    { stores: 6, workers: 4, people: 1_500 },
  ])(
    "$stores stores x $workers concurrent calls over the same $people people: each sent exactly once",
    async ({ stores, workers, people }) => {
      const fps = Array.from({ length: people }, (_, i) => `person-${i}`);
      const tally: Tally = { sent: new Map(), holder: new Map(), overlaps: [], done: 0, busy: 0 };
      const all = await Promise.all(Array.from({ length: stores }, () => open()));
      await Promise.all(all.map((store, i) => runOn(store, shuffled(fps, 100 + i), workers, tally, 7 + i)));

      expect(tally.overlaps).toEqual([]);
      expect([...tally.sent.values()].filter((n) => n !== 1)).toEqual([]);
      expect(tally.sent.size).toBe(people);
      // Every run met the others' people: the race was real.
      expect(tally.done).toBeGreaterThan(0);
      const stats = await all[0]!.stats();
      expect(stats).toMatchObject({ outcomes: people, inflight: 0 });
    },
  );

  it("a claim racing another run's commit of the same person gives it back as done, never sends it", async () => {
    const a = await open();
    const b = await open();
    const runA = (await a.beginRun()).runId;
    const runB = (await b.beginRun()).runId;
    expect((await a.claim(runA, "a1", "basic", ["x", "y"], 0)).claimed).toEqual(["x", "y"]);

    // Run A's commit, caught half way: outcome written and claim deleted, transaction still open.
    const admin = await db.admin();
    await admin.query("BEGIN");
    await admin.query(
      `INSERT INTO fluence.outcomes (fp, endpoint, kind, analise, fetched_at, run_id)
       VALUES ('x', 'crm_basico_batch', 'ok', '{"by":"a"}', 1, $1)`,
      [runA],
    );
    await admin.query("DELETE FROM fluence.inflight WHERE fp = 'x' AND run_id = $1", [runA]);
    const racing = b.claim(runB, "b1", "basic", ["x", "y", "z"], 0);
    await waitForLockWait(admin);
    await admin.query("COMMIT");

    const result = await racing;
    expect(result.done.get("x")).toMatchObject({ runId: runA, analise: '{"by":"a"}' });
    expect(result.claimed).toEqual(["z"]);
    expect(result.busy).toEqual(["y"]);
    expect(await holders()).toEqual([
      { fp: "y", run_id: runA },
      { fp: "z", run_id: runB },
    ]);
  });

  it("a claim racing another run's release takes the person over", async () => {
    const a = await open();
    const b = await open();
    const runA = (await a.beginRun()).runId;
    const runB = (await b.beginRun()).runId;
    await a.claim(runA, "a1", "basic", ["x"], 0);
    const admin = await db.admin();
    await admin.query("BEGIN");
    await admin.query("DELETE FROM fluence.inflight WHERE fp = 'x' AND run_id = $1", [runA]);
    const racing = b.claim(runB, "b1", "basic", ["x"], 0);
    await waitForLockWait(admin);
    await admin.query("COMMIT");
    expect(await racing).toMatchObject({ claimed: ["x"], busy: [] });
    expect(await holders()).toEqual([{ fp: "x", run_id: runB }]);
  });

  it("runs stealing the same expired claims at once split them: none is taken twice", async () => {
    const fps = Array.from({ length: 300 }, (_, i) => `stale-${i}`);
    const admin = await db.admin();
    const first = await open();
    await admin.query(
      `INSERT INTO fluence.inflight (fp, endpoint, run_id, batch_id, claimed_at, lease_until)
       SELECT f, 'crm_basico_batch', 'dead', 'b', now(), now() - interval '1 second' FROM unnest($1::text[]) AS f`,
      [fps],
    );
    const stores = [first, ...(await Promise.all(Array.from({ length: 5 }, () => open())))];
    const runs = await Promise.all(stores.map(async (store) => ({ store, runId: randomRun() })));
    const claims = await Promise.all(
      runs.flatMap(({ store, runId }) =>
        [0, 1, 2].map((k) => store.claim(runId, `b${k}`, "basic", shuffled(fps, k + runId.length), 0)),
      ),
    );
    const taken = claims.flatMap((c) => c.claimed);
    const byRun = new Map<string, number>();
    for (const row of await holders()) byRun.set(row.fp, (byRun.get(row.fp) ?? 0) + 1);
    expect(byRun.size).toBe(fps.length);
    // One run may claim a person again in its own next batch; across runs, never.
    const winners = new Map<string, Set<string>>();
    claims.forEach((claim, i) => {
      const runId = runs[Math.floor(i / 3)]!.runId;
      for (const fp of claim.claimed) winners.set(fp, (winners.get(fp) ?? new Set()).add(runId));
    });
    expect([...winners.values()].filter((set) => set.size > 1)).toEqual([]);
    expect(new Set(taken).size).toBe(fps.length);
  });
});

let runSeq = 0;
function randomRun(): string {
  return `run-${++runSeq}-${Math.random().toString(36).slice(2, 8)}`;
}

async function holders(): Promise<Array<{ fp: string; run_id: string }>> {
  const admin = await db.admin();
  return (await admin.query("SELECT fp, run_id FROM fluence.inflight ORDER BY fp")).rows;
}

/** Resolves once a fluence session of this database waits for a row lock (the race is set up). */
async function waitForLockWait(admin: Awaited<ReturnType<typeof db.admin>>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'fluence' AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error("the racing claim never waited for the lock");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
