import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, open, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { EXIT } from "../exit-codes.js";
import { UserError } from "../user-error.js";
import { removeDeadTempFiles, tempPathBeside } from "./atomic-file.js";
import { ensureDir } from "./ensure-dir.js";
import { onExitUndo } from "./exit-cleanup.js";
import { asIoFailure } from "./io-errors.js";
import { pidAlive } from "./pid-alive.js";

/** What a lock file holds (one JSON line). */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601: when the holder took the lock. */
  started_at: string;
  /** Tells this holder's lock apart from a later one with the same pid. */
  token: string;
}

export interface OutputLockOptions {
  /** The holder refreshes its lock's mtime this often. Default 30 s. */
  heartbeatMs?: number;
  /** A lock whose mtime is older than this is stale, whoever holds it. Default 1 hour. */
  staleAfterMs?: number;
  now?: () => number;
}

export interface OutputLocks {
  /** Removes this run's lock files (only those still its own). Idempotent. */
  release(): Promise<void>;
}

/** `.<basename>.lock` beside the output. */
export function lockPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.lock`);
}

/** Another live run holds an output of this run: exit 8, naming the holder. */
export class OutputBusyError extends UserError {
  readonly holder: LockHolder;
  constructor(file: string, holder: LockHolder) {
    super(
      `Another fluence run (pid ${holder.pid} on ${holder.host}, since ${holder.started_at}) is writing ${file} (lock ${lockPathFor(file)}); wait for it to finish, or give this run another --out-dir, and run again.`,
      EXIT.busy,
    );
    this.name = "OutputBusyError";
    this.holder = holder;
  }
}

/**
 * Takes an exclusive lock for each output path before anything is sent, so two overlapping runs never
 * race each other to the rename. A lock is stale, and taken over, when its holder's pid is dead on this
 * host or its heartbeat (the file's mtime) is older than `staleAfterMs`. Throws OutputBusyError (exit 8)
 * when a live run holds one, IoFailure (exit 7) when the directory cannot be written; either way no
 * lock of this run is left behind.
 */
export async function lockOutputs(files: string[], options: OutputLockOptions = {}): Promise<OutputLocks> {
  const now = options.now ?? Date.now;
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started_at: new Date(now()).toISOString(),
    token: randomBytes(8).toString("hex"),
  };
  const text = `${JSON.stringify(me)}\n`;
  const held: string[] = [];
  const release = async () => {
    for (const lock of held.splice(0)) await removeIfOurs(lock, me.token);
  };
  // A second signal exits without awaiting anything: remove the locks synchronously then.
  const forget = onExitUndo(() => {
    for (const lock of held) removeIfOursSync(lock, me.token);
  });
  try {
    for (const file of files) {
      const lock = lockPathFor(file);
      await acquire(file, lock, me, text, options.staleAfterMs ?? 60 * 60_000, now);
      held.push(lock);
    }
  } catch (error) {
    await release();
    forget();
    throw error;
  }
  const heartbeat = setInterval(() => {
    const t = new Date(now());
    for (const lock of held) utimes(lock, t, t).catch(() => {});
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      await release();
      forget();
    },
  };
}

async function acquire(
  file: string,
  lock: string,
  me: LockHolder,
  text: string,
  staleAfterMs: number,
  now: () => number,
): Promise<void> {
  const where = { file, role: "output" as const };
  try {
    await ensureDir(path.dirname(lock));
    await removeDeadTempFiles(lock);
  } catch (error) {
    throw asIoFailure(error, where);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      if (await createExclusive(lock, text)) return;
    } catch (error) {
      throw asIoFailure(error, where);
    }
    const found = await readLock(lock);
    if (found === undefined) continue; // released meanwhile: try again
    if (!isStale(found, me, staleAfterMs, now())) throw new OutputBusyError(file, found.holder);
    await takeOver(lock, found.holder);
  }
  const found = await readLock(lock);
  if (found) throw new OutputBusyError(file, found.holder);
  throw new Error(`internal: could not take the lock ${lock}`);
}

/**
 * Creates `lock` holding `text`, or returns false when it exists. The content is written to a temp
 * file first and hard-linked into place, so a reader never sees an empty lock; where hard links are not
 * supported (FAT), it falls back to an O_EXCL create.
 */
async function createExclusive(lock: string, text: string): Promise<boolean> {
  const temp = tempPathBeside(lock);
  try {
    await writeFile(temp, text, { flag: "wx" });
    try {
      await link(temp, lock);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    }
    try {
      const handle = await open(lock, "wx");
      try {
        await handle.writeFile(text);
      } catch (error) {
        await handle.close();
        await unlink(lock).catch(() => {});
        throw error;
      }
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
}

interface FoundLock {
  holder: LockHolder;
  mtimeMs: number;
}

/** The lock's holder, or undefined when the file is gone. An unreadable lock counts as a stale one. */
async function readLock(lock: string): Promise<FoundLock | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(lock, "utf8"), stat(lock).then((s) => s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return { holder: parseHolder(text), mtimeMs };
}

function parseHolder(text: string): LockHolder {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === "number" && typeof value.host === "string") {
      return {
        pid: value.pid,
        host: value.host,
        started_at: String(value.started_at ?? "an unknown time"),
        token: String(value.token ?? ""),
      };
    }
  } catch {
    // fall through: not written by fluence, or cut (the FAT fallback killed mid-write)
  }
  return { pid: 0, host: "an unknown host", started_at: "an unknown time", token: "" };
}

function isStale(found: FoundLock, me: LockHolder, staleAfterMs: number, now: number): boolean {
  const { holder } = found;
  if (holder.pid === 0) return now - found.mtimeMs > 10_000; // unreadable: give a slow writer 10 s
  if (holder.host === me.host && !pidAlive(holder.pid)) return true;
  return now - found.mtimeMs > staleAfterMs;
}

/**
 * Removes a stale lock without ever removing a fresh one: the lock is renamed aside first and checked;
 * if another run took it over in between (its token differs), it is put back.
 */
async function takeOver(lock: string, stale: LockHolder): Promise<void> {
  const grave = tempPathBeside(lock);
  try {
    await rename(lock, grave);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const moved = parseHolder(await readFile(grave, "utf8"));
    if (moved.token !== stale.token || moved.pid !== stale.pid) {
      await link(grave, lock).catch(() => {});
    }
  } finally {
    await unlink(grave).catch(() => {});
  }
}

async function removeIfOurs(lock: string, token: string): Promise<void> {
  try {
    if (parseHolder(await readFile(lock, "utf8")).token === token) await unlink(lock);
  } catch {
    // Already gone, or unreadable now: nothing of ours to remove.
  }
}

function removeIfOursSync(lock: string, token: string): void {
  try {
    if (parseHolder(readFileSync(lock, "utf8")).token === token) unlinkSync(lock);
  } catch {
    // as above
  }
}
