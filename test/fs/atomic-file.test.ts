import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeDeadTempFiles, tempPathBeside, writeFileAtomic } from "../../src/fs/atomic-file.js";
import { pidAlive } from "../../src/fs/pid-alive.js";
import { deadPid } from "../store/temp-dir.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "fluence-atomic-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("atomic files", () => {
  it("names temp files beside the target with this process's pid", () => {
    const temp = tempPathBeside(path.join(dir, "out.csv"));
    expect(path.dirname(temp)).toBe(dir);
    expect(path.basename(temp)).toMatch(new RegExp(`^\\.out\\.csv\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
  });

  it("replaces the file whole and leaves no temp file", async () => {
    const file = path.join(dir, "summary.json");
    writeFileSync(file, "old");
    await writeFileAtomic(file, "new\n");
    expect(readFileSync(file, "utf8")).toBe("new\n");
    expect(readdirSync(dir)).toEqual(["summary.json"]);
  });

  it("removes temp files of dead processes for that file only, keeping live ones and other files'", async () => {
    const file = path.join(dir, "out.csv");
    const dead = path.join(dir, `.out.csv.${deadPid()}.aaaaaaaaaaaa.tmp`);
    const live = path.join(dir, `.out.csv.${process.pid}.bbbbbbbbbbbb.tmp`);
    const other = path.join(dir, `.other.csv.${deadPid()}.cccccccccccc.tmp`);
    for (const f of [dead, live, other]) writeFileSync(f, "partial");
    await removeDeadTempFiles(file);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it("pidAlive: this process yes, an exited child and nonsense pids no", () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(deadPid())).toBe(false);
    expect(pidAlive(0)).toBe(false);
    expect(pidAlive(-1)).toBe(false);
    expect(pidAlive(Number.NaN)).toBe(false);
  });
});
