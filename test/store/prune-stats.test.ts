import { statSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutcomeStore } from "../../src/store/index.js";
import { makeTempDir, manualClock } from "./temp-dir.js";

const EP = "crm_basico_batch";
const DAY = 86_400_000;
let temp: ReturnType<typeof makeTempDir>;
let clock: ReturnType<typeof manualClock>;
let file: string;
let store: OutcomeStore;

beforeEach(() => {
  temp = makeTempDir();
  clock = manualClock();
  file = path.join(temp.dir, "store.sqlite");
  store = OutcomeStore.open(file, { now: clock.now });
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

describe("stats", () => {
  it("is all zeros, without oldest/newest, on an empty store", () => {
    expect(store.stats()).toEqual({
      path: file,
      sizeBytes: expect.any(Number),
      outcomes: 0,
      ok: 0,
      errors: 0,
      inflight: 0,
      runs: 0,
    });
  });

  it("counts outcomes by kind, their time range, claims and runs", () => {
    const first = clock.now();
    const { runId } = store.beginRun();
    store.commitBatch(runId, EP, [{ fp: "a", kind: "ok", analise: "{}" }], []);
    clock.advance(DAY);
    store.commitBatch(
      runId,
      EP,
      [
        { fp: "b", kind: "ok", analise: "{}" },
        { fp: "c", kind: "error", code: "PROFILE_NOT_FOUND" },
      ],
      [],
    );
    store.claim(runId, "b9", EP, ["d", "e"], 0);
    const stats = store.stats();
    expect(stats).toMatchObject({ outcomes: 3, ok: 2, errors: 1, oldest: first, newest: first + DAY });
    expect(stats).toMatchObject({ inflight: 2, runs: 1 });
    expect(stats.sizeBytes).toBeGreaterThanOrEqual(statSync(file).size);
  });
});

describe("prune", () => {
  it("deletes outcomes and ended runs older than the age, keeping newer ones and open runs", () => {
    const old = store.beginRun().runId;
    store.commitBatch(old, EP, [{ fp: "a", kind: "ok", analise: "{}" }], []);
    store.endRun(old);
    const open = store.beginRun().runId;
    clock.advance(40 * DAY);
    store.commitBatch(open, EP, [{ fp: "b", kind: "ok", analise: "{}" }], []);

    expect(store.prune(30 * DAY)).toBe(1);
    expect([...store.lookup(["a", "b"], EP, 0).keys()]).toEqual(["b"]);
    expect(store.db.prepare("SELECT id FROM runs").pluck().all()).toEqual([open]);
    expect(statSync(`${file}-wal`).size).toBe(0);
  });

  it("with age 0 deletes everything fetched before now", () => {
    store.commitBatch("r", EP, [{ fp: "a", kind: "ok", analise: "{}" }], []);
    clock.advance(1);
    expect(store.prune(0)).toBe(1);
    expect(store.prune(0)).toBe(0);
  });

  it("gives pages back to the OS (incremental vacuum)", () => {
    const big = "x".repeat(2_000);
    store.commitBatch(
      "r",
      EP,
      Array.from({ length: 2_000 }, (_, i) => ({ fp: `fp-${i}`, kind: "ok" as const, analise: big })),
      [],
    );
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    const before = statSync(file).size;
    clock.advance(1);
    store.prune(0);
    expect(statSync(file).size).toBeLessThan(before / 4);
  });
});
