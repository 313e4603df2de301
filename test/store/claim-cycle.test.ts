import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutcomeStore } from "../../src/store/index.js";
import { makeTempDir, manualClock } from "./temp-dir.js";

const EP = "crm_basico_batch";
let temp: ReturnType<typeof makeTempDir>;
let clock: ReturnType<typeof manualClock>;
let file: string;
const open: OutcomeStore[] = [];

function openStore(): OutcomeStore {
  const store = OutcomeStore.open(file, { now: clock.now });
  open.push(store);
  return store;
}

beforeEach(() => {
  temp = makeTempDir();
  clock = manualClock();
  file = path.join(temp.dir, "store.sqlite");
});
afterEach(() => {
  for (const store of open.splice(0)) store.close();
  temp.cleanup();
});

describe("lookup", () => {
  it("returns only outcomes fetched at or after freshSince, for that endpoint", () => {
    const store = openStore();
    store.commitBatch("r", EP, [{ fp: "old", kind: "ok", analise: "{}" }], ["old"]);
    clock.advance(1_000);
    const edge = clock.now();
    store.commitBatch(
      "r",
      EP,
      [{ fp: "new", kind: "error", code: "PROFILE_NOT_FOUND", message: "nope" }],
      [],
    );
    store.commitBatch("r", "crm", [{ fp: "old", kind: "ok", analise: '{"full":true}' }], []);

    const found = store.lookup(["old", "new", "missing"], EP, edge);
    expect([...found.keys()]).toEqual(["new"]);
    expect(found.get("new")).toEqual({
      fp: "new",
      kind: "error",
      code: "PROFILE_NOT_FOUND",
      message: "nope",
      fetchedAt: edge,
      runId: "r",
    });
    expect(store.lookup(["old"], EP, 0).get("old")).toEqual({
      fp: "old",
      kind: "ok",
      analise: "{}",
      fetchedAt: edge - 1_000,
      runId: "r",
    });
    expect(store.lookup(["old"], "crm", edge).get("old")?.analise).toBe('{"full":true}');
    expect(store.lookup([], EP, 0).size).toBe(0);
  });

  it("handles far more fps than SQLite's parameter limit, with duplicates", () => {
    const store = openStore();
    const fps = Array.from({ length: 12_345 }, (_, i) => `fp-${i}`);
    const stored = fps.filter((_, i) => i % 3 === 0);
    store.commitBatch(
      "r",
      EP,
      stored.map((fp) => ({ fp, kind: "ok", analise: `{"n":"${fp}"}` })),
      [],
    );
    const found = store.lookup([...fps, "fp-0", "fp-3"], EP, 0);
    expect(found.size).toBe(stored.length);
    expect(found.get("fp-12342")?.analise).toBe('{"n":"fp-12342"}');
    expect(found.has("fp-1")).toBe(false);
  });
});

describe("claim, commitBatch, release", () => {
  it("claims free fps, reports fresh ones as done, and is idempotent for its own claims", () => {
    const store = openStore();
    const { runId } = store.beginRun();
    store.commitBatch("earlier", EP, [{ fp: "a", kind: "ok", analise: "{}" }], []);

    const first = store.claim(runId, "b1", EP, ["a", "b", "c", "b"], 0);
    expect(first.claimed).toEqual(["b", "c"]);
    expect([...first.done.keys()]).toEqual(["a"]);
    expect(first.busy).toEqual([]);

    const again = store.claim(runId, "b2", EP, ["b", "c"], 0);
    expect(again.claimed).toEqual(["b", "c"]);
    expect(store.db.prepare("SELECT batch_id FROM inflight WHERE fp = 'b'").pluck().get()).toBe("b2");
  });

  it("treats an outcome older than freshSince as not done", () => {
    const store = openStore();
    const { runId } = store.beginRun();
    store.commitBatch("earlier", EP, [{ fp: "a", kind: "ok", analise: "{}" }], []);
    clock.advance(10);
    expect(store.claim(runId, "b1", EP, ["a"], clock.now()).claimed).toEqual(["a"]);
  });

  it("commitBatch stores outcomes and releases every fp of the batch", () => {
    const store = openStore();
    const { runId } = store.beginRun();
    store.claim(runId, "b1", EP, ["a", "b", "c"], 0);
    store.commitBatch(
      runId,
      EP,
      [
        { fp: "a", kind: "ok", analise: '{"cargo":"CTO"}' },
        { fp: "b", kind: "error", code: "PROFILE_NOT_FOUND" },
      ],
      ["a", "b", "c"],
    );
    expect(store.stats()).toMatchObject({ outcomes: 2, ok: 1, errors: 1, inflight: 0 });
    expect(store.lookup(["a"], EP, 0).get("a")).toMatchObject({ runId, fetchedAt: clock.now() });
    // c had a retryable failure: nothing stored, and claimable again.
    expect(store.claim(runId, "b2", EP, ["a", "c"], 0)).toMatchObject({ claimed: ["c"], busy: [] });
  });

  it("commitBatch overwrites an older outcome for the same person", () => {
    const store = openStore();
    store.commitBatch("r1", EP, [{ fp: "a", kind: "error", code: "PROFILE_NOT_FOUND", message: "m" }], []);
    clock.advance(5);
    store.commitBatch("r2", EP, [{ fp: "a", kind: "ok", analise: "{}" }], []);
    expect(store.lookup(["a"], EP, 0).get("a")).toEqual({
      fp: "a",
      kind: "ok",
      analise: "{}",
      fetchedAt: clock.now(),
      runId: "r2",
    });
  });

  it("commitBatch is atomic: an invalid outcome leaves nothing stored and the claims held", () => {
    const store = openStore();
    const { runId } = store.beginRun();
    store.claim(runId, "b1", EP, ["a", "b"], 0);
    expect(() =>
      store.commitBatch(
        runId,
        EP,
        [
          { fp: "a", kind: "ok", analise: "{}" },
          { fp: "b", kind: "ok" }, // ok without analise violates the table's CHECK
        ],
        ["a", "b"],
      ),
    ).toThrow(/CHECK constraint/);
    expect(store.stats()).toMatchObject({ outcomes: 0, inflight: 2 });
  });

  it("release frees claims without storing anything, and only this run's", () => {
    const store = openStore();
    const other = openStore();
    const mine = store.beginRun().runId;
    const theirs = other.beginRun().runId;
    store.claim(mine, "b1", EP, ["a", "b"], 0);
    other.claim(theirs, "b1", EP, ["c"], 0);
    store.release(mine, ["a", "c"]);
    expect(store.stats()).toMatchObject({ outcomes: 0, inflight: 2 });
    expect(other.claim(theirs, "b2", EP, ["a", "b"], 0)).toMatchObject({ claimed: ["a"], busy: ["b"] });
  });

  it("endRun releases what is left and marks the run ended", () => {
    const store = openStore();
    const { runId } = store.beginRun();
    store.claim(runId, "b1", EP, ["a", "b"], 0);
    clock.advance(7);
    store.endRun(runId);
    expect(store.stats().inflight).toBe(0);
    const ended = store.db.prepare("SELECT ended_at FROM runs WHERE id = ?").pluck().get(runId);
    expect(ended).toBe(clock.now());
  });
});

describe("two connections (two runs) on one file", () => {
  it("never both claim one fp: the second sees busy, then done once the first commits", () => {
    const a = openStore();
    const b = openStore();
    const runA = a.beginRun().runId;
    const runB = b.beginRun().runId;

    expect(a.claim(runA, "a1", EP, ["x", "y"], 0).claimed).toEqual(["x", "y"]);
    const blocked = b.claim(runB, "b1", EP, ["x", "y", "z"], 0);
    expect(blocked).toMatchObject({ claimed: ["z"], busy: ["x", "y"] });

    a.commitBatch(runA, EP, [{ fp: "x", kind: "ok", analise: '{"by":"a"}' }], ["x", "y"]);
    const retry = b.claim(runB, "b2", EP, ["x", "y"], 0);
    expect(retry.claimed).toEqual(["y"]);
    expect(retry.done.get("x")).toMatchObject({ runId: runA, analise: '{"by":"a"}' });
    expect(retry.busy).toEqual([]);
  });

  it("the same fp on another endpoint is a different claim", () => {
    const a = openStore();
    const b = openStore();
    const runA = a.beginRun().runId;
    const runB = b.beginRun().runId;
    a.claim(runA, "a1", EP, ["x"], 0);
    expect(b.claim(runB, "b1", "crm", ["x"], 0).claimed).toEqual(["x"]);
  });
});
