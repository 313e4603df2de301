import { mkdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

/**
 * `mkdir -p` that reports the real reason it failed. Node's recursive mkdir answers ENOENT where the OS
 * said EROFS (a read-only filesystem), so on ENOENT the directories are made one by one and the first
 * failure of the OS is thrown as it is.
 */
export async function ensureDir(dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const step of stepsTo(dir)) {
    try {
      await mkdir(step, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** ensureDir, synchronously (the store opens synchronously). */
export function ensureDirSync(dir: string, mode?: number): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const step of stepsTo(dir)) {
    try {
      mkdirSync(step, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** "/a/b/c" → ["/a", "/a/b", "/a/b/c"]. */
function stepsTo(dir: string): string[] {
  const steps: string[] = [];
  for (let at = path.resolve(dir); path.dirname(at) !== at; at = path.dirname(at)) steps.unshift(at);
  return steps;
}
