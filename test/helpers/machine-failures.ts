import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Real failures of the machine for integration tests: a tiny tmpfs fills up (ENOSPC), a remount makes it
 * read-only (EROFS). Both need root (CAP_SYS_ADMIN), as the tests have here and in CI. Where mounting is
 * impossible the tests that need it are skipped with a printed reason, except under CI, where they run
 * and fail: a machine-failure test must never pass by not running there. (/dev/full cannot stand in:
 * every output is a temp file created beside its final path and renamed, never a path the user names.)
 */
export const MOUNT_PROBLEM: string | undefined = probeMount();

/** Skip the mount tests (with a reason printed) only outside CI. */
export const SKIP_MOUNT_TESTS = MOUNT_PROBLEM !== undefined && !process.env.CI;
if (SKIP_MOUNT_TESTS) {
  process.stderr.write(`machine-failure tests skipped: cannot mount a tmpfs here (${MOUNT_PROBLEM})\n`);
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stderr ?? ""}${result.stdout ?? ""}`.trim() };
}

function probeMount(): string | undefined {
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  const dir = mkdtempSync(path.join(os.tmpdir(), "fluence-mount-probe-"));
  try {
    const mounted = run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    if (!mounted.ok) return mounted.output || "mount failed";
    run("umount", [dir]);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A mounted tmpfs of `sizeKb` at a new directory; `release()` unmounts and removes it. */
export interface TinyDisk {
  dir: string;
  /** Gives the disk more (or less) room. */
  resize(kb: number): void;
  /** Remounts it read-only (EROFS from then on). */
  readOnly(): void;
  release(): void;
}

export function mountTinyDisk(sizeKb: number, mode = "0755"): TinyDisk {
  if (MOUNT_PROBLEM !== undefined) {
    throw new Error(`this test needs a tmpfs mount (root, CAP_SYS_ADMIN): ${MOUNT_PROBLEM}`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "fluence-tiny-disk-"));
  const mounted = run("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k,mode=${mode}`, "tmpfs", dir]);
  if (!mounted.ok) throw new Error(`mount tmpfs at ${dir}: ${mounted.output}`);
  let released = false;
  return {
    dir,
    resize(kb) {
      const remount = run("mount", ["-o", `remount,size=${kb}k`, dir]);
      if (!remount.ok) throw new Error(`remount size=${kb}k ${dir}: ${remount.output}`);
    },
    readOnly() {
      const remount = run("mount", ["-o", "remount,ro", dir]);
      if (!remount.ok) throw new Error(`remount ro ${dir}: ${remount.output}`);
    },
    release() {
      if (released) return;
      released = true;
      const unmounted = run("umount", [dir]);
      if (!unmounted.ok) run("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A directory inside `disk`, created while it is still writable. */
export function dirOn(disk: TinyDisk, name: string): string {
  const dir = path.join(disk.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Takes every byte `df` reports free on the filesystem holding `dir` with one file, so its next write
 * fails with ENOSPC whatever its size. Returns the bytes still free (0 on tmpfs) for the test to assert.
 */
export function fillDisk(dir: string): number {
  const free = () => Number(run("df", ["-B1", "--output=avail", dir]).output.split("\n").at(-1));
  const fd = openSync(path.join(dir, "filler"), "w");
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (let left = free(); left > 0; left -= chunk.length) {
      try {
        writeSync(fd, chunk, 0, Math.min(chunk.length, left));
      } catch (error) {
        // tmpfs counts in pages: the last partial page may be refused, which is the point.
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return free();
}

/** The unprivileged user that EACCES tests run the CLI as when they run as root (chmod stops no root). */
export const NOBODY = { uid: 65534, gid: 65534 };

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}
