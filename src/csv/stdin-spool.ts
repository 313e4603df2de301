import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface Spool {
  file: string;
  remove(): Promise<void>;
}

/**
 * Copies a stream (stdin) to a private temp file, because the input is read more than once
 * (encoding scan, header, then the pipeline's two passes) and stdin can be read only once.
 */
export async function spoolToTempFile(input: Readable): Promise<Spool> {
  const dir = await mkdtemp(join(tmpdir(), "fluence-stdin-"));
  const file = join(dir, "stdin.csv");
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const handle = await open(file, "wx", 0o600);
    await pipeline(input, handle.createWriteStream());
  } catch (error) {
    await remove();
    throw error;
  }
  return { file, remove };
}
