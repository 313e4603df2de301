import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { ensureDir } from "./ensure-dir.js";
import { removeOnExit } from "./exit-cleanup.js";
import { asIoFailure, type FileRole } from "./io-errors.js";
import { pidAlive } from "./pid-alive.js";

/**
 * Files appear complete or not at all: written to `.<name>.<pid>.<random>.tmp` beside the final path
 * and renamed onto it. The pid in the name lets a later run remove what a killed one left behind.
 */
export function tempPathBeside(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

/** A file written to its temp path, waiting to be published by rename (or discarded). */
export interface StagedFile {
  /** Renames the temp file onto the final path and makes the rename durable. No-op after the first. */
  publish(): Promise<void>;
  /** Removes the temp file; the final path is untouched. No-op after publish. */
  discard(): Promise<void>;
}

/** A staged file that its writer fills itself, streaming, at `temp`. */
export interface StagedPath extends StagedFile {
  readonly temp: string;
}

/**
 * The one way fluence publishes a file: a temp path beside `file` (its directory made, dead runs' temp
 * files removed, the temp removed at exit unless published), then rename and a directory fsync. The
 * caller creates and fills `temp`. I/O failures come out as IoFailure naming `file`.
 */
export async function stagePath(file: string, role: FileRole = "output"): Promise<StagedPath> {
  const temp = tempPathBeside(file);
  try {
    await ensureDir(path.dirname(file));
    await removeDeadTempFiles(file);
  } catch (error) {
    throw asIoFailure(error, { file, role });
  }
  const forget = removeOnExit(temp);
  let published = false;
  return {
    temp,
    async publish() {
      if (published) return;
      try {
        await rename(temp, file);
      } catch (error) {
        throw asIoFailure(error, { file, role });
      }
      published = true;
      forget();
      await syncDirectory(path.dirname(file));
    },
    async discard() {
      if (published) return;
      await rm(temp, { force: true });
      forget();
    },
  };
}

/**
 * Writes `text` to a temp file beside `file` and fsyncs it, so that publishing is one rename. A failed
 * write or rename leaves no temp file behind.
 */
export async function stageFile(file: string, text: string, role: FileRole = "output"): Promise<StagedFile> {
  const staged = await stagePath(file, role);
  try {
    const handle = await open(staged.temp, "wx");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await staged.discard();
    throw asIoFailure(error, { file, role });
  }
  return {
    async publish() {
      await staged.publish().catch(async (error: unknown) => {
        await staged.discard();
        throw error;
      });
    },
    discard: () => staged.discard(),
  };
}

/** Makes a rename durable. Best effort: some platforms cannot open or fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is already fsynced; only the directory entry's durability is at stake.
  }
}

/** Writes a small file so that readers see the old content or the new, never an empty or cut one. */
export async function writeFileAtomic(file: string, text: string, role: FileRole = "output"): Promise<void> {
  await (await stageFile(file, text, role)).publish();
}

/**
 * A process killed while writing (kill -9) leaves its temp file behind; the next writer of the same
 * file removes those of processes that no longer exist. Files of live processes (a concurrent run) stay.
 */
export async function removeDeadTempFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (pid === process.pid || pidAlive(pid)) continue;
    await rm(path.join(dir, name), { force: true });
  }
}

/**
 * What every output written through a temp file checks before taking a row: it is still open, nothing
 * failed before (the first failure is thrown again, not a later one it caused), and one value per column.
 */
export function checkRowWrite(state: string, failure: unknown, values: number, columns: number): void {
  if (state !== "open") throw new Error(`write() after ${state}`);
  if (failure !== undefined) throw failure;
  if (values !== columns) throw new Error(`write() got ${values} values for ${columns} columns`);
}
