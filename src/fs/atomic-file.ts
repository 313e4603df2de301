import { randomBytes } from "node:crypto";
import { readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
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

/** Writes a small file so that readers see the old content or the new, never an empty or cut one. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await removeDeadTempFiles(file);
  const temp = tempPathBeside(file);
  try {
    await writeFile(temp, text, { flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
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
