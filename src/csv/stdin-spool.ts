import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { removeOnExit } from "../fs/exit-cleanup.js";
import { asIoFailure } from "../fs/io-errors.js";

export interface Spool {
  file: string;
  remove(): Promise<void>;
}

/**
 * Copies a stream (stdin) to a private temp file, because the input is read more than once
 * (encoding scan, header, then the pipeline's two passes) and stdin can be read only once. A full or
 * unwritable TMPDIR is an IoFailure naming the file (exit 7).
 */
export async function spoolToTempFile(input: Readable): Promise<Spool> {
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), "fluence-stdin-"));
  } catch (error) {
    throw asIoFailure(error, { file: tmpdir(), role: "spool" });
  }
  const file = join(dir, "stdin.csv");
  const forget = removeOnExit(dir);
  const remove = async () => {
    await rm(dir, { recursive: true, force: true });
    forget();
  };
  try {
    const handle = await open(file, "wx", 0o600);
    await pipeline(input, handle.createWriteStream());
  } catch (error) {
    await remove();
    throw asIoFailure(error, { file, role: "spool" });
  }
  return { file, remove };
}
