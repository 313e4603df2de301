import { expect, it } from "vitest";
import type { OutcomeStore, SlotRequest } from "../../src/store/index.js";
import { describeBackends } from "./backends.js";

/** 60 a minute: a gap of 1 s, so that the few ms a PostgreSQL round trip takes cannot blur the figures. */
const ASK: SlotRequest = {
  keyId: "key-a",
  targetPerMinute: 60,
  floorPerMinute: 6,
  recoveryPerMinute: 0.6,
  healthy: 0,
  minGapMs: 0,
};

let seq = 0;
/** One claim of fresh people with a slot request: the slot's wait, ms. */
async function slotWait(store: OutcomeStore, runId: string, ask = ASK): Promise<number> {
  const claim = await store.claim(runId, `b${++seq}`, "basic", [`p${seq}`], 0, ask);
  expect(claim.slot).toBeDefined();
  return claim.slot!.waitMs;
}

// Several stores opened on one database are several machines (separate connections, separate processes'
// worth of state); the slot figures are the store's clock: the kit's manual one for SQLite, the server's
// for PostgreSQL, where a few ms pass between statements.
describeBackends("the key's rate shared through the store", (kit) => {
  it("gives two machines on one key consecutive slots, one gap apart, and counts them", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun("key-a")).runId;
    const runB = (await b.beginRun("key-a")).runId;
    expect(await slotWait(a, runA)).toBeLessThan(50);
    const second = await slotWait(b, runB);
    expect(second).toBeGreaterThan(900);
    expect(second).toBeLessThanOrEqual(1000);
    const third = await slotWait(a, runA);
    expect(third).toBeGreaterThan(1900);
    expect(third).toBeLessThanOrEqual(2000);
    const claim = await b.claim(runB, "bx", "basic", ["px"], 0, ASK);
    expect(claim.slot).toMatchObject({ runs: 2, ratePerMinute: 60, quotaAt: null });
    // Another key has a schedule of its own.
    expect(await slotWait(a, runA, { ...ASK, keyId: "key-b" })).toBeLessThan(50);
  });

  it("takes no slot for a claim that got nobody (busy or done), so no start is wasted", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun("key-a")).runId;
    const runB = (await b.beginRun("key-a")).runId;
    await a.claim(runA, "a1", "basic", ["held"], 0);
    const busy = await b.claim(runB, "b1", "basic", ["held"], 0, ASK);
    expect(busy).toMatchObject({ claimed: [], busy: ["held"] });
    expect(busy.slot).toBeUndefined();
    expect(await slotWait(b, runB)).toBeLessThan(50);
  });

  it("a throttling answer one machine saw slows the other and pauses it for the Retry-After", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun("key-a")).runId;
    const runB = (await b.beginRun("key-a")).runId;
    await slotWait(a, runA);
    const { storeNow } = await a.keyShare("key-a");
    await a.keyThrottled({
      keyId: "key-a",
      startedAt: storeNow,
      retryAfterMs: 5000,
      decreaseRatio: 0.5,
      floorPerMinute: 6,
    });
    const seen = await b.keyShare("key-a");
    expect(seen.ratePerMinute).toBe(30);
    expect(seen.pauseUntil - seen.storeNow).toBeGreaterThan(4900);
    expect(seen.pauseUntil - seen.storeNow).toBeLessThanOrEqual(5000);
    const wait = await slotWait(b, runB);
    expect(wait).toBeGreaterThan(4900);
    expect(wait).toBeLessThanOrEqual(5000);
    // The next start is two seconds later: the gap of the halved rate.
    const next = (await slotWait(a, runA)) - wait;
    expect(next).toBeGreaterThan(1900);
    expect(next).toBeLessThanOrEqual(2000);
  });

  it("a spent quota one machine saw is there for the others to read", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun("key-a")).runId;
    await b.beginRun("key-a");
    await slotWait(a, runA);
    const before = await b.keyShare("key-a");
    expect(before.quotaAt).toBeNull();
    kit.clock.advance(10);
    await a.keyQuotaSpent("key-a");
    const after = await b.keyShare("key-a");
    expect(after.quotaAt).toBeGreaterThan(before.storeNow);
    const claim = await a.claim(runA, "q", "basic", ["q"], 0, ASK);
    expect(claim.slot?.quotaAt).toBe(after.quotaAt);
  });

  it("counts the runs that shared the key during a run, and lists the live ones in stats", async () => {
    const a = await kit.open();
    const b = await kit.open();
    const runA = (await a.beginRun("key-a")).runId;
    const runB = (await b.beginRun("key-a")).runId;
    await b.beginRun("key-other");
    kit.clock.advance(1000);
    await b.endRun(runB);
    expect(await a.fleetRuns("key-a", runA)).toBe(2);
    expect((await a.keyShare("key-a")).runs).toBe(1);
    const stats = await a.stats();
    expect(stats.activeRuns.map((r) => r.keyId).sort()).toEqual(["key-a", "key-other"]);
    expect(stats.activeRuns.find((r) => r.runId === runA)).toMatchObject({ pid: process.pid });
  });
});
