import { expect, it } from "vitest";
import { describeBackends } from "./backends.js";

const DAY = 86_400_000;
const ok = (fp: string) => ({ fp, kind: "ok" as const, analise: "{}" });

describeBackends("stats", (kit) => {
  it("is all zeros, without oldest/newest, on an empty store", async () => {
    const store = await kit.open();
    expect(await store.stats()).toEqual({
      path: store.location,
      backend: kit.name,
      sizeBytes: expect.any(Number),
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
      activeRuns: [],
    });
  });

  it("counts outcomes by kind, their time range, claims, runs and the bytes they take", async () => {
    const store = await kit.open();
    const empty = (await store.stats()).sizeBytes;
    const first = kit.clock.now();
    const { runId } = await store.beginRun();
    await store.commitBatch(runId, "basic", [ok("a")], []);
    kit.clock.advance(DAY);
    await store.commitBatch(
      runId,
      "basic",
      [ok("b"), { fp: "c", kind: "error", code: "PROFILE_NOT_FOUND" }],
      [],
    );
    await store.claim(runId, "b9", "basic", ["d", "e"], 0);
    const stats = await store.stats();
    expect(stats).toMatchObject({ outcomes: 3, ok: 2, errors: 1, oldest: first, newest: first + DAY });
    expect(stats).toMatchObject({ inflight: 2, runs: 1, backend: kit.name });
    expect(stats.sizeBytes).toBeGreaterThan(0);
    expect(stats.sizeBytes).toBeGreaterThanOrEqual(empty);
  });
});

describeBackends("prune", (kit) => {
  it("deletes outcomes and ended runs older than the age, keeping newer ones and open runs", async () => {
    const store = await kit.open();
    const old = (await store.beginRun()).runId;
    await store.commitBatch(old, "basic", [ok("a")], []);
    await store.endRun(old);
    const open = (await store.beginRun()).runId;
    kit.clock.advance(40 * DAY);
    await store.commitBatch(open, "basic", [ok("b")], []);

    expect(await store.prune(30 * DAY)).toBe(1);
    expect([...(await store.lookup(["a", "b"], "basic", 0)).keys()]).toEqual(["b"]);
    expect(await kit.runIds()).toEqual([open]);
  });

  it("with age 0 deletes everything fetched before now", async () => {
    const store = await kit.open();
    await store.commitBatch("r", "basic", [ok("a")], []);
    kit.clock.advance(1);
    expect(await store.prune(0)).toBe(1);
    expect(await store.prune(0)).toBe(0);
    expect((await store.stats()).outcomes).toBe(0);
  });
});
