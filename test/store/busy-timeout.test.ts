import { fork } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/index.js";
import { makeTempDir } from "./temp-dir.js";

const helper = fileURLToPath(new URL("./fixtures/hold-write-lock.mjs", import.meta.url));
const EP = "crm_basico_batch";
const HOLD_MS = 300;
let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.cleanup());

describe("SQLite: another process holding the write lock", () => {
  it("makes claim wait (busy_timeout) and then see that process's claim, instead of failing", async () => {
    const file = path.join(temp.dir, "store.sqlite");
    const store = SqliteStore.open(file);
    const { runId } = await store.beginRun();

    const child = fork(helper, [file, String(HOLD_MS), "x", EP], { stdio: "inherit" });
    const exited = once(child, "exit");
    const [message] = await once(child, "message");
    expect(message).toBe("locked");

    // Without a busy timeout the same request fails at once: the lock really is held.
    const impatient = new Database(file, { timeout: 0 });
    expect(() => impatient.exec("BEGIN IMMEDIATE")).toThrow(/locked/);
    impatient.close();

    const started = performance.now();
    const result = await store.claim(runId, "b1", "basic", ["x", "y"], 0);
    const waited = performance.now() - started;

    expect(waited).toBeGreaterThan(HOLD_MS / 3);
    expect(result).toMatchObject({ claimed: ["y"], busy: ["x"] });
    const [code] = await exited;
    expect(code).toBe(0);
    await store.endRun(runId);
    await store.close();
  });
});
