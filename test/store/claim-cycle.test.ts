import { expect, it } from "vitest";
import { describeBackends } from "./backends.js";

const ok = (fp: string, analise = "{}") => ({ fp, kind: "ok" as const, analise });

describeBackends("claim, commitBatch, release", (kit) => {
  it("claims free fps, reports fresh ones as done, and is idempotent for its own claims", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await store.commitBatch("earlier", "basic", [ok("a")], []);

    const first = await store.claim(runId, "b1", "basic", ["a", "b", "c", "b"], 0);
    expect(first.claimed).toEqual(["b", "c"]);
    expect([...first.done.keys()]).toEqual(["a"]);
    expect(first.done.get("a")).toMatchObject({ runId: "earlier", kind: "ok" });
    expect(first.busy).toEqual([]);

    const again = await store.claim(runId, "b2", "basic", ["b", "c"], 0);
    expect(again.claimed).toEqual(["b", "c"]);
    expect(await kit.batchOf("b")).toBe("b2");
    expect(await kit.inflightCount(runId)).toBe(2);
  });

  it("claims nothing and sends nothing for an empty batch", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    expect(await store.claim(runId, "b1", "basic", [], 0)).toEqual({
      claimed: [],
      done: new Map(),
      busy: [],
    });
  });

  it("treats an outcome older than freshSince as not done", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await store.commitBatch("earlier", "basic", [ok("a")], []);
    kit.clock.advance(10);
    expect((await store.claim(runId, "b1", "basic", ["a"], kit.clock.now())).claimed).toEqual(["a"]);
  });

  it("counts as done exactly what the serving rule serves", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await store.commitBatch("r", "complete", [ok("full")], []);
    await store.commitBatch("r", "basic", [ok("basic")], []);
    await store.commitBatch("r", "basic", [{ fp: "gone", kind: "error", code: "PROFILE_NOT_FOUND" }], []);

    const basic = await store.claim(runId, "b1", "basic", ["full", "basic", "gone", "new"], 0);
    expect([...basic.done.keys()].sort()).toEqual(["basic", "full", "gone"]);
    expect(basic.claimed).toEqual(["new"]);

    const complete = await store.claim(runId, "b2", "complete", ["full", "basic", "gone", "new"], 0);
    expect([...complete.done.keys()].sort()).toEqual(["full", "gone"]);
    // The same person on the other endpoint is another claim: "new" is held for both analyses now.
    expect(complete.claimed).toEqual(["basic", "new"]);
  });

  it("commitBatch stores outcomes and releases every fp of the batch", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await store.claim(runId, "b1", "basic", ["a", "b", "c"], 0);
    await store.commitBatch(
      runId,
      "basic",
      [ok("a", '{"cargo":"CTO"}'), { fp: "b", kind: "error", code: "PROFILE_NOT_FOUND" }],
      ["a", "b", "c"],
    );
    expect(await store.stats()).toMatchObject({ outcomes: 2, ok: 1, errors: 1, inflight: 0 });
    expect((await store.lookup(["a"], "basic", 0)).get("a")).toMatchObject({
      runId,
      fetchedAt: kit.clock.now(),
    });
    // c had a retryable failure: nothing stored, and claimable again.
    expect(await store.claim(runId, "b2", "basic", ["a", "c"], 0)).toMatchObject({
      claimed: ["c"],
      busy: [],
    });
  });

  it("commitBatch overwrites an older outcome for the same person", async () => {
    const store = await kit.open();
    await store.commitBatch(
      "r1",
      "basic",
      [{ fp: "a", kind: "error", code: "PROFILE_NOT_FOUND", message: "m" }],
      [],
    );
    kit.clock.advance(5);
    await store.commitBatch("r2", "basic", [ok("a")], []);
    expect((await store.lookup(["a"], "basic", 0)).get("a")).toEqual({
      fp: "a",
      endpoint: "crm_basico_batch",
      kind: "ok",
      analise: "{}",
      fetchedAt: kit.clock.now(),
      runId: "r2",
    });
  });

  it("commitBatch is atomic: an invalid outcome leaves nothing stored and the claims held", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await store.claim(runId, "b1", "basic", ["a", "b"], 0);
    await expect(
      store.commitBatch(
        runId,
        "basic",
        // ok without analise violates the table's CHECK
        [ok("a"), { fp: "b", kind: "ok" }],
        ["a", "b"],
      ),
    ).rejects.toThrow(/check constraint/i);
    expect(await store.stats()).toMatchObject({ outcomes: 0, inflight: 2 });
  });

  it("release frees claims without storing anything, and only this run's", async () => {
    const store = await kit.open();
    const other = await kit.open();
    const mine = (await store.beginRun()).runId;
    const theirs = (await other.beginRun()).runId;
    await store.claim(mine, "b1", "basic", ["a", "b"], 0);
    await other.claim(theirs, "b1", "basic", ["c"], 0);
    await store.release(mine, "basic", ["a", "c"]);
    expect(await store.stats()).toMatchObject({ outcomes: 0, inflight: 2 });
    expect(await other.claim(theirs, "b2", "basic", ["a", "b"], 0)).toMatchObject({
      claimed: ["a"],
      busy: ["b"],
    });
  });

  it("endRun releases what is left and marks the run ended", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await store.claim(runId, "b1", "basic", ["a", "b"], 0);
    kit.clock.advance(7);
    await store.endRun(runId);
    expect((await store.stats()).inflight).toBe(0);
    expect(await kit.endedAt(runId)).toBe(kit.clock.now());
  });
});

describeBackends("two runs on one store", (kit) => {
  it("never both claim one fp: the second sees busy, then done once the first commits", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun()).runId;
    const runB = (await b.beginRun()).runId;

    expect((await a.claim(runA, "a1", "basic", ["x", "y"], 0)).claimed).toEqual(["x", "y"]);
    const blocked = await b.claim(runB, "b1", "basic", ["x", "y", "z"], 0);
    expect(blocked).toMatchObject({ claimed: ["z"], busy: ["x", "y"] });

    await a.commitBatch(runA, "basic", [ok("x", '{"by":"a"}')], ["x", "y"]);
    const retry = await b.claim(runB, "b2", "basic", ["x", "y"], 0);
    expect(retry.claimed).toEqual(["y"]);
    expect(retry.done.get("x")).toMatchObject({ runId: runA, analise: '{"by":"a"}' });
    expect(retry.busy).toEqual([]);
  });

  it("a claim for one endpoint does not hold the person for the other", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun()).runId;
    const runB = (await b.beginRun()).runId;
    await a.claim(runA, "a1", "basic", ["x"], 0);
    expect((await b.claim(runB, "b1", "complete", ["x"], 0)).claimed).toEqual(["x"]);
    expect((await b.claim(runB, "b2", "basic", ["x"], 0)).busy).toEqual(["x"]);
  });
});
