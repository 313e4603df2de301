import { hostname } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OutcomeStore } from "../../src/store/index.js";
import { deadPid, makeTempDir, manualClock } from "./temp-dir.js";

const EP = "crm_basico_batch";
let temp: ReturnType<typeof makeTempDir>;
let clock: ReturnType<typeof manualClock>;
let file: string;
const open: OutcomeStore[] = [];

function openStore(): OutcomeStore {
  const store = OutcomeStore.open(file, { now: clock.now, staleAfterMs: 30_000 });
  open.push(store);
  return store;
}

/** Writes a run row and its claims as another process would have left them. */
function plantRun(
  store: OutcomeStore,
  id: string,
  pid: number,
  host: string,
  heartbeatAt: number,
  fps: string[],
) {
  store.db
    .prepare("INSERT INTO runs (id, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)")
    .run(id, pid, host, heartbeatAt, heartbeatAt);
  const claim = store.db.prepare(
    "INSERT INTO inflight (fp, endpoint, run_id, batch_id, started_at) VALUES (?, ?, ?, 'b', ?)",
  );
  for (const fp of fps) claim.run(fp, EP, id, heartbeatAt);
}

const inflightOf = (store: OutcomeStore, runId: string) =>
  store.db.prepare("SELECT count(*) FROM inflight WHERE run_id = ?").pluck().get(runId);

beforeEach(() => {
  temp = makeTempDir();
  clock = manualClock();
  file = path.join(temp.dir, "store.sqlite");
});
afterEach(() => {
  vi.useRealTimers();
  for (const store of open.splice(0)) store.close();
  temp.cleanup();
});

describe("peekStaleInflight", () => {
  it("counts what dead runs left in flight without clearing it, and ignores live runs", () => {
    const store = openStore();
    plantRun(store, "killed", deadPid(), hostname(), clock.now(), ["a", "b"]);
    plantRun(store, "alive", process.pid, hostname(), clock.now(), ["c"]);
    expect(store.peekStaleInflight()).toBe(2);
    expect(store.peekStaleInflight()).toBe(2);
    expect(inflightOf(store, "killed")).toBe(2);
    expect(store.beginRun()).toMatchObject({ staleInflight: 2 });
    expect(store.peekStaleInflight()).toBe(0);
  });
});

describe("beginRun", () => {
  it("reports and clears the claims of a run whose pid is gone on this host", () => {
    const store = openStore();
    plantRun(store, "killed", deadPid(), hostname(), clock.now(), ["a", "b", "c"]);
    const start = store.beginRun();
    expect(start).toMatchObject({ staleInflight: 3, staleRuns: 1 });
    expect(start.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(inflightOf(store, "killed")).toBe(0);
    expect(store.db.prepare("SELECT ended_at FROM runs WHERE id = 'killed'").pluck().get()).toBe(clock.now());
    expect(store.beginRun()).toMatchObject({ staleInflight: 0, staleRuns: 0 });
  });

  it("leaves a live run alone (same host, this very pid, fresh heartbeat)", () => {
    const live = openStore();
    const liveRun = live.beginRun().runId;
    live.claim(liveRun, "b1", EP, ["a", "b"], 0);
    const store = openStore();
    expect(store.beginRun()).toMatchObject({ staleInflight: 0, staleRuns: 0 });
    expect(inflightOf(store, liveRun)).toBe(2);
  });

  it("judges a run on another host by its heartbeat age", () => {
    const store = openStore();
    plantRun(store, "far-fresh", 1, "other-host", clock.now() - 29_000, ["a"]);
    plantRun(store, "far-stale", 1, "other-host", clock.now() - 31_000, ["b", "c"]);
    expect(store.beginRun()).toMatchObject({ staleInflight: 2, staleRuns: 1 });
    expect(inflightOf(store, "far-fresh")).toBe(1);
  });

  it("treats a stale heartbeat as dead even when the pid exists (pids are reused after kill -9)", () => {
    const store = openStore();
    plantRun(store, "reused-pid", process.pid, hostname(), clock.now() - 60_000, ["a"]);
    expect(store.beginRun()).toMatchObject({ staleInflight: 1, staleRuns: 1 });
  });

  it("sweeps claims whose run row is missing or ended", () => {
    const store = openStore();
    plantRun(store, "ended", process.pid, hostname(), clock.now(), ["a"]);
    store.db.prepare("UPDATE runs SET ended_at = 1 WHERE id = 'ended'").run();
    store.db.prepare("INSERT INTO inflight VALUES ('b', ?, 'ghost', 'b', 0)").run(EP);
    expect(store.beginRun()).toMatchObject({ staleInflight: 2, staleRuns: 0 });
  });
});

describe("claim against other runs", () => {
  it("takes over fps held by a dead run and reports fps of a live one as busy", () => {
    const store = openStore();
    const { runId } = store.beginRun();
    plantRun(store, "dead", deadPid(), hostname(), clock.now(), ["a"]);
    plantRun(store, "far-live", 1, "other-host", clock.now(), ["b"]);
    const result = store.claim(runId, "b1", EP, ["a", "b"], 0);
    expect(result).toMatchObject({ claimed: ["a"], busy: ["b"] });
    expect(inflightOf(store, runId)).toBe(1);
  });

  it("a live run becomes dead to others once its heartbeat stops for staleAfterMs", () => {
    const a = openStore();
    const b = openStore();
    const runA = a.beginRun().runId;
    const runB = b.beginRun().runId;
    a.claim(runA, "a1", EP, ["x"], 0);
    a.close();
    open.splice(open.indexOf(a), 1);
    clock.advance(30_001);
    expect(b.claim(runB, "b1", EP, ["x"], 0).claimed).toEqual(["x"]);
  });
});

describe("heartbeat", () => {
  it("refreshes heartbeat_at every heartbeatMs until endRun", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = OutcomeStore.open(file, { now: clock.now, heartbeatMs: 1_000 });
    open.push(store);
    const { runId } = store.beginRun();
    const heartbeat = () => store.db.prepare("SELECT heartbeat_at FROM runs WHERE id = ?").pluck().get(runId);
    const started = clock.now();

    clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    expect(heartbeat()).toBe(started + 1_000);

    clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    expect(heartbeat()).toBe(started + 2_000);

    store.endRun(runId);
    clock.advance(5_000);
    vi.advanceTimersByTime(5_000);
    expect(heartbeat()).toBe(started + 2_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("close stops the heartbeat timers", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = OutcomeStore.open(file, { now: clock.now, heartbeatMs: 1_000 });
    store.beginRun();
    expect(vi.getTimerCount()).toBe(1);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(() => vi.advanceTimersByTime(5_000)).not.toThrow();
  });
});
