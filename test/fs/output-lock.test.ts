import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os, { hostname } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockOutputs, lockPathFor, OutputBusyError } from "../../src/fs/output-lock.js";
import { deadPid } from "../store/temp-dir.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "fluence-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function holder(fields: Record<string, unknown>): string {
  return `${JSON.stringify({ pid: 1, host: hostname(), started_at: "2025-01-01T00:00:00.000Z", token: "t", ...fields })}\n`;
}

function ageBy(file: string, ms: number): void {
  const at = (Date.now() - ms) / 1000;
  utimesSync(file, at, at);
}

describe("output locks", () => {
  it("one hidden .<name>.lock beside each output, holding pid, host and start time; released without a trace", async () => {
    const a = path.join(dir, "sub", "x.enriched.csv");
    const b = path.join(dir, "x.summary.json");
    const locks = await lockOutputs([a, b], { now: () => Date.parse("2025-06-01T02:15:00Z") });
    expect(lockPathFor(a)).toBe(path.join(dir, "sub", ".x.enriched.csv.lock"));
    const held = JSON.parse(readFileSync(lockPathFor(a), "utf8"));
    expect(held).toMatchObject({
      pid: process.pid,
      host: hostname(),
      started_at: "2025-06-01T02:15:00.000Z",
    });
    expect(held.token).toMatch(/^[0-9a-f]{16}$/);
    expect(existsSync(lockPathFor(b))).toBe(true);
    await locks.release();
    await locks.release();
    expect(readdirSync(dir)).toEqual(["sub"]);
    expect(readdirSync(path.join(dir, "sub"))).toEqual([]);
  });

  it("a live holder refuses the second taker with its pid, host and start time", async () => {
    const file = path.join(dir, "x.csv");
    const first = await lockOutputs([file]);
    const refused = lockOutputs([file]);
    await expect(refused).rejects.toBeInstanceOf(OutputBusyError);
    await expect(refused).rejects.toMatchObject({
      exitCode: 8,
      message: expect.stringMatching(
        new RegExp(
          `^Another fluence run \\(pid ${process.pid} on ${hostname()}, since .+Z\\) is writing ${file} `,
        ),
      ),
    });
    await first.release();
    await (await lockOutputs([file])).release();
  });

  it("failing on the second output leaves no lock on the first", async () => {
    const a = path.join(dir, "a.csv");
    const b = path.join(dir, "b.csv");
    writeFileSync(lockPathFor(b), holder({ pid: process.pid, token: "someone-else" }));
    await expect(lockOutputs([a, b])).rejects.toBeInstanceOf(OutputBusyError);
    expect(existsSync(lockPathFor(a))).toBe(false);
    expect(existsSync(lockPathFor(b))).toBe(true);
  });

  it("takes over the lock of a dead pid on this host", async () => {
    const file = path.join(dir, "x.csv");
    writeFileSync(lockPathFor(file), holder({ pid: deadPid() }));
    const locks = await lockOutputs([file]);
    expect(JSON.parse(readFileSync(lockPathFor(file), "utf8")).pid).toBe(process.pid);
    await locks.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("another host's lock is held while its heartbeat is fresh, and stale after the bound", async () => {
    const file = path.join(dir, "x.csv");
    writeFileSync(lockPathFor(file), holder({ pid: 4242, host: "elsewhere" }));
    await expect(lockOutputs([file], { staleAfterMs: 60_000 })).rejects.toMatchObject({
      message: expect.stringContaining("(pid 4242 on elsewhere, since 2025-01-01T00:00:00.000Z)"),
    });
    ageBy(lockPathFor(file), 120_000);
    const locks = await lockOutputs([file], { staleAfterMs: 60_000 });
    await locks.release();
  });

  it("an unreadable lock is a run starting up for 10 s, stale after", async () => {
    const file = path.join(dir, "x.csv");
    writeFileSync(lockPathFor(file), "");
    await expect(lockOutputs([file])).rejects.toBeInstanceOf(OutputBusyError);
    ageBy(lockPathFor(file), 20_000);
    await (await lockOutputs([file])).release();
  });

  it("release leaves alone a lock that is no longer its own", async () => {
    const file = path.join(dir, "x.csv");
    const locks = await lockOutputs([file]);
    writeFileSync(lockPathFor(file), holder({ pid: process.pid, token: "a-later-run" }));
    await locks.release();
    expect(JSON.parse(readFileSync(lockPathFor(file), "utf8")).token).toBe("a-later-run");
  });

  it("the holder refreshes its lock's mtime (the heartbeat other hosts judge it by)", async () => {
    const file = path.join(dir, "x.csv");
    const locks = await lockOutputs([file], { heartbeatMs: 20 });
    ageBy(lockPathFor(file), 3_600_000);
    const old = statSync(lockPathFor(file)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(statSync(lockPathFor(file)).mtimeMs).toBeGreaterThan(old + 3_000_000);
    await locks.release();
  });
});
