import { hostname } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SqliteStore } from "../../src/store/index.js";
import { deadPid, makeTempDir, manualClock } from "./temp-dir.js";

// SQLite only: runs on this host are also judged by their pid, which the shared suite cannot exercise on
// PostgreSQL (a pid means nothing on another host; there the lease alone decides).
const EP = "crm_basico_batch";
let temp: ReturnType<typeof makeTempDir>;
let clock: ReturnType<typeof manualClock>;
let file: string;
const open: SqliteStore[] = [];

function openStore(options: { heartbeatMs?: number } = {}): SqliteStore {
  const store = SqliteStore.open(file, { now: clock.now, staleAfterMs: 30_000, ...options });
  open.push(store);
  return store;
}

/** Writes a run row and its claims as another process would have left them. */
function plantRun(
  store: SqliteStore,
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

const inflightOf = (store: SqliteStore, runId: string) =>
  store.db.prepare("SELECT count(*) FROM inflight WHERE run_id = ?").pluck().get(runId);

beforeEach(() => {
  temp = makeTempDir();
  clock = manualClock();
  file = path.join(temp.dir, "store.sqlite");
});
afterEach(async () => {
  vi.useRealTimers();
  for (const store of open.splice(0)) await store.close();
  temp.cleanup();
});

describe("SQLite: runs on this host", () => {
  it("a run whose pid is gone is dead at once, without waiting for its heartbeat to age", async () => {
    const store = openStore();
    plantRun(store, "killed", deadPid(), hostname(), clock.now(), ["a", "b", "c"]);
    plantRun(store, "alive", process.pid, hostname(), clock.now(), ["d"]);
    expect(await store.peekStaleInflight()).toBe(3);
    expect(await store.beginRun()).toMatchObject({ staleInflight: 3, staleRuns: 1 });
    expect(inflightOf(store, "killed")).toBe(0);
    expect(inflightOf(store, "alive")).toBe(1);
  });

  it("claim takes over the fps of a run whose pid is gone", async () => {
    const store = openStore();
    const { runId } = await store.beginRun();
    plantRun(store, "dead", deadPid(), hostname(), clock.now(), ["a"]);
    expect(await store.claim(runId, "b1", "basic", ["a"], 0)).toMatchObject({ claimed: ["a"], busy: [] });
  });

  it("judges a run on another host by its heartbeat age only", async () => {
    const store = openStore();
    plantRun(store, "far-fresh", 1, "other-host", clock.now() - 29_000, ["a"]);
    plantRun(store, "far-stale", 1, "other-host", clock.now() - 31_000, ["b", "c"]);
    expect(await store.beginRun()).toMatchObject({ staleInflight: 2, staleRuns: 1 });
    expect(inflightOf(store, "far-fresh")).toBe(1);
  });

  it("treats a stale heartbeat as dead even when the pid exists (pids are reused after kill -9)", async () => {
    const store = openStore();
    plantRun(store, "reused-pid", process.pid, hostname(), clock.now() - 60_000, ["a"]);
    expect(await store.beginRun()).toMatchObject({ staleInflight: 1, staleRuns: 1 });
  });

  it("sweeps claims whose run row is missing or ended", async () => {
    const store = openStore();
    plantRun(store, "ended", process.pid, hostname(), clock.now(), ["a"]);
    store.db.prepare("UPDATE runs SET ended_at = 1 WHERE id = 'ended'").run();
    store.db.prepare("INSERT INTO inflight VALUES ('b', ?, 'ghost', 'b', 0)").run(EP);
    expect(await store.beginRun()).toMatchObject({ staleInflight: 2, staleRuns: 0 });
  });
});

describe("SQLite: heartbeat", () => {
  it("refreshes heartbeat_at every heartbeatMs until endRun", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = openStore({ heartbeatMs: 1_000 });
    const { runId } = await store.beginRun();
    const heartbeat = () => store.db.prepare("SELECT heartbeat_at FROM runs WHERE id = ?").pluck().get(runId);
    const started = clock.now();

    clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    expect(heartbeat()).toBe(started + 1_000);

    clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    expect(heartbeat()).toBe(started + 2_000);

    await store.endRun(runId);
    clock.advance(5_000);
    vi.advanceTimersByTime(5_000);
    expect(heartbeat()).toBe(started + 2_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("close stops the heartbeat timers", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const store = SqliteStore.open(file, { now: clock.now, heartbeatMs: 1_000 });
    await store.beginRun();
    expect(vi.getTimerCount()).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(() => vi.advanceTimersByTime(5_000)).not.toThrow();
  });
});
