import { afterEach, describe, expect, it } from "vitest";
import { FlowControl } from "../../src/send/flow-control.js";
import { SharedPace } from "../../src/send/shared-pace.js";
import { SqliteStore } from "../../src/store/index.js";
import { manualClock } from "../store/temp-dir.js";

const opened: SqliteStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** One store (a SQLite file in memory stands for the shared one), its clock, `runs` runs begun on key "k". */
async function keyWithRuns(runs: number) {
  const clock = manualClock();
  const store = SqliteStore.open(":memory:", { now: clock.now });
  opened.push(store);
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) ids.push((await store.beginRun("k")).runId);
  return { clock, store, ids };
}

function flowFor(clock: ReturnType<typeof manualClock>, ratePerMinute = 1000) {
  return new FlowControl({ concurrency: "auto", batchSize: 10, pacer: { ratePerMinute }, now: clock.now });
}

/** Feeds `n` healthy answers of `latencyMs` through flow control. */
function answer(flow: FlowControl, n: number, latencyMs: number) {
  for (let i = 0; i < n; i++) flow.answered(flow.started(10, 1), "healthy", { latencyMs });
}

describe("SharedPace: this run's side of the key's schedule", () => {
  it("before it has measured its own starts, a run expects the shared rate split among the runs on the key", async () => {
    const { clock, store } = await keyWithRuns(4);
    const flow = flowFor(clock);
    const share = await SharedPace.join(store, "k", flow.pacer, clock.now);
    expect(share.shareRatePerMinute).toBeCloseTo(990 / 4, 6);
  });

  it("concurrency follows the share: four runs do not each open the sockets the whole rate needs", async () => {
    const alone = flowFor(manualClock());
    answer(alone, 1, 2000);
    // 990/min x 2 s x 1.1 = 36.3 -> 37, + 1.
    expect(alone.limit).toBe(38);
    const { clock, store } = await keyWithRuns(4);
    const shared = flowFor(clock);
    shared.share = await SharedPace.join(store, "k", shared.pacer, clock.now);
    answer(shared, 1, 2000);
    // A quarter of it: 247.5/min x 2 s x 1.1 = 9.1 -> 10, + 1.
    expect(shared.limit).toBe(11);
  });

  it("then measures the rate it actually gets from its starts, never counting on less than an even split", async () => {
    const { clock, store } = await keyWithRuns(4);
    const flow = flowFor(clock);
    const share = await SharedPace.join(store, "k", flow.pacer, clock.now);
    for (let i = 0; i < 10; i++) {
      share.started(clock.now());
      clock.advance(200);
    }
    // 300 a minute measured, over the even split of 247.5.
    expect(share.shareRatePerMinute).toBeCloseTo(300, 6);
    // Held back (by its own limit, or by people another machine holds) to 100 a minute: a run sized on
    // that would never have the sockets to take more when the others finish.
    for (let i = 0; i < 20; i++) {
      share.started(clock.now());
      clock.advance(600);
    }
    expect(share.shareRatePerMinute).toBeCloseTo(990 / 4, 6);
  });

  it("takes the shared rate another run's throttle left, and hands back healthy answers a claim did not use", async () => {
    const { clock, store, ids } = await keyWithRuns(2);
    const flow = flowFor(clock, 600);
    const share = await SharedPace.join(store, "k", flow.pacer, clock.now);
    const first = await store.claim(ids[0]!, "b1", "basic", ["a"], 0, share.request());
    share.granted(first.slot!);
    await store.keyThrottled({
      keyId: "k",
      startedAt: clock.now(),
      decreaseRatio: 0.5,
      floorPerMinute: 59.4,
    });
    clock.advance(100);
    const second = await store.claim(ids[0]!, "b2", "basic", ["b"], 0, share.request());
    share.granted(second.slot!);
    expect(flow.pacer.ratePerMinute).toBeCloseTo(297, 6);
    flow.share = share;
    answer(flow, 3, 100);
    const unused = share.request();
    expect(unused.healthy).toBe(3);
    share.unused(unused);
    expect(share.request().healthy).toBe(3);
  });

  it("a quota stop recorded after the run joined stops it; one from before it began does not", async () => {
    const { clock, store, ids } = await keyWithRuns(1);
    // An earlier run on the key met the spent quota.
    const earlier = await SharedPace.join(store, "k", flowFor(clock, 600).pacer, clock.now);
    await store.claim(ids[0]!, "b0", "basic", ["z"], 0, earlier.request());
    await earlier.quotaSpent();
    clock.advance(1000);
    const flow = flowFor(clock, 600);
    const share = await SharedPace.join(store, "k", flow.pacer, clock.now);
    const before = await store.claim(ids[0]!, "b1", "basic", ["a"], 0, share.request());
    expect(share.granted(before.slot!).quotaSpent).toBe(false);
    clock.advance(1000);
    await store.keyQuotaSpent("k");
    const after = await store.claim(ids[0]!, "b2", "basic", ["b"], 0, share.request());
    expect(share.granted(after.slot!).quotaSpent).toBe(true);
    expect((await share.recheck()).quotaSpent).toBe(true);
  });

  it("recheck gives the rest of a pause another run was told to take", async () => {
    const { clock, store, ids } = await keyWithRuns(2);
    const flow = flowFor(clock, 600);
    const share = await SharedPace.join(store, "k", flow.pacer, clock.now);
    await store.claim(ids[0]!, "b1", "basic", ["a"], 0, share.request());
    await store.keyThrottled({
      keyId: "k",
      startedAt: clock.now(),
      retryAfterMs: 3000,
      decreaseRatio: 0.7,
      floorPerMinute: 59.4,
    });
    clock.advance(1000);
    expect(await share.recheck()).toEqual({ waitMs: 2000, quotaSpent: false });
  });
});
