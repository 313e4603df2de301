import { expect, it } from "vitest";
import { describeBackends } from "./backends.js";

describeBackends("runs that died with people in flight", (kit) => {
  it("peekStaleInflight counts what dead runs left without clearing it, and ignores live runs", async () => {
    const store = await kit.open();
    await kit.plantRun("killed", "dead", ["a", "b"]);
    await kit.plantRun("alive", "live", ["c"]);
    expect(await store.peekStaleInflight()).toBe(2);
    expect(await store.peekStaleInflight()).toBe(2);
    expect(await kit.inflightCount("killed")).toBe(2);
    expect(await store.beginRun()).toMatchObject({ staleInflight: 2, staleRuns: 1 });
    expect(await store.peekStaleInflight()).toBe(0);
    expect(await kit.inflightCount("alive")).toBe(1);
  });

  it("beginRun reports and clears a dead run's claims once, and marks it ended", async () => {
    const store = await kit.open();
    await kit.plantRun("killed", "dead", ["a", "b", "c"]);
    const start = await store.beginRun();
    expect(start).toMatchObject({ staleInflight: 3, staleRuns: 1 });
    expect(start.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await kit.inflightCount("killed")).toBe(0);
    expect(await kit.endedAt("killed")).toBe(kit.clock.now());
    expect(await store.beginRun()).toMatchObject({ staleInflight: 0, staleRuns: 0 });
  });

  it("beginRun leaves a live run of this or another host alone", async () => {
    const live = await kit.open();
    const liveRun = (await live.beginRun()).runId;
    await live.claim(liveRun, "b1", "basic", ["a", "b"], 0);
    await kit.plantRun("far-live", "live", ["c"]);
    const store = await kit.open();
    expect(await store.beginRun()).toMatchObject({ staleInflight: 0, staleRuns: 0 });
    expect(await kit.inflightCount(liveRun)).toBe(2);
    expect(await kit.inflightCount("far-live")).toBe(1);
  });

  it("claim takes over fps held by a dead run and reports those of a live one as busy", async () => {
    const store = await kit.open();
    const { runId } = await store.beginRun();
    await kit.plantRun("dead", "dead", ["a"]);
    await kit.plantRun("far-live", "live", ["b"]);
    expect(await store.claim(runId, "b1", "basic", ["a", "b"], 0)).toMatchObject({
      claimed: ["a"],
      busy: ["b"],
    });
    expect(await kit.inflightCount(runId)).toBe(1);
  });

  it("a run that stops renewing its lease loses its claims to the next run, which names them stale", async () => {
    const a = await kit.open();
    const runA = (await a.beginRun()).runId;
    await a.claim(runA, "a1", "basic", ["x", "y"], 0);
    // Killed: no endRun, no more heartbeats; then the lease runs out.
    await a.close();
    const b = await kit.open();
    if (kit.name === "postgres") {
      // Its connection closed with it, and the session lock it held went too: the next run finds it gone
      // at once, without waiting for the lease, and names its people stale.
      expect(await b.peekStaleInflight()).toBe(2);
      const runB = await b.beginRun();
      expect(runB).toMatchObject({ staleInflight: 2, staleRuns: 1 });
      expect((await b.claim(runB.runId, "b1", "basic", ["x"], 0)).claimed).toEqual(["x"]);
      return;
    }
    // SQLite: the same pid (this test's) is alive, so only the heartbeat's age tells.
    const runB = (await b.beginRun()).runId;
    expect((await b.claim(runB, "b1", "basic", ["x"], 0)).busy).toEqual(["x"]);
    await kit.expireRun(runA);
    expect((await b.claim(runB, "b2", "basic", ["x"], 0)).claimed).toEqual(["x"]);
    const c = await kit.open();
    expect(await c.peekStaleInflight()).toBe(1);
    expect(await c.beginRun()).toMatchObject({ staleInflight: 1, staleRuns: 1 });
    expect(await kit.inflightCount(runB)).toBe(1);
  });
});
